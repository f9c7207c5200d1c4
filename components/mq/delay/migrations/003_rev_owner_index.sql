ALTER TABLE delayed_jobs ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;

CREATE INDEX delayed_jobs_owner ON delayed_jobs (leased_by, done_at);
