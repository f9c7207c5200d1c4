-- Operators list coupons newest first, all of a tenant's or a promotion's: when each was created
-- (unix ms). Coupons created before this column list after the others (0).
ALTER TABLE discount_coupons ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX discount_coupons_by_created ON discount_coupons (tenant, created_at, code);
CREATE INDEX discount_coupons_by_promotion_created ON discount_coupons (tenant, promotion_id, created_at, code);
