-- Each bidder's deposit on an auction; deposit_id is the id its payment is held for.
CREATE TABLE auction_deposits (
  tenant VARCHAR(32) NOT NULL,
  auction_id VARCHAR(64) NOT NULL,
  bidder VARCHAR(64) NOT NULL,
  deposit_id VARCHAR(40) NOT NULL,
  amount BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  payment_id VARCHAR(40) NOT NULL,
  status VARCHAR(16) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, auction_id, bidder)
);

CREATE UNIQUE INDEX auction_deposits_by_id ON auction_deposits (tenant, deposit_id);
