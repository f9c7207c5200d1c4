CREATE TABLE idempotency_keys (
  tenant VARCHAR(32) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  scope VARCHAR(64) NOT NULL,
  idem_key VARCHAR(128) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  result_ref VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, user_id, scope, idem_key)
);
