-- An order is refunded from a payment once per after-sale request: one cup of three, then
-- another, are two refunds of one order from one payment. Refunds made outside after-sale (a
-- cancelled pre-sale's deposit, money nothing takes any more) have no request and stay once.
ALTER TABLE payment_refunds ADD COLUMN aftersale_id VARCHAR(64) NOT NULL DEFAULT '';
CREATE UNIQUE INDEX payment_refunds_by_order_aftersale ON payment_refunds (tenant, order_id, payment_id, aftersale_id);
-- sqlite:
DROP INDEX payment_refunds_by_order_payment;
-- mysql:
DROP INDEX payment_refunds_by_order_payment ON payment_refunds;
