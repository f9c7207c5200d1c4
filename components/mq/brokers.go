package mq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wmamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	wmsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"

	"github.com/atriumtrade/atrium/components/dal"
)

// Logger is where brokers and consumers log.
type Logger = *slog.Logger

func watermillLogger(l Logger) watermill.LoggerAdapter {
	if l == nil {
		l = slog.Default()
	}
	// Watermill's info lines are per subscription and per message; Atrium's own logs say what
	// matters, so Watermill speaks at warnings and above.
	return watermill.NewSlogLoggerWithLevelMapping(l.With("component", "watermill"), map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, watermill.LevelTrace: slog.LevelDebug - 4})
}

// publishEach publishes envs one at a time in order, as messages with headers named by prefix,
// and says how many went through before the first failure.
func publishEach(pub message.Publisher, envs []Envelope, topic func(string) string, prefix string) (int, error) {
	for i, env := range envs {
		msg, err := toMessage(env, prefix)
		if err != nil {
			return i, err
		}
		if err := pub.Publish(topic(env.Type), msg); err != nil {
			return i, err
		}
	}
	return len(envs), nil
}

// preparer is a broker that must create a type's topic before the first publish of it, outside
// any transaction (MySQL commits DDL implicitly; Kafka topics are made through the admin API).
type preparer interface {
	prepare(ctx context.Context, types []string) error
}

// transactional is a broker whose Publish joins the transaction in ctx: the relay publishes and
// marks published in one transaction, so that it never relays an event twice.
type transactional interface{ inTx() bool }

// --- SQL -------------------------------------------------------------------------------------

type sqlBroker struct {
	db      *dal.DB
	prefix  string
	schema  wmsql.SchemaAdapter
	offsets wmsql.OffsetsAdapter
	log     watermill.LoggerAdapter
	ready   sync.Map // topic -> struct{}: its tables exist
	// PollInterval is how often an idle subscription looks for new rows.
	poll time.Duration
}

func openSQL(cfg Config, db *dal.DB, log watermill.LoggerAdapter) (*sqlBroker, error) {
	if db == nil {
		return nil, errors.New("mq: the sql broker needs the database")
	}
	b := &sqlBroker{db: db, prefix: cfg.Prefix, log: log, poll: cfg.Relay.Poll}
	tables := func(topic string) string { return "mq_" + safeName(topic) }
	offsets := func(topic string) string { return "mq_offsets_" + safeName(topic) }
	if db.Dialect() == dal.MySQL {
		b.schema = mysqlSchema{wmsql.DefaultMySQLSchema{
			GenerateMessagesTableName: func(t string) string { return "`" + tables(t) + "`" },
			GeneratePayloadType:       func(string) string { return "LONGTEXT" },
			SubscribeBatchSize:        50,
		}}
		b.offsets = mysqlOffsets{wmsql.DefaultMySQLOffsetsAdapter{GenerateMessagesOffsetsTableName: func(t string) string { return "`" + offsets(t) + "`" }}}
	} else {
		b.schema = sqliteSchema{table: tables, batch: 50}
		b.offsets = sqliteOffsets{table: offsets}
	}
	return b, nil
}

// mysqlSchema is Watermill's MySQL schema read at READ COMMITTED, as every other Atrium
// transaction is: the offsets row is still locked FOR UPDATE, and the consumer's own writes in the
// same transaction do not take REPEATABLE READ's gap locks.
type mysqlSchema struct{ wmsql.DefaultMySQLSchema }

func (mysqlSchema) SubscribeIsolationLevel() sql.IsolationLevel { return sql.LevelReadCommitted }

// SchemaInitializingQueries creates Watermill's tables utf8mb4 with utf8mb4_bin, as every table of
// Atrium's (dal.WithTableOptions): a server's default charset would mangle or refuse payloads and
// compare consumer groups without case.
func (s mysqlSchema) SchemaInitializingQueries(p wmsql.SchemaInitializingQueriesParams) ([]wmsql.Query, error) {
	qs, err := s.DefaultMySQLSchema.SchemaInitializingQueries(p)
	return withTableOptions(qs), err
}

