// Package mq carries Atrium's events from the transactional outbox to a message broker and from
// the broker to consumers, on Watermill (github.com/ThreeDotsLabs/watermill), hiding which broker
// it is: the SQL database itself (the embedded default), NATS JetStream, RabbitMQ or Kafka.
//
// Publishing is only ever through the outbox (components/mq/outbox): a business transaction
// writes its events beside its rows, and the Relay forwards committed events to the broker, in
// the order they were written, and marks them published. Delivery is at least once: a relay that
// dies after publishing and before marking publishes again. Consumers deduplicate by event id in
// an inbox table written in the consumer's own transaction (Consumers), so that an event's effect
// happens once. A handler that keeps failing is retried with backoff and then set aside on the
// poison topic (Watermill's Retry and PoisonQueue middlewares), so that one bad event does not
// stop the rest.
//
// Every event travels in one Envelope, `{"id","type","tenant","source","time","key","data"}`,
// as the message body, and as CloudEvents attributes (id, type, source, time, subject = key,
// tenant, dataschema) in the broker's headers: "ce_" headers on Kafka and in the SQL metadata,
// "ce-" headers on NATS, "cloudEvents:" headers on RabbitMQ (the CloudEvents protocol bindings).
//
// Names, with the default prefix "atrium.": an event of type order.paid goes to
//   - sql: table mq_atrium_order_paid (offsets per consumer group in mq_offsets_atrium_order_paid);
//   - nats: subject atrium.order.paid, in stream ATRIUM over atrium.>;
//   - rabbitmq: topic exchange atrium, routing key order.paid (a consumer group is a durable queue
//     per type, named after the group and the type: a queue must exist before an event is
//     published for it to be kept, as with any RabbitMQ exchange);
//   - kafka: topic atrium.order.paid, keyed by the event's key (the trade id), so one trade's
//     events stay in one partition, in order.
//
// The relay is this package's own, not Watermill's forwarder: the forwarder reads an outbox that
// is itself a Watermill SQL topic, which has no SQLite dialect and no per-key ordering of its own;
// the outbox table is written by dal in the business transaction on both engines, and the relay
// reads it under a lease (one relaying node at a time, see Relay).
package mq

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/mq/outbox"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the relay's lease and the consumers' inbox (the SQL broker's own
// topic tables are made when a topic is first used).
func Migrations() dal.Migrations { return dal.Embedded("mq", migrationFiles) }

// Config selects the broker.
type Config struct {
	// Broker is sql (the default: events stay in the database), nats, rabbitmq or kafka.
	Broker string `yaml:"broker"`
	// URL is the broker's address: nats://127.0.0.1:4222, amqp://guest:guest@127.0.0.1:5672/,
	// or a comma-separated list of Kafka brokers (host:port). Unused by sql.
	URL string `yaml:"url"`
	// Prefix starts every topic name (default "atrium.").
	Prefix string `yaml:"prefix"`
	// Source is the CloudEvents source of Atrium's events (default "atrium").
	Source string `yaml:"source"`
	// Relay tunes the relay.
	Relay RelayConfig `yaml:"relay"`
}

// Brokers are the names Config.Broker accepts.
var Brokers = []string{"sql", "nats", "rabbitmq", "kafka"}

// WithDefaults fills what is unset.
func (c Config) WithDefaults() Config {
	if c.Broker == "" {
		c.Broker = "sql"
	}
	if c.Prefix == "" {
		c.Prefix = "atrium."
	}
	if c.Source == "" {
		c.Source = "atrium"
	}
	c.Relay = c.Relay.withDefaults()
	return c
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch c.Broker {
	case "sql":
	case "nats", "rabbitmq", "kafka":
		if c.URL == "" {
			return fmt.Errorf("mq: broker %s needs mq.url", c.Broker)
		}
	default:
		return fmt.Errorf("mq: unknown broker %q (one of %s)", c.Broker, strings.Join(Brokers, ", "))
	}
	if strings.ContainsAny(c.Prefix, " *>#") {
		return fmt.Errorf("mq: prefix %q has a wildcard or a space", c.Prefix)
	}
	return c.Relay.validate()
}

