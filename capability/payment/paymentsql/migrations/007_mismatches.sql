-- Provider reports that disagreed with the platform (a callback's amount or currency, a refund's
-- acceptance for another amount), kept for operators to reconcile; one row per report.
CREATE TABLE payment_mismatches (
  mismatch_id VARCHAR(40) NOT NULL,
  tenant VARCHAR(32) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  payment_id VARCHAR(40) NOT NULL,
  refund_id VARCHAR(40) NOT NULL,
  provider VARCHAR(32) NOT NULL,
  provider_ref VARCHAR(128) NOT NULL,
  report VARCHAR(128) NOT NULL,
  expected BIGINT NOT NULL,
  expected_currency VARCHAR(8) NOT NULL,
  reported BIGINT NOT NULL,
  reported_currency VARCHAR(8) NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (mismatch_id)
);

CREATE UNIQUE INDEX payment_mismatches_by_report ON payment_mismatches (payment_id, kind, report);
CREATE INDEX payment_mismatches_by_tenant ON payment_mismatches (tenant, created_at);
