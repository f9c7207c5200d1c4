-- A trade's orders are read in order_id order on every placed order. With orders_by_trade on
-- (tenant, trade_id) alone, SQLite's planner preferred the primary key (tenant, order_id) to skip
-- the sort and scanned every order of the tenant; with order_id in the index, one index range
-- both finds and orders them.
CREATE INDEX orders_by_trade_sorted ON orders (tenant, trade_id, order_id);
-- sqlite:
DROP INDEX orders_by_trade;
-- mysql:
DROP INDEX orders_by_trade ON orders;