// mysqlOffsets is Watermill's MySQL offsets adapter with Atrium's table options.
type mysqlOffsets struct {
	wmsql.DefaultMySQLOffsetsAdapter
}

// SchemaInitializingQueries implements wmsql.OffsetsAdapter.
func (a mysqlOffsets) SchemaInitializingQueries(p wmsql.OffsetsSchemaInitializingQueriesParams) ([]wmsql.Query, error) {
	qs, err := a.DefaultMySQLOffsetsAdapter.SchemaInitializingQueries(p)
	return withTableOptions(qs), err
}

func withTableOptions(qs []wmsql.Query) []wmsql.Query {
	for i := range qs {
		qs[i].Query = dal.WithTableOptions(qs[i].Query)
	}
	return qs
}

func (b *sqlBroker) Name() string                  { return "sql" }
func (b *sqlBroker) Topic(eventType string) string { return b.prefix + eventType }
func (b *sqlBroker) headerPrefix() string          { return "ce_" }
func (b *sqlBroker) inTx() bool                    { return true }
func (b *sqlBroker) Close() error                  { return nil }

func (b *sqlBroker) prepare(ctx context.Context, types []string) error {
	for _, t := range types {
		topic := b.Topic(t)
		if _, ok := b.ready.Load(topic); ok {
			continue
		}
		queries, err := b.schema.SchemaInitializingQueries(wmsql.SchemaInitializingQueriesParams{Topic: topic})
		if err != nil {
			return err
		}
		more, err := b.offsets.SchemaInitializingQueries(wmsql.OffsetsSchemaInitializingQueriesParams{Topic: topic})
		if err != nil {
			return err
		}
		for _, q := range append(queries, more...) {
			if _, err := b.db.Primary().ExecContext(ctx, q.Query, q.Args...); err != nil {
				return fmt.Errorf("mq: create the tables of %s: %w", topic, err)
			}
		}
		b.ready.Store(topic, struct{}{})
	}
	return nil
}

// execer is the transaction in ctx (or the primary pool) as Watermill's executor.
func (b *sqlBroker) execer(ctx context.Context) wmsql.ContextExecutor {
	if tx := b.db.StdTx(ctx); tx != nil {
		return wmsql.TxFromStdSQL(tx)
	}
	return wmsql.BeginnerFromStdSQL(b.db.Primary())
}

func (b *sqlBroker) Publish(ctx context.Context, envs []Envelope) (int, error) {
	types := make([]string, 0, len(envs))
	for _, e := range envs {
		types = append(types, e.Type)
	}
	if !b.db.InTransaction(ctx) {
		if err := b.prepare(ctx, types); err != nil {
			return 0, err
		}
	}
	pub, err := wmsql.NewPublisher(b.execer(ctx), wmsql.PublisherConfig{SchemaAdapter: b.schema}, b.log)
	if err != nil {
		return 0, err
	}
	return publishEach(pub, envs, b.Topic, b.headerPrefix())
}

// Publisher publishes on the transaction a message's context carries (the consumer's, for the
// poison queue), or on its own.
func (b *sqlBroker) Publisher() message.Publisher { return sqlTxPublisher{b} }

type sqlTxPublisher struct{ b *sqlBroker }

func (p sqlTxPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		var exec wmsql.ContextExecutor = wmsql.BeginnerFromStdSQL(p.b.db.Primary())
		if tx, ok := wmsql.TxFromContext(m.Context()); ok {
			exec = tx
		} else if err := p.b.prepareTopic(m.Context(), topic); err != nil {
			return err
		}
		pub, err := wmsql.NewPublisher(exec, wmsql.PublisherConfig{SchemaAdapter: p.b.schema}, p.b.log)
		if err != nil {
			return err
		}
		if err := pub.Publish(topic, m); err != nil {
			return err
		}
	}
	return nil
}

