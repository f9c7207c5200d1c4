-- What each pre-sale trade owes: its deposit, what the deposit counts for (credit) and the
-- balance left, per trade and (shares, JSON) per child order, and where the deposit stands.
CREATE TABLE presale_trades (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  currency CHAR(3) NOT NULL,
  deposit BIGINT NOT NULL,
  credit BIGINT NOT NULL,
  balance BIGINT NOT NULL,
  units BIGINT NOT NULL,
  deposit_status VARCHAR(16) NOT NULL,
  shares TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id)
);

CREATE INDEX presale_trades_by_campaign ON presale_trades (tenant, campaign_id, trade_id);

-- How many units each buyer holds of a campaign, against its per-user cap: claimed with one
-- conditional update in the order's transaction, given back when the order is cancelled.
CREATE TABLE presale_claims (
  tenant VARCHAR(32) NOT NULL,
  campaign_id VARCHAR(64) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  units BIGINT NOT NULL,
  PRIMARY KEY (tenant, campaign_id, user_id)
);
