-- When an operator disabled a coupon (unix ms; 0 while it is enabled): it redeems no more from
-- then, and keeps its uses and validity for the books.
ALTER TABLE discount_coupons ADD COLUMN disabled_at BIGINT NOT NULL DEFAULT 0;
