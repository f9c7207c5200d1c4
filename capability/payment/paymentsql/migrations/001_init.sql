CREATE TABLE payments (
  payment_id VARCHAR(40) NOT NULL,
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  provider VARCHAR(32) NOT NULL,
  currency CHAR(3) NOT NULL,
  amount BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  provider_ref VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  settled_at BIGINT NOT NULL,
  PRIMARY KEY (payment_id)
);

CREATE INDEX payments_by_trade ON payments (tenant, trade_id);
