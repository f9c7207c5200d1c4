-- Who caused each event (identity.ActorOf: a buyer, an operator, a provider's callback, a timer),
-- and the events of one key read back in order: a trade's events are its timeline.
ALTER TABLE outbox_events ADD COLUMN actor VARCHAR(80) NOT NULL DEFAULT '';
-- The key leads, not the tenant: SQLite (without statistics) would otherwise walk the whole index
-- for the auditor's list of tenants with recent events, which it reads in tenant order.
CREATE INDEX outbox_by_key ON outbox_events (msg_key, tenant, event_id);
