-- A pre-sale order's ship date (unix ms); NULL for an order that ships from stock.
ALTER TABLE orders ADD COLUMN ships_at BIGINT NULL;

-- The kind of promotion that gave each part of an order's discount (percentage, coupon, ...).
ALTER TABLE order_discounts ADD COLUMN kind VARCHAR(32) NOT NULL DEFAULT '';