// Envelope is every event's shape on the wire.
type Envelope struct {
	ID     string    `json:"id"`
	Type   string    `json:"type"`
	Tenant string    `json:"tenant"`
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
	// Key orders events: one key's events are delivered in the order they were written.
	Key string `json:"key"`
	// Data is the event's payload, in the schema of its type (DataSchema names its version).
	Data json.RawMessage `json:"data"`
}

// SchemaVersion is the version of every event type's data schema today; a type whose data
// changes incompatibly gets a new version and DataSchema says which one a message carries.
const SchemaVersion = 1

// DataSchema names the schema of an event type's data.
func DataSchema(eventType string) string {
	return fmt.Sprintf("atrium:%s:v%d", eventType, SchemaVersion)
}

// EnvelopeOf is the envelope of an outbox event from source.
func EnvelopeOf(e outbox.Event, source string) Envelope {
	return Envelope{ID: e.ID, Type: e.Topic, Tenant: e.Tenant, Source: source, Time: e.OccurredAt.UTC(), Key: e.Key, Data: e.Payload}
}

// The CloudEvents attributes in a message's metadata, before the broker's header prefix.
const (
	attrSpec   = "specversion"
	attrID     = "id"
	attrType   = "type"
	attrSource = "source"
	attrTime   = "time"
	attrSub    = "subject"
	attrTenant = "tenant"
	attrSchema = "dataschema"
	attrCT     = "datacontenttype"
)

// toMessage is env as a Watermill message: the envelope as its body, its attributes as headers
// named with prefix.
func toMessage(env Envelope, prefix string) (*message.Message, error) {
	body, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("mq: marshal %s: %w", env.ID, err)
	}
	msg := message.NewMessage(env.ID, body)
	for k, v := range map[string]string{attrSpec: "1.0", attrID: env.ID, attrType: env.Type, attrSource: env.Source,
		attrTime: env.Time.Format(time.RFC3339Nano), attrSub: env.Key, attrTenant: env.Tenant, attrSchema: DataSchema(env.Type),
		attrCT: "application/json"} {
		msg.Metadata.Set(prefix+k, v)
	}
	return msg, nil
}

// ErrBadEnvelope is a message that is not an Atrium envelope: it cannot be handled, ever.
var ErrBadEnvelope = errors.New("mq: message is not an envelope")

// FromMessage reads the envelope in a message's body.
func FromMessage(msg *message.Message) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(msg.Payload, &env); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrBadEnvelope, err)
	}
	if env.ID == "" || env.Type == "" {
		return Envelope{}, fmt.Errorf("%w: no id or type", ErrBadEnvelope)
	}
	return env, nil
}

// Header is a CloudEvents attribute of msg as broker b names it ("" if absent).
func Header(b Broker, msg *message.Message, attr string) string {
	return msg.Metadata.Get(b.headerPrefix() + attr)
}

// Broker is one of the message brokers behind Watermill's interfaces, with Atrium's names.
type Broker interface {
	// Name is the broker's config name (sql, nats, rabbitmq, kafka).
	Name() string
	// Publish sends envs in order: it returns how many were accepted by the broker before the
	// first failure (all of them and nil on success).
	Publish(ctx context.Context, envs []Envelope) (int, error)
	// Subscriber is a Watermill subscriber of consumer group group: the group's members share
	// the events of a type, and each group gets every event.
	Subscriber(group string) (message.Subscriber, error)
	// Topic is the Watermill topic an event type is published on and subscribed to.
	Topic(eventType string) string
	// Publisher is a Watermill publisher on this broker's topics (the poison queue uses it).
	Publisher() message.Publisher
	// Close closes the broker's connections.
	Close() error
	headerPrefix() string
}

// PoisonType is the event type that events whose handling kept failing are set aside as (the
// original type is in the message's "poisoned_topic" metadata, Watermill's PoisonQueue).
const PoisonType = "poison"

// Open connects to the broker cfg names; db is the SQL broker's database.
func Open(ctx context.Context, cfg Config, db *dal.DB, log Logger) (Broker, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wl := watermillLogger(log)
	switch cfg.Broker {
	case "nats":
		return openNATS(ctx, cfg, wl)
	case "rabbitmq":
		return openAMQP(cfg, wl)
	case "kafka":
		return openKafka(cfg, wl)
	default:
		return openSQL(cfg, db, wl)
	}
}

// safeName is s with every character but letters, digits and '_' as '_' (for table, durable and
// queue names).
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
