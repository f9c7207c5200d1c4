-- Where the unit goes if the bidder wins (the address given with the deposit, JSON).
ALTER TABLE auction_deposits ADD COLUMN ship_to TEXT NULL;

-- The trades an auction's unit was sold in: the winner's, and a runner-up's second chance.
CREATE TABLE auction_sales (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  auction_id VARCHAR(64) NOT NULL,
  bidder VARCHAR(64) NOT NULL,
  price BIGINT NOT NULL,
  credit BIGINT NOT NULL,
  deposit_id VARCHAR(40) NOT NULL,
  second_chance INT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id)
);

CREATE INDEX auction_sales_by_auction ON auction_sales (tenant, auction_id, created_at);
