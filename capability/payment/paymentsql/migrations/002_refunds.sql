-- Money going back from a succeeded payment, one row per refunded child order. A row is written
-- in the transaction that makes the refund owed and stays pending until the provider accepts it.
CREATE TABLE payment_refunds (
  refund_id VARCHAR(40) NOT NULL,
  tenant VARCHAR(32) NOT NULL,
  payment_id VARCHAR(40) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  reason VARCHAR(64) NOT NULL,
  currency CHAR(3) NOT NULL,
  amount BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  provider_ref VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  settled_at BIGINT NOT NULL,
  PRIMARY KEY (refund_id)
);

CREATE INDEX payment_refunds_by_payment ON payment_refunds (payment_id);
CREATE UNIQUE INDEX payment_refunds_by_order ON payment_refunds (tenant, order_id);
