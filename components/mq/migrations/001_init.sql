CREATE TABLE mq_leases (
  name VARCHAR(64) NOT NULL,
  holder VARCHAR(128) NOT NULL,
  expires_at BIGINT NOT NULL,
  token BIGINT NOT NULL,
  PRIMARY KEY (name)
);

CREATE TABLE mq_inbox (
  consumer VARCHAR(128) NOT NULL,
  event_id VARCHAR(64) NOT NULL,
  processed_at BIGINT NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

CREATE INDEX mq_inbox_processed ON mq_inbox (processed_at);
