-- Operators list a tenant's payments and refunds newest first, by status or all: each list walks
-- one of these in page order and stops after a page.
CREATE INDEX payments_by_tenant ON payments (tenant, payment_id);
CREATE INDEX payments_by_tenant_status ON payments (tenant, status, payment_id);
CREATE INDEX payment_refunds_by_tenant ON payment_refunds (tenant, refund_id);
CREATE INDEX payment_refunds_by_tenant_status ON payment_refunds (tenant, status, refund_id);
CREATE INDEX payment_mismatches_by_payment ON payment_mismatches (tenant, payment_id);
