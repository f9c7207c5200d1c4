-- Each line's price before any buyer's price list (NULL on lines written before it was kept:
-- read as the unit price) and the price list that set its unit price ('' : none).
ALTER TABLE order_lines ADD COLUMN list_price BIGINT NULL;
ALTER TABLE order_lines ADD COLUMN price_list_id VARCHAR(64) NOT NULL DEFAULT '';
