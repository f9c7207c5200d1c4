-- A tenant's cash-on-delivery rules as the operator set them (JSON).
CREATE TABLE cod_rules (
  tenant VARCHAR(32) NOT NULL,
  body TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant)
);

-- Every refused COD delivery, once per order: a buyer with more refusals inside the tenant's
-- window than its rules allow is no longer offered COD.
CREATE TABLE cod_refusals (
  tenant VARCHAR(32) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  refused_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, order_id)
);

CREATE INDEX cod_refusals_by_user ON cod_refusals (tenant, user_id, refused_at);
