-- After-sale requests: one child order's units asked back, with what they are worth (minor
-- units of currency) and where the request stands. A request is created and moved in the flow's
-- transaction with its order locked, so requests for the same units serialize on the order row.
CREATE TABLE aftersales (
  tenant VARCHAR(32) NOT NULL,
  aftersale_id VARCHAR(64) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  order_id VARCHAR(40) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  status VARCHAR(16) NOT NULL,
  reason VARCHAR(64) NOT NULL,
  note VARCHAR(500) NOT NULL,
  currency CHAR(3) NOT NULL,
  goods BIGINT NOT NULL,
  shipping BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  decision VARCHAR(500) NOT NULL,
  decided_by VARCHAR(64) NOT NULL,
  goods_condition VARCHAR(16) NOT NULL,
  carrier VARCHAR(32) NOT NULL,
  tracking_no VARCHAR(64) NOT NULL,
  refund_ids VARCHAR(400) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (tenant, aftersale_id)
);

CREATE INDEX aftersales_by_order ON aftersales (tenant, order_id, created_at);

CREATE INDEX aftersales_by_user ON aftersales (tenant, user_id, created_at, aftersale_id);

CREATE INDEX aftersales_by_status ON aftersales (tenant, status, created_at, aftersale_id);

CREATE TABLE aftersale_lines (
  tenant VARCHAR(32) NOT NULL,
  aftersale_id VARCHAR(64) NOT NULL,
  line_no INT NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  quantity BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  PRIMARY KEY (tenant, aftersale_id, line_no)
);

-- A tenant's after-sale policy as the operator set it (JSON); none: the platform default.
CREATE TABLE aftersale_policies (
  tenant VARCHAR(32) NOT NULL,
  body TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant)
);
