-- Registered warehouses and where they are, for choosing the warehouse nearest a buyer. Stock
-- may name a warehouse that is not registered here; its region is then unknown.
CREATE TABLE inventory_warehouses (
  tenant VARCHAR(32) NOT NULL,
  warehouse_id VARCHAR(64) NOT NULL,
  name VARCHAR(400) NOT NULL,
  country VARCHAR(2) NOT NULL,
  province VARCHAR(256) NOT NULL,
  city VARCHAR(256) NOT NULL,
  district VARCHAR(256) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, warehouse_id)
);
