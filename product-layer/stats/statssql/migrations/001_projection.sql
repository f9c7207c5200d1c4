CREATE TABLE stats_orders (
  tenant VARCHAR(64) NOT NULL,
  order_id VARCHAR(64) NOT NULL,
  flow VARCHAR(32) NOT NULL,
  status VARCHAR(32) NOT NULL,
  status_rank INT NOT NULL,
  status_at BIGINT NOT NULL,
  total BIGINT NOT NULL,
  currency VARCHAR(3) NOT NULL,
  sold INT NOT NULL,
  refund_state INT NOT NULL,
  refund_day VARCHAR(10) NOT NULL,
  PRIMARY KEY (tenant, order_id)
);

CREATE TABLE stats_status_counts (
  tenant VARCHAR(64) NOT NULL,
  flow VARCHAR(32) NOT NULL,
  status VARCHAR(32) NOT NULL,
  currency VARCHAR(3) NOT NULL,
  orders BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (tenant, flow, status, currency)
);

CREATE TABLE stats_sku_daily (
  tenant VARCHAR(64) NOT NULL,
  day VARCHAR(10) NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  currency VARCHAR(3) NOT NULL,
  orders BIGINT NOT NULL,
  units BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  refunded_units BIGINT NOT NULL,
  refunded_amount BIGINT NOT NULL,
  PRIMARY KEY (tenant, day, sku_id, currency)
);
