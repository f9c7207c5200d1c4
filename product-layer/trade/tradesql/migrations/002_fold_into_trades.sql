-- Flow instances move onto their trade's row (order migration 008): placing a trade writes no
-- row of its own for its flow.
UPDATE trades SET
  flow_state = (SELECT f.state FROM trade_flows f WHERE f.tenant = trades.tenant AND f.trade_id = trades.trade_id),
  flow_version = (SELECT f.version FROM trade_flows f WHERE f.tenant = trades.tenant AND f.trade_id = trades.trade_id),
  flow_updated_at = (SELECT f.updated_at FROM trade_flows f WHERE f.tenant = trades.tenant AND f.trade_id = trades.trade_id)
WHERE EXISTS (SELECT 1 FROM trade_flows f WHERE f.tenant = trades.tenant AND f.trade_id = trades.trade_id);

DROP TABLE trade_flows;
