CREATE TABLE kv (
  k VARCHAR(32) NOT NULL,
  v BIGINT NOT NULL,
  PRIMARY KEY (k)
);

-- sqlite:
CREATE INDEX kv_sqlite_only ON kv (v);
-- mysql:
CREATE INDEX kv_mysql_only ON kv (v);
