CREATE TABLE skus (
  tenant VARCHAR(32) NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  title VARCHAR(800) NOT NULL,
  seller_id VARCHAR(64) NOT NULL,
  currency CHAR(3) NOT NULL,
  price BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, sku_id)
);
