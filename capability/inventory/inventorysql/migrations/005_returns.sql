-- Units that came back damaged: off sale, still on hand, so that per level
-- available + reserved + sold + damaged = on_hand.
ALTER TABLE inventory_levels ADD COLUMN damaged BIGINT NOT NULL DEFAULT 0;

-- Returns of some units of a confirmed reservation (an after-sale of some lines). The row is the
-- barrier that makes a return happen once; its lines bound what later returns of the same
-- reservation may take back.
CREATE TABLE inventory_returns (
  tenant VARCHAR(32) NOT NULL,
  return_id VARCHAR(64) NOT NULL,
  reservation_id VARCHAR(64) NOT NULL,
  damaged INT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, return_id)
);

CREATE INDEX inventory_returns_by_reservation ON inventory_returns (tenant, reservation_id);

CREATE TABLE inventory_return_lines (
  tenant VARCHAR(32) NOT NULL,
  return_id VARCHAR(64) NOT NULL,
  reservation_id VARCHAR(64) NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  quantity BIGINT NOT NULL,
  PRIMARY KEY (tenant, return_id, sku_id, warehouse_id)
);

CREATE INDEX inventory_return_lines_by_reservation ON inventory_return_lines (tenant, reservation_id);
