-- One row per trade: the state of its flow (a pre-sale trade waits for its deposit, then its
-- balance window), moved in the transaction of each step, with a version checked on every save.
CREATE TABLE trade_flows (
  tenant VARCHAR(32) NOT NULL,
  trade_id VARCHAR(40) NOT NULL,
  scenario VARCHAR(16) NOT NULL,
  state VARCHAR(32) NOT NULL,
  version BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant, trade_id)
);

-- The recovery sweep looks for instances of a scenario left in a state for too long.
CREATE INDEX trade_flows_by_state ON trade_flows (scenario, state, updated_at);

-- Trades placed before flows had instances get one, in the state their orders show.
INSERT INTO trade_flows (tenant, trade_id, scenario, state, version, updated_at)
SELECT t.tenant, t.trade_id, t.scenario,
  CASE
    WHEN EXISTS (SELECT 1 FROM orders o WHERE o.tenant = t.tenant AND o.trade_id = t.trade_id
      AND o.status NOT IN ('pending_payment', 'cancelled')) THEN 'paid'
    WHEN EXISTS (SELECT 1 FROM orders o WHERE o.tenant = t.tenant AND o.trade_id = t.trade_id
      AND o.status = 'pending_payment') THEN 'awaiting_payment'
    ELSE 'cancelled'
  END,
  1, t.created_at
FROM trades t;
