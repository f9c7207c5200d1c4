-- Operators list a tenant's SKUs newest first (by when each was created: an update does not move
-- a SKU in a list being paged), all or by seller; SKUs from before kept no creation time and
-- count from their last change.
ALTER TABLE skus ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
UPDATE skus SET created_at = updated_at;
CREATE INDEX skus_by_created ON skus (tenant, created_at, sku_id);
CREATE INDEX skus_by_seller ON skus (tenant, seller_id, created_at, sku_id);
