-- An order is refunded once from each payment it was paid by: a pre-sale order's deposit and
-- balance are two payments, refunded apart.
CREATE UNIQUE INDEX payment_refunds_by_order_payment ON payment_refunds (tenant, order_id, payment_id);
-- sqlite:
DROP INDEX payment_refunds_by_order;
-- mysql:
DROP INDEX payment_refunds_by_order ON payment_refunds;
