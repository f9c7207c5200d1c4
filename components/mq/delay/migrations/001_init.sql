CREATE TABLE delayed_jobs (
  job_id VARCHAR(40) NOT NULL,
  kind VARCHAR(64) NOT NULL,
  ref VARCHAR(128) NOT NULL,
  due_at BIGINT NOT NULL,
  lease_until BIGINT NOT NULL,
  attempts INT NOT NULL,
  last_error VARCHAR(500) NOT NULL,
  done_at BIGINT NOT NULL,
  PRIMARY KEY (job_id)
);

CREATE INDEX delayed_jobs_due ON delayed_jobs (done_at, due_at);

CREATE UNIQUE INDEX delayed_jobs_ref ON delayed_jobs (kind, ref);
