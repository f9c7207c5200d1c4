ALTER TABLE inventory_levels ADD COLUMN hot INT NOT NULL DEFAULT 0;

-- A reservation made ahead of its order (a hot level's batch) expires unless the order attaches
-- it; NULL is a reservation that lives until confirmed or cancelled.
ALTER TABLE inventory_reservations ADD COLUMN expires_at BIGINT NULL;

CREATE INDEX inventory_reservations_expiry ON inventory_reservations (expires_at);
