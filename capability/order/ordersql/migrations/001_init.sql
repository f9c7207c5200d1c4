CREATE TABLE trades (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  biz_code VARCHAR(72) NOT NULL,
  scenario VARCHAR(16) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  currency CHAR(3) NOT NULL,
  total BIGINT NOT NULL,
  address TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  pay_deadline BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id)
);

CREATE TABLE orders (
  tenant VARCHAR(32) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  seller_id VARCHAR(64) NOT NULL,
  status VARCHAR(24) NOT NULL,
  currency CHAR(3) NOT NULL,
  total BIGINT NOT NULL,
  carrier VARCHAR(32) NOT NULL,
  tracking_no VARCHAR(64) NOT NULL,
  cancel_reason VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (tenant, order_id)
);

CREATE INDEX orders_by_trade ON orders (tenant, trade_id);

CREATE INDEX orders_by_user ON orders (tenant, user_id, created_at, order_id);

CREATE TABLE order_lines (
  tenant VARCHAR(32) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  line_no INT NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  title VARCHAR(800) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  quantity BIGINT NOT NULL,
  unit_price BIGINT NOT NULL,
  total BIGINT NOT NULL,
  PRIMARY KEY (tenant, order_id, line_no)
);
