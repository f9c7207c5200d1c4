CREATE TABLE frontends (
  frontend_id VARCHAR(64) NOT NULL,
  tenant VARCHAR(32) NOT NULL,
  biz_code VARCHAR(72) NOT NULL,
  channel VARCHAR(8) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (frontend_id)
);