func (p sqlTxPublisher) Close() error { return nil }

func (b *sqlBroker) prepareTopic(ctx context.Context, topic string) error {
	return b.prepare(ctx, []string{strings.TrimPrefix(topic, b.prefix)})
}

func (b *sqlBroker) Subscriber(group string) (message.Subscriber, error) {
	return wmsql.NewSubscriber(wmsql.BeginnerFromStdSQL(b.db.Primary()), wmsql.SubscriberConfig{
		ConsumerGroup:    safeName(group),
		SchemaAdapter:    b.schema,
		OffsetsAdapter:   b.offsets,
		InitializeSchema: true,
		PollInterval:     b.poll,
		ResendInterval:   b.poll,
		RetryInterval:    b.poll,
	}, b.log)
}

// --- NATS JetStream --------------------------------------------------------------------------

type natsBroker struct {
	url    string
	conn   *nats.Conn
	js     nats.JetStreamContext
	prefix string
	stream string
	log    watermill.LoggerAdapter
	pub    *wmnats.Publisher
	// poison publishes without the message id: a poisoned message keeps its event's id, and
	// JetStream would drop it as a duplicate of the event.
	poison *wmnats.Publisher
	mu     sync.Mutex
	ready  bool
}

func natsConnect(url string) (*nats.Conn, error) {
	conn, err := nats.Connect(url, nats.Name("atrium"), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("mq: nats %s: %w", url, err)
	}
	return conn, nil
}

// openNATS connects in the background if the server is down: the relay's publishes fail (and are
// retried) until it is up.
func openNATS(_ context.Context, cfg Config, log watermill.LoggerAdapter) (*natsBroker, error) {
	conn, err := natsConnect(cfg.URL)
	if err != nil {
		return nil, err
	}
	js, err := conn.JetStream(nats.MaxWait(5 * time.Second))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("mq: nats jetstream: %w", err)
	}
	b := &natsBroker{url: cfg.URL, conn: conn, js: js, prefix: cfg.Prefix, log: log,
		stream: strings.ToUpper(safeName(strings.TrimSuffix(cfg.Prefix, ".")))}
	pub := func(track bool) (*wmnats.Publisher, error) {
		return wmnats.NewPublisherWithNatsConn(conn, wmnats.PublisherPublishConfig{
			Marshaler:         &wmnats.NATSMarshaler{},
			SubjectCalculator: wmnats.DefaultSubjectCalculator,
			// TrackMsgId makes JetStream drop a message it already has (by event id, within the
			// stream's duplicate window): a relay that publishes again after a crash adds nothing.
			JetStream: wmnats.JetStreamConfig{TrackMsgId: track},
		}, log)
	}
	if b.pub, err = pub(true); err == nil {
		b.poison, err = pub(false)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return b, nil
}

func (b *natsBroker) Name() string                  { return "nats" }
func (b *natsBroker) Topic(eventType string) string { return b.prefix + eventType }
func (b *natsBroker) headerPrefix() string          { return "ce-" }
func (b *natsBroker) Publisher() message.Publisher  { return b.poison }
func (b *natsBroker) Close() error                  { b.conn.Close(); return nil }

// ensureStream makes the stream over prefix.> if it is missing.
func (b *natsBroker) ensureStream() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ready {
		return nil
	}
	if _, err := b.js.StreamInfo(b.stream); err != nil {
		if !errors.Is(err, nats.ErrStreamNotFound) {
			return fmt.Errorf("mq: nats stream %s: %w", b.stream, err)
		}
		if _, err := b.js.AddStream(&nats.StreamConfig{Name: b.stream, Subjects: []string{b.prefix + ">"},
			Storage: nats.FileStorage, Duplicates: 10 * time.Minute}); err != nil && !errors.Is(err, nats.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("mq: nats create stream %s: %w", b.stream, err)
		}
	}
	b.ready = true
	return nil
}

