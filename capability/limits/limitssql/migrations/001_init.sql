CREATE TABLE limit_rules (
  tenant VARCHAR(32) NOT NULL,
  rule_id VARCHAR(64) NOT NULL,
  body TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, rule_id)
);

CREATE TABLE limit_counters (
  tenant VARCHAR(32) NOT NULL,
  rule_id VARCHAR(64) NOT NULL,
  subject VARCHAR(80) NOT NULL,
  period VARCHAR(16) NOT NULL,
  used BIGINT NOT NULL,
  PRIMARY KEY (tenant, rule_id, subject, period)
);

CREATE TABLE limit_claims (
  tenant VARCHAR(32) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  rule_id VARCHAR(64) NOT NULL,
  subject VARCHAR(80) NOT NULL,
  period VARCHAR(16) NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (tenant, order_id, rule_id)
);
