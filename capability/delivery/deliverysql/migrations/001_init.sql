-- Shipping templates: a seller's flat fee per trade in one currency, waived from free_over
-- (0: never). seller_id '*' is the tenant's default.
CREATE TABLE delivery_templates (
  tenant VARCHAR(32) NOT NULL,
  seller_id VARCHAR(64) NOT NULL,
  currency CHAR(3) NOT NULL,
  fee BIGINT NOT NULL,
  free_over BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, seller_id, currency)
);
