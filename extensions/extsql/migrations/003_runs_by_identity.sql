-- Each logged call's business identity, so that a shadow replay at a scope finds every call that a
-- publication there would serve (not only those a script at exactly that scope ran for), and the
-- sampled calls the default served. Rows logged before this migration keep '' (matched by their
-- scope alone, as before).
ALTER TABLE ext_runs ADD COLUMN biz_code VARCHAR(140) NOT NULL DEFAULT '';
ALTER TABLE ext_runs ADD COLUMN scenario VARCHAR(32) NOT NULL DEFAULT '';
CREATE INDEX ext_runs_by_point_time ON ext_runs (tenant, point, created_at, trade_id, seq);
CREATE INDEX ext_runs_by_point_biz ON ext_runs (tenant, point, biz_code, created_at, trade_id, seq);
