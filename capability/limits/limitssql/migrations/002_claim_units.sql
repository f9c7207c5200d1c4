-- What an items claim counted, per SKU ("sku:qty,sku:qty"), so that an after-sale of some units
-- gives back exactly those; '' on order-count claims and on claims taken before it was kept
-- (those come back only with their whole order).
ALTER TABLE limit_claims ADD COLUMN units VARCHAR(2000) NOT NULL DEFAULT '';
