CREATE TABLE inventory_levels (
  tenant VARCHAR(32) NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  on_hand BIGINT NOT NULL,
  available BIGINT NOT NULL,
  reserved BIGINT NOT NULL,
  sold BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, sku_id, warehouse_id)
);

-- The reservation row is the TCC barrier: its status says whether a Try, Confirm or Cancel for
-- the id has already happened.
CREATE TABLE inventory_reservations (
  tenant VARCHAR(32) NOT NULL,
  reservation_id VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, reservation_id)
);

CREATE TABLE inventory_reservation_lines (
  tenant VARCHAR(32) NOT NULL,
  reservation_id VARCHAR(64) NOT NULL,
  line_no INT NOT NULL,
  sku_id VARCHAR(64) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  quantity BIGINT NOT NULL,
  PRIMARY KEY (tenant, reservation_id, line_no)
);
