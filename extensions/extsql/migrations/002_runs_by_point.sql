-- A shadow replay reads the latest calls of one point at one scope, newest first.
CREATE INDEX ext_runs_by_point ON ext_runs (tenant, point, scope, created_at, trade_id, seq);
