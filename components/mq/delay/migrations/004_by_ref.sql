-- The jobs of a record (a trade's timers, a refund's retries) are read by their ref for the
-- trade's story an operator opens; the unique index leads with the kind.
CREATE INDEX delayed_jobs_by_ref ON delayed_jobs (ref);
