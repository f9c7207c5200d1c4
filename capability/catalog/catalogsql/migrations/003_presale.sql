-- A pre-sale SKU's ship date (unix ms); NULL for a SKU that ships from stock.
ALTER TABLE skus ADD COLUMN ships_at BIGINT NULL;
