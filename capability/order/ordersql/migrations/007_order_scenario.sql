-- The kind of trade each order belongs to: its status is read through that scenario's
-- lifecycle. Orders written before there was more than one kind are fixed-price ones.
ALTER TABLE orders ADD COLUMN scenario VARCHAR(16) NOT NULL DEFAULT 'fixed_price';
