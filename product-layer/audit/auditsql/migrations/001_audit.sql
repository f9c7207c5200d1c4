-- What the auditor remembers between runs: the findings (open until a run finds their subject
-- sound again; closed ones keep their history) and each tenant's watermark.
CREATE TABLE audit_findings (
  tenant VARCHAR(32) NOT NULL,
  kind VARCHAR(64) NOT NULL,
  subject VARCHAR(200) NOT NULL,
  check_name VARCHAR(64) NOT NULL,
  detail VARCHAR(1000) NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  closed_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, kind, subject)
);

CREATE INDEX audit_findings_open ON audit_findings (tenant, closed_at);

CREATE TABLE audit_watermarks (
  tenant VARCHAR(32) NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (tenant)
);
