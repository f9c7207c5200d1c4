-- Labels business rules and extension scripts match on, comma-separated and sorted.
ALTER TABLE skus ADD COLUMN tags VARCHAR(600) NOT NULL DEFAULT '';
