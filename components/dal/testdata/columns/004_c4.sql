-- A column per version: a version applied twice fails on its duplicate.
ALTER TABLE items ADD COLUMN c4 BIGINT NOT NULL DEFAULT 0;
