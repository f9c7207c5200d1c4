-- Auctions: the operator's terms and where the bidding stands. Every bid on an auction locks its
-- row for the few statements that apply it (read, decide in memory, append to the history,
-- write back), so bids are put in one order by the database, on SQLite (one writer) and MySQL
-- (the row lock) alike, from any number of trade nodes.
CREATE TABLE auctions (
  tenant VARCHAR(32) NOT NULL,
  auction_id VARCHAR(64) NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  title VARCHAR(200) NOT NULL,
  currency CHAR(3) NOT NULL,
  start_price BIGINT NOT NULL,
  reserve_price BIGINT NOT NULL,
  deposit BIGINT NOT NULL,
  increments VARCHAR(2000) NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  anti_snipe_ms BIGINT NOT NULL,
  extend_ms BIGINT NOT NULL,
  max_extensions INT NOT NULL,
  pay_window_ms BIGINT NOT NULL,
  current_price BIGINT NOT NULL,
  leader VARCHAR(64) NOT NULL,
  leader_max BIGINT NOT NULL,
  bids BIGINT NOT NULL,
  extensions INT NOT NULL,
  closes_at BIGINT NOT NULL,
  settled VARCHAR(16) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, auction_id)
);

-- Auctions still to settle, by when they close.
CREATE INDEX auctions_closing ON auctions (settled, closes_at);

-- The accepted bids, one row per price move, numbered from 1 per auction.
CREATE TABLE auction_bids (
  tenant VARCHAR(32) NOT NULL,
  auction_id VARCHAR(64) NOT NULL,
  seq BIGINT NOT NULL,
  bidder VARCHAR(64) NOT NULL,
  amount BIGINT NOT NULL,
  proxy INT NOT NULL,
  placed_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, auction_id, seq)
);