func (b *natsBroker) prepare(context.Context, []string) error { return b.ensureStream() }

func (b *natsBroker) Publish(_ context.Context, envs []Envelope) (int, error) {
	if err := b.ensureStream(); err != nil {
		return 0, err
	}
	return publishEach(b.pub, envs, b.Topic, b.headerPrefix())
}

// Subscriber subscribes through a durable push consumer per group and type, made here (not by
// the subscription) so that it outlives the subscriber: events published while the group is away
// wait for it.
func (b *natsBroker) Subscriber(group string) (message.Subscriber, error) {
	if err := b.ensureStream(); err != nil {
		return nil, err
	}
	name := func(topic string) string { return safeName(group) + "_" + safeName(topic) }
	// A connection of its own: Watermill's subscriber closes its connection when it closes.
	conn, err := natsConnect(b.url)
	if err != nil {
		return nil, err
	}
	// The subscription asks for the deliver policy its consumer was made with (below): a node's
	// own group starts at new events, a shared group at all. Asking DeliverAll of a node's
	// consumer failed every subscription after the first ("configuration requests deliver policy
	// to be 0, but consumer's value is 2"), so consumers restarted after a broker outage could
	// never subscribe again.
	deliver := nats.DeliverAll()
	if isNodeGroup(group) {
		deliver = nats.DeliverNew()
	}
	inner, err := wmnats.NewSubscriberWithNatsConn(conn, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler:      &wmnats.NATSMarshaler{},
		QueueGroupPrefix: safeName(group),
		SubscribersCount: 1,
		AckWaitTimeout:   30 * time.Second,
		CloseTimeout:     5 * time.Second,
		SubjectCalculator: func(_, topic string) *wmnats.SubjectDetail {
			return &wmnats.SubjectDetail{Primary: topic, QueueGroup: name(topic)}
		},
		JetStream: wmnats.JetStreamConfig{
			DurablePrefix:     safeName(group),
			DurableCalculator: func(_, topic string) string { return name(topic) },
			SubscribeOptions:  []nats.SubOpt{nats.ManualAck(), nats.AckExplicit(), deliver},
		},
	}, b.log)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &natsSubscriber{Subscriber: inner, b: b, name: name, node: isNodeGroup(group)}, nil
}

type natsSubscriber struct {
	*wmnats.Subscriber
	b    *natsBroker
	name func(topic string) string
	node bool
}

func (s *natsSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	durable := s.name(topic)
	if _, err := s.b.js.ConsumerInfo(s.b.stream, durable); err != nil {
		if !errors.Is(err, nats.ErrConsumerNotFound) {
			return nil, fmt.Errorf("mq: nats consumer %s: %w", durable, err)
		}
		cc := &nats.ConsumerConfig{Durable: durable, DeliverGroup: durable,
			DeliverSubject: "_atrium.deliver." + durable, FilterSubject: topic, AckPolicy: nats.AckExplicitPolicy,
			DeliverPolicy: nats.DeliverAllPolicy, AckWait: 30 * time.Second}
		if s.node {
			cc.DeliverPolicy, cc.InactiveThreshold = nats.DeliverNewPolicy, time.Hour
		}
		if _, err := s.b.js.AddConsumer(s.b.stream, cc); err != nil {
			return nil, fmt.Errorf("mq: nats create consumer %s: %w", durable, err)
		}
	}
	return s.Subscriber.Subscribe(ctx, topic)
}

// --- RabbitMQ --------------------------------------------------------------------------------

type amqpBroker struct {
	url      string
	exchange string
	log      watermill.LoggerAdapter
	mu       sync.Mutex
	pub      *wmamqp.Publisher
}

