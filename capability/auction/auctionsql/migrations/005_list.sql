-- Operators list auctions, the latest to open first: all of a tenant's, or one SKU's.
CREATE INDEX auctions_by_start ON auctions (tenant, starts_at, auction_id);
CREATE INDEX auctions_by_sku ON auctions (tenant, sku_id, starts_at, auction_id);
