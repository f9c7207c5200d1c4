package mq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	wmsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// Handler handles one event inside the consumer's transaction (ctx carries it: dal's Q joins
// it). An error rolls the handler's writes back; the event is tried again.
type Handler func(ctx context.Context, env Envelope) error

// RetryConfig says how a failing handler is retried before its event goes to the poison topic.
type RetryConfig struct {
	MaxRetries      int
	InitialInterval time.Duration
	MaxInterval     time.Duration
}

// DefaultRetry: 6 attempts over about 3 seconds.
var DefaultRetry = RetryConfig{MaxRetries: 5, InitialInterval: 100 * time.Millisecond, MaxInterval: 2 * time.Second}

// Consumers runs handlers of events from a broker on Watermill's router.
//
// Each handler belongs to a consumer group (the group's members share its events; every group
// gets every event) and has a name, its inbox key. The handler runs in a transaction that
// first records (name, event id) in mq_inbox: an event already there is acknowledged without
// running the handler again, so redeliveries and the relay's repeats have their effect once. On
// the SQL broker that transaction is the subscription's own, so the inbox row, the handler's
// writes and the acknowledged offset commit together.
type Consumers struct {
	b     Broker
	db    *dal.DB
	log   *slog.Logger
	retry RetryConfig
	subs  []subscription
	ready chan struct{}
	once  sync.Once
}

type subscription struct {
	name, group string
	types       []string
	h           Handler
}

// NewConsumers returns consumers of b's events whose inbox and effects are in db.
func NewConsumers(b Broker, db *dal.DB, retry RetryConfig, log *slog.Logger) *Consumers {
	if log == nil {
		log = slog.Default()
	}
	if retry.MaxRetries == 0 && retry.InitialInterval == 0 {
		retry = DefaultRetry
	}
	return &Consumers{b: b, db: db, log: log.With("component", "consumers", "broker", b.Name()), retry: retry, ready: make(chan struct{})}
}

// Handle adds handler name in group for events of types. Call before Run.
func (c *Consumers) Handle(name, group string, types []string, h Handler) {
	c.subs = append(c.subs, subscription{name: name, group: group, types: types, h: h})
}

// Ready is closed once every subscription is in place (a broker like RabbitMQ keeps only the
// events published after its queue exists).
func (c *Consumers) Ready() <-chan struct{} { return c.ready }

// Run consumes until ctx ends; while the broker is unreachable it keeps trying.
func (c *Consumers) Run(ctx context.Context) {
	go c.prune(ctx)
	wait := time.Second
	for ctx.Err() == nil {
		err := c.run(ctx)
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("consumers stopped; restarting", "in", wait, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (c *Consumers) run(ctx context.Context) error {
	wl := watermillLogger(c.log)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wl)
	if err != nil {
		return err
	}
	poisonTopic := c.b.Topic(PoisonType)
	if p, ok := c.b.(preparer); ok {
		if err := p.prepare(ctx, []string{PoisonType}); err != nil {
			return err
		}
	}
	poison, err := middleware.PoisonQueue(c.b.Publisher(), poisonTopic)
	if err != nil {
		return err
	}
	router.AddMiddleware(poison, middleware.Retry{
		MaxRetries: c.retry.MaxRetries, InitialInterval: c.retry.InitialInterval, MaxInterval: c.retry.MaxInterval,
		Multiplier:  2,
		ShouldRetry: func(p middleware.RetryParams) bool { return !errors.Is(p.Err, ErrBadEnvelope) },
	}.Middleware, middleware.Recoverer)
	groups := map[string]message.Subscriber{}
	defer func() {
		for _, s := range groups {
			_ = s.Close()
		}
	}()
	for _, s := range c.subs {
		sub, ok := groups[s.group]
		if !ok {
			if sub, err = c.b.Subscriber(s.group); err != nil {
				return fmt.Errorf("mq: subscriber %s: %w", s.group, err)
			}
			groups[s.group] = sub
		}
		for _, t := range s.types {
			router.AddConsumerHandler(s.name+"/"+t, c.b.Topic(t), sub, c.wrap(s))
		}
	}
	go func() {
		select {
		case <-router.Running():
			c.once.Do(func() { close(c.ready) })
		case <-ctx.Done():
		}
	}()
	return router.Run(ctx)
}

// wrap runs s's handler on one message: in the subscription's transaction on the SQL broker, in
// a transaction of its own elsewhere, after the inbox says the event is new.
func (c *Consumers) wrap(s subscription) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		env, err := FromMessage(msg)
		if err != nil {
			poisoned.WithLabelValues(c.b.Name(), s.name).Inc()
			return err
		}
		duplicate := false
		handle := func(ctx context.Context) error {
			if _, err := c.db.Q(ctx).ExecContext(ctx, `INSERT INTO mq_inbox (consumer, event_id, processed_at) VALUES (?, ?, ?)`,
				s.name, env.ID, time.Now().UnixMilli()); err != nil {
				if dal.IsDuplicate(err) {
					duplicate = true
					return nil
				}
				return fmt.Errorf("mq: inbox: %w", err)
			}
			return s.h(ctx, env)
		}
		// The event's tenant routes its inbox row and its effects to the tenant's pod.
		ctx := msg.Context()
		if env.Tenant != "" {
			ctx = identity.WithTenant(ctx, env.Tenant)
		}
		if tx, ok := wmsql.TxFromContext(ctx); ok {
			std, ok := tx.(*wmsql.StdSQLTx)
			if !ok {
				return fmt.Errorf("mq: the SQL subscription's transaction is a %T", tx)
			}
			actx, after := c.db.Adopt(ctx, std.Tx)
			err = c.db.InSavepoint(actx, handle)
			if err == nil {
				after()
			}
		} else {
			err = c.db.InTx(ctx, handle)
		}
		switch {
		case err != nil:
			consumed.WithLabelValues(c.b.Name(), s.name, "failed").Inc()
			c.log.Warn("consumer failed", "consumer", s.name, "event", env.ID, "type", env.Type, "err", err)
		case duplicate:
			consumed.WithLabelValues(c.b.Name(), s.name, "duplicate").Inc()
		default:
			consumed.WithLabelValues(c.b.Name(), s.name, "handled").Inc()
		}
		return err
	}
}

// NodeGroup is the consumer group of one node alone, for events every node must see (a cache
// invalidation): brokers keep such a group only while the node is there (NATS drops its
// consumer after an hour without it, RabbitMQ deletes its queues when it disconnects) and start
// it at the newest event on Kafka and NATS. On the SQL broker it is an ordinary group.
func NodeGroup(node string) string { return nodeGroupPrefix + node }

const nodeGroupPrefix = "node."

func isNodeGroup(group string) bool { return strings.HasPrefix(group, nodeGroupPrefix) }

// InboxRetention is how long an inbox remembers an event: longer than any redelivery.
const InboxRetention = 7 * 24 * time.Hour

// prune forgets inbox entries older than InboxRetention, hourly.
func (c *Consumers) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		for _, p := range c.db.Pods() {
			if _, err := p.Q(ctx).ExecContext(ctx, `DELETE FROM mq_inbox WHERE processed_at < ?`,
				time.Now().Add(-InboxRetention).UnixMilli()); err != nil && ctx.Err() == nil {
				c.log.Warn("pruning the inbox", "pod", p.Name(), "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
