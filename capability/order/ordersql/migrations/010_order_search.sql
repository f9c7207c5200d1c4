-- Searching a tenant's orders (the operators' order list, a buyer's list by status or flow)
-- walks one index newest first and stops after a page. Each filter that narrows a search has an
-- index that starts with it and ends in order_id, so rows come out already in page order and the
-- search never sorts what it read; with no filter the primary key serves. The buyer's index
-- orders by id like the others (its list used to order by created_at).
CREATE INDEX orders_by_buyer ON orders (tenant, user_id, order_id);
CREATE INDEX orders_by_seller ON orders (tenant, seller_id, order_id);
CREATE INDEX orders_by_status ON orders (tenant, status, order_id);
CREATE INDEX orders_by_scenario ON orders (tenant, scenario, order_id);
CREATE INDEX order_lines_by_sku ON order_lines (tenant, sku_id, order_id);
-- sqlite:
DROP INDEX orders_by_user;
-- mysql:
DROP INDEX orders_by_user ON orders;
