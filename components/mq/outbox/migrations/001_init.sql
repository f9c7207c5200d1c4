CREATE TABLE outbox_events (
  event_id VARCHAR(40) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  msg_key VARCHAR(128) NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  published_at BIGINT NOT NULL,
  PRIMARY KEY (event_id)
);

CREATE INDEX outbox_unpublished ON outbox_events (published_at, created_at);