func openAMQP(cfg Config, log watermill.LoggerAdapter) (*amqpBroker, error) {
	return &amqpBroker{url: cfg.URL, exchange: strings.TrimSuffix(cfg.Prefix, "."), log: log}, nil
}

func (b *amqpBroker) config(queue func(topic string) string) wmamqp.Config {
	return wmamqp.Config{
		Connection: wmamqp.ConnectionConfig{AmqpURI: b.url, Reconnect: wmamqp.DefaultReconnectConfig()},
		Marshaler:  wmamqp.DefaultMarshaler{},
		Exchange:   wmamqp.ExchangeConfig{GenerateName: wmamqp.GenerateExchangeNameConstant(b.exchange), Type: "topic", Durable: true},
		Queue:      wmamqp.QueueConfig{GenerateName: queue, Durable: true},
		QueueBind:  wmamqp.QueueBindConfig{GenerateRoutingKey: func(topic string) string { return topic }},
		// ConfirmDelivery: Publish returns once RabbitMQ has the message, so the relay marks
		// only what the broker holds.
		Publish:         wmamqp.PublishConfig{GenerateRoutingKey: func(topic string) string { return topic }, ConfirmDelivery: true},
		Consume:         wmamqp.ConsumeConfig{Qos: wmamqp.QosConfig{PrefetchCount: 16}},
		TopologyBuilder: &wmamqp.DefaultTopologyBuilder{},
	}
}

func (b *amqpBroker) Name() string                  { return "rabbitmq" }
func (b *amqpBroker) Topic(eventType string) string { return eventType }
func (b *amqpBroker) headerPrefix() string          { return "cloudEvents:" }

// publisher connects on first use and again after a failure to connect.
func (b *amqpBroker) publisher() (*wmamqp.Publisher, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pub != nil {
		return b.pub, nil
	}
	pub, err := wmamqp.NewPublisher(b.config(nil), b.log)
	if err != nil {
		return nil, fmt.Errorf("mq: rabbitmq: %w", err)
	}
	b.pub = pub
	return pub, nil
}

func (b *amqpBroker) Publish(_ context.Context, envs []Envelope) (int, error) {
	pub, err := b.publisher()
	if err != nil {
		return 0, err
	}
	return publishEach(pub, envs, b.Topic, b.headerPrefix())
}

func (b *amqpBroker) Publisher() message.Publisher { return lazyPublisher{b.publisher} }

func (b *amqpBroker) Subscriber(group string) (message.Subscriber, error) {
	c := b.config(func(topic string) string { return b.exchange + "." + group + "." + topic })
	if isNodeGroup(group) {
		c.Queue.Durable, c.Queue.AutoDelete = false, true
	}
	return wmamqp.NewSubscriber(c, b.log)
}

func (b *amqpBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pub != nil {
		return b.pub.Close()
	}
	return nil
}

// lazyPublisher is a Watermill publisher whose connection is made on first use.
type lazyPublisher struct {
	get func() (*wmamqp.Publisher, error)
}

func (l lazyPublisher) Publish(topic string, msgs ...*message.Message) error {
	p, err := l.get()
	if err != nil {
		return err
	}
	return p.Publish(topic, msgs...)
}

func (l lazyPublisher) Close() error { return nil }

// --- Kafka -----------------------------------------------------------------------------------

type kafkaBroker struct {
	brokers []string
	prefix  string
	log     watermill.LoggerAdapter
	mu      sync.Mutex
	pub     *wmkafka.Publisher
	ready   map[string]bool
}

// Partitions is how many partitions the topics Atrium creates on Kafka have.
const Partitions = 4

func openKafka(cfg Config, log watermill.LoggerAdapter) (*kafkaBroker, error) {
	var brokers []string
	for _, s := range strings.Split(cfg.URL, ",") {
		if s = strings.TrimSpace(strings.TrimPrefix(s, "kafka://")); s != "" {
			brokers = append(brokers, s)
		}
	}
	return &kafkaBroker{brokers: brokers, prefix: cfg.Prefix, log: log, ready: map[string]bool{}}, nil
}

