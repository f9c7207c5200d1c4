CREATE TABLE ext_scripts (
  tenant VARCHAR(32) NOT NULL,
  script_id VARCHAR(64) NOT NULL,
  version INT NOT NULL,
  point VARCHAR(64) NOT NULL,
  source TEXT NOT NULL,
  hash CHAR(64) NOT NULL,
  author VARCHAR(64) NOT NULL,
  notes VARCHAR(500) NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, script_id, version)
);

-- Every publish pushes a state; a rollback marks the current state rolled back, so the one
-- before it is current again. The current state of each (tenant, scope, point) is the newest row
-- not rolled back.
CREATE TABLE ext_publications (
  tenant VARCHAR(32) NOT NULL,
  scope VARCHAR(140) NOT NULL,
  point VARCHAR(64) NOT NULL,
  seq BIGINT NOT NULL,
  stable_script VARCHAR(64) NOT NULL,
  stable_version INT NOT NULL,
  gray_script VARCHAR(64) NOT NULL,
  gray_version INT NOT NULL,
  gray_bp INT NOT NULL,
  published_by VARCHAR(64) NOT NULL,
  published_at BIGINT NOT NULL,
  rolled_back INT NOT NULL,
  PRIMARY KEY (tenant, scope, point, seq)
);

-- One counter that every publish and rollback bumps; nodes poll it to know when to reload.
CREATE TABLE ext_revision (
  id INT NOT NULL,
  rev BIGINT NOT NULL,
  PRIMARY KEY (id)
);

INSERT INTO ext_revision (id, rev) VALUES (1, 0);

CREATE TABLE ext_runs (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  seq INT NOT NULL,
  point VARCHAR(64) NOT NULL,
  scope VARCHAR(140) NOT NULL,
  script_id VARCHAR(64) NOT NULL,
  version INT NOT NULL,
  hash CHAR(64) NOT NULL,
  gray INT NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  input TEXT NOT NULL,
  previous TEXT NOT NULL,
  output TEXT NOT NULL,
  error VARCHAR(500) NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id, seq)
);
