-- A warehouse's levels are read when an operator deletes it (it must never have held stock).
CREATE INDEX inventory_levels_by_warehouse ON inventory_levels (tenant, warehouse_id);