// marshaler keys each message by its envelope's key (the trade id): Kafka's hash partitioner
// keeps one key's events in one partition, in order.
var kafkaMarshaler = wmkafka.NewWithPartitioningMarshaler(func(_ string, msg *message.Message) (string, error) {
	return msg.Metadata.Get("ce_" + attrSub), nil
})

func (b *kafkaBroker) saramaConfig() *sarama.Config {
	c := wmkafka.DefaultSaramaSyncPublisherConfig()
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Metadata.AllowAutoTopicCreation = false
	c.ClientID = "atrium"
	return c
}

func (b *kafkaBroker) Name() string                  { return "kafka" }
func (b *kafkaBroker) Topic(eventType string) string { return b.prefix + eventType }
func (b *kafkaBroker) headerPrefix() string          { return "ce_" }

func (b *kafkaBroker) publisher() (*wmkafka.Publisher, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pub != nil {
		return b.pub, nil
	}
	pub, err := wmkafka.NewPublisher(wmkafka.PublisherConfig{Brokers: b.brokers, Marshaler: kafkaMarshaler,
		OverwriteSaramaConfig: b.saramaConfig()}, b.log)
	if err != nil {
		return nil, fmt.Errorf("mq: kafka: %w", err)
	}
	b.pub = pub
	return pub, nil
}

// prepare creates the types' topics (Partitions each) that do not exist yet.
func (b *kafkaBroker) prepare(_ context.Context, types []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var missing []string
	for _, t := range types {
		if !b.ready[b.Topic(t)] {
			missing = append(missing, b.Topic(t))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	admin, err := sarama.NewClusterAdmin(b.brokers, b.saramaConfig())
	if err != nil {
		return fmt.Errorf("mq: kafka admin: %w", err)
	}
	defer admin.Close()
	for _, topic := range missing {
		err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: Partitions, ReplicationFactor: 1}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("mq: kafka create topic %s: %w", topic, err)
		}
		b.ready[topic] = true
	}
	return nil
}

func (b *kafkaBroker) Publish(ctx context.Context, envs []Envelope) (int, error) {
	pub, err := b.publisher()
	if err != nil {
		return 0, err
	}
	types := make([]string, 0, len(envs))
	for _, e := range envs {
		types = append(types, e.Type)
	}
	if err := b.prepare(ctx, types); err != nil {
		return 0, err
	}
	return publishEach(pub, envs, b.Topic, b.headerPrefix())
}

func (b *kafkaBroker) Publisher() message.Publisher { return kafkaLazy{b} }

type kafkaLazy struct{ b *kafkaBroker }

func (l kafkaLazy) Publish(topic string, msgs ...*message.Message) error {
	if err := l.b.prepare(context.Background(), []string{strings.TrimPrefix(topic, l.b.prefix)}); err != nil {
		return err
	}
	p, err := l.b.publisher()
	if err != nil {
		return err
	}
	return p.Publish(topic, msgs...)
}

func (l kafkaLazy) Close() error { return nil }

func (b *kafkaBroker) Subscriber(group string) (message.Subscriber, error) {
	c := wmkafka.DefaultSaramaSubscriberConfig()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	if isNodeGroup(group) {
		c.Consumer.Offsets.Initial = sarama.OffsetNewest
	}
	c.ClientID = "atrium"
	return wmkafka.NewSubscriber(wmkafka.SubscriberConfig{Brokers: b.brokers, Unmarshaler: kafkaMarshaler,
		ConsumerGroup: safeName(group), OverwriteSaramaConfig: c,
		InitializeTopicDetails: &sarama.TopicDetail{NumPartitions: Partitions, ReplicationFactor: 1}}, b.log)
}

func (b *kafkaBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pub != nil {
		return b.pub.Close()
	}
	return nil
}
