-- The campaign whose budget paid for each part of an order's discount, so that refunding the
-- order gives exactly that part back to the budget.
ALTER TABLE order_discounts ADD COLUMN campaign_id VARCHAR(64) NOT NULL DEFAULT '';
