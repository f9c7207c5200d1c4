-- Price lists: unit prices of SKUs in one currency for some channels and member levels, within a
-- time window (0: open). channels and member_levels are comma-separated ('' : everyone).
CREATE TABLE price_lists (
  tenant VARCHAR(32) NOT NULL,
  list_id VARCHAR(64) NOT NULL,
  name VARCHAR(256) NOT NULL,
  currency CHAR(3) NOT NULL,
  channels VARCHAR(700) NOT NULL,
  member_levels VARCHAR(700) NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  priority INT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, list_id)
);

CREATE TABLE price_list_prices (
  tenant VARCHAR(32) NOT NULL,
  list_id VARCHAR(64) NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  price BIGINT NOT NULL,
  PRIMARY KEY (tenant, list_id, sku_id)
);

-- Pricing a cart reads the prices of its SKUs on every list: by SKU first.
CREATE INDEX price_list_prices_by_sku ON price_list_prices (tenant, sku_id);
