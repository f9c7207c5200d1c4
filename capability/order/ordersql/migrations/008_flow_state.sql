-- Where each trade's flow stands as a whole (the product layer's flow instance: its state, and a
-- version checked on every move), on the trade's own row: placing a trade writes no extra row.
ALTER TABLE trades ADD COLUMN flow_state VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE trades ADD COLUMN flow_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE trades ADD COLUMN flow_updated_at BIGINT NOT NULL DEFAULT 0;
