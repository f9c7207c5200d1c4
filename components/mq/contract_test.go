package mq_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/mq"
	"github.com/atriumtrade/atrium/components/mq/outbox"
)

// The contract every broker keeps; each case below runs it against a real one: the SQL broker
// on SQLite and on MariaDB, NATS JetStream and RabbitMQ on the machine's servers, Kafka on
// franz-go's in-process kfake cluster.

const (
	natsURL   = "nats://127.0.0.1:4222"
	rabbitURL = "amqp://guest:guest@127.0.0.1:5672/"
)

func sets() []dal.Migrations {
	// contract_effects has no key on the event: a handler that runs twice for one event leaves two
	// rows, so the count of effects shows a repeat the consumer's inbox let through (with a key,
	// the second insert failed and the test passed with the inbox switched off).
	return []dal.Migrations{outbox.Migrations(), mq.Migrations(), {Component: "contract", FS: fstest.MapFS{"001_effects.sql": {Data: []byte(`CREATE TABLE contract_effects (consumer VARCHAR(64) NOT NULL, event_id VARCHAR(64) NOT NULL);
CREATE INDEX contract_effects_by_consumer ON contract_effects (consumer, event_id);`)}}}}
}

// testPrefix keeps each test's topics, streams, exchanges and queues apart from every other run.
func testPrefix(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "atriumtest" + hex.EncodeToString(b[:]) + "."
}

func reachable(t testing.TB, what, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		daltest.Unreachable(t, what, err)
		return
	}
	c.Close()
}

type brokerCase struct {
	name string
	open func(t testing.TB) (mq.Broker, *dal.DB)
}

func openBroker(t testing.TB, cfg mq.Config, db *dal.DB) mq.Broker {
	t.Helper()
	cfg.Relay.Poll = 50 * time.Millisecond
	b, err := mq.Open(context.Background(), cfg, db, nil)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Broker, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func brokerCases() []brokerCase {
	return []brokerCase{
		{"sql-sqlite", func(t testing.TB) (mq.Broker, *dal.DB) {
			db := daltest.SQLite(t, sets())
			return openBroker(t, mq.Config{Broker: "sql", Prefix: testPrefix(t)}, db), db
		}},
		{"sql-mariadb", func(t testing.TB) (mq.Broker, *dal.DB) {
			db := daltest.MySQL(t, sets())
			return openBroker(t, mq.Config{Broker: "sql", Prefix: testPrefix(t)}, db), db
		}},
		{"nats", func(t testing.TB) (mq.Broker, *dal.DB) {
			reachable(t, "NATS", "127.0.0.1:4222")
			prefix := testPrefix(t)
			t.Cleanup(func() { deleteNATSStream(prefix) })
			return openBroker(t, mq.Config{Broker: "nats", URL: natsURL, Prefix: prefix}, nil), daltest.SQLite(t, sets())
		}},
		{"rabbitmq", func(t testing.TB) (mq.Broker, *dal.DB) {
			reachable(t, "RabbitMQ", "127.0.0.1:5672")
			prefix := testPrefix(t)
			t.Cleanup(func() { deleteRabbit(prefix) })
			return openBroker(t, mq.Config{Broker: "rabbitmq", URL: rabbitURL, Prefix: prefix}, nil), daltest.SQLite(t, sets())
		}},
		{"kafka-kfake", func(t testing.TB) (mq.Broker, *dal.DB) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			url := strings.Join(c.ListenAddrs(), ",")
			return openBroker(t, mq.Config{Broker: "kafka", URL: url, Prefix: testPrefix(t)}, nil), daltest.SQLite(t, sets())
		}},
	}
}

func deleteNATSStream(prefix string) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return
	}
	defer nc.Close()
	if js, err := nc.JetStream(); err == nil {
		_ = js.DeleteStream(strings.ToUpper(strings.TrimSuffix(prefix, ".")))
	}
}

// deleteRabbit removes the exchange and the queues a test made (queues are named after the
// exchange, see mq's package doc).
func deleteRabbit(prefix string) {
	conn, err := amqp.Dial(rabbitURL)
	if err != nil {
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return
	}
	ex := strings.TrimSuffix(prefix, ".")
	for _, g := range []string{"g1", "g2", "g3", "poison-watch"} {
		for _, typ := range []string{"contract.a", "contract.b", "poison"} {
			_, _ = ch.QueueDelete(ex+"."+g+"."+typ, false, false, false)
		}
	}
	_ = ch.ExchangeDelete(ex, false, false)
}

func envelope(i int, typ, key string) mq.Envelope {
	data, _ := json.Marshal(map[string]int{"n": i})
	return mq.Envelope{ID: fmt.Sprintf("E%06d", i), Type: typ, Tenant: "acme", Source: "atrium-test",
		Time: time.UnixMilli(1_790_000_000_000 + int64(i)).UTC(), Key: key, Data: data}
}

// seen collects what handlers received.
type seen struct {
	mu  sync.Mutex
	got map[string][]mq.Envelope // group -> envelopes in arrival order
}

func (s *seen) add(group string, e mq.Envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.got == nil {
		s.got = map[string][]mq.Envelope{}
	}
	s.got[group] = append(s.got[group], e)
}

func (s *seen) count(group string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got[group])
}

func (s *seen) of(group string) []mq.Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mq.Envelope(nil), s.got[group]...)
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var fastRetry = mq.RetryConfig{MaxRetries: 2, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond}

// effect records that consumer handled event id, in the handler's transaction: the primary key
// makes a second effect of one event fail loudly.
func effect(ctx context.Context, db *dal.DB, consumer, id string) error {
	_, err := db.Q(ctx).ExecContext(ctx, `INSERT INTO contract_effects (consumer, event_id) VALUES (?, ?)`, consumer, id)
	return err
}

func effects(t *testing.T, db *dal.DB, consumer string) int {
	t.Helper()
	var n int
	if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM contract_effects WHERE consumer = ?`, consumer).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func startConsumers(t *testing.T, c *mq.Consumers) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	select {
	case <-c.Ready():
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("consumers not ready after 30s")
	}
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return sync.OnceFunc(stop)
}

func TestBrokerContract(t *testing.T) {
	for _, bc := range brokerCases() {
		t.Run(bc.name, func(t *testing.T) {
			t.Run("delivers every event in its envelope, one key's in order", func(t *testing.T) {
				b, db := bc.open(t)
				var s seen
				c := mq.NewConsumers(b, db, fastRetry, nil)
				c.Handle("g1", "g1", []string{"contract.a", "contract.b"}, func(ctx context.Context, e mq.Envelope) error {
					s.add("g1", e)
					return effect(ctx, db, "g1", e.ID)
				})
				startConsumers(t, c)
				var envs []mq.Envelope
				for i := range 40 {
					envs = append(envs, envelope(i, []string{"contract.a", "contract.b"}[i%2], []string{"T1", "T2", "T3"}[i%3]))
				}
				if n, err := b.Publish(context.Background(), envs); err != nil || n != len(envs) {
					t.Fatalf("publish: %d %v", n, err)
				}
				waitFor(t, "40 events", 30*time.Second, func() bool { return s.count("g1") >= 40 })
				byID := map[string]mq.Envelope{}
				last := map[string]string{}
				for _, e := range s.of("g1") {
					byID[e.ID] = e
					k := e.Type + "/" + e.Key
					if e.ID <= last[k] {
						t.Errorf("%s arrived after %s on %s", e.ID, last[k], k)
					}
					last[k] = e.ID
				}
				for _, want := range envs {
					got, ok := byID[want.ID]
					if !ok {
						t.Errorf("%s never arrived", want.ID)
						continue
					}
					if got.Type != want.Type || got.Tenant != want.Tenant || got.Source != want.Source || got.Key != want.Key ||
						!got.Time.Equal(want.Time) || string(got.Data) != string(want.Data) {
						t.Errorf("got %+v, want %+v", got, want)
					}
				}
				if n := effects(t, db, "g1"); n != 40 {
					t.Errorf("%d effects, want 40", n)
				}
			})

			// A node's own group (cache invalidations) subscribes again after its subscriber
			// closed, as the consumers do when they restart after a broker outage, and gets what
			// is published then. On NATS the second subscription once asked for another deliver
			// policy than its consumer's and was refused, every time.
			t.Run("a node's group subscribes again after a restart", func(t *testing.T) {
				if !strings.HasPrefix(bc.name, "nats") {
					t.Skip("guards NATS's deliver policy; the other brokers' node groups are covered by the platform's cache tests")
				}
				b, _ := bc.open(t)
				group := mq.NodeGroup("n1")
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				for round := range 2 {
					sub, err := b.Subscriber(group)
					if err != nil {
						t.Fatal(err)
					}
					sctx, stop := context.WithCancel(ctx)
					ch, err := sub.Subscribe(sctx, b.Topic("contract.a"))
					if err != nil {
						t.Fatalf("round %d: subscribe: %v", round, err)
					}
					// A node's group starts at new events, and some brokers join a group a moment
					// after Subscribe returns: publish until one arrives.
					tick := time.NewTicker(300 * time.Millisecond)
				wait:
					for i := 0; ; i++ {
						if _, err := b.Publish(ctx, []mq.Envelope{envelope(100*(round+1)+i, "contract.a", "T1")}); err != nil {
							t.Fatal(err)
						}
						select {
						case msg, open := <-ch:
							if !open {
								t.Fatalf("round %d: the subscription closed", round)
							}
							msg.Ack()
							break wait
						case <-tick.C:
						case <-ctx.Done():
							t.Fatalf("round %d: nothing arrived", round)
						}
					}
					tick.Stop()
					stop()
					if err := sub.Close(); err != nil {
						t.Fatalf("round %d: close: %v", round, err)
					}
				}
			})

			t.Run("headers carry the CloudEvents attributes", func(t *testing.T) {
				b, _ := bc.open(t)
				sub, err := b.Subscriber("g1")
				if err != nil {
					t.Fatal(err)
				}
				defer sub.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				ch, err := sub.Subscribe(ctx, b.Topic("contract.a"))
				if err != nil {
					t.Fatal(err)
				}
				want := envelope(7, "contract.a", "T9")
				// An address as buyers write it: on a database whose default charset is latin1 the
				// SQL broker's tables once lost it.
				want.Data = []byte(`{"n":7,"address":"浙江省杭州市西湖区文三路100号"}`)
				if _, err := b.Publish(ctx, []mq.Envelope{want}); err != nil {
					t.Fatal(err)
				}
				select {
				case msg := <-ch:
					msg.Ack()
					for attr, v := range map[string]string{"specversion": "1.0", "id": want.ID, "type": want.Type, "source": want.Source,
						"subject": want.Key, "tenant": "acme", "dataschema": "atrium:contract.a:v1", "time": want.Time.Format(time.RFC3339Nano)} {
						if got := mq.Header(b, msg, attr); got != v {
							t.Errorf("header %s = %q, want %q (metadata %v)", attr, got, v, msg.Metadata)
						}
						// The names consumers outside Atrium read, as the README documents them
						// (CloudEvents' bindings): not whatever the broker's prefix happens to be.
						if name := documentedPrefix[b.Name()] + attr; msg.Metadata.Get(name) != v {
							t.Errorf("documented header %s = %q, want %q (metadata %v)", name, msg.Metadata.Get(name), v, msg.Metadata)
						}
					}
					if msg.UUID != want.ID {
						t.Errorf("message id %q, want %q", msg.UUID, want.ID)
					}
					if !strings.Contains(string(msg.Payload), "浙江省杭州市西湖区文三路100号") {
						t.Errorf("payload %s lost the address", msg.Payload)
					}
				case <-ctx.Done():
					t.Fatal("no message")
				}
			})

			t.Run("every group gets every event and a repeat has its effect once", func(t *testing.T) {
				b, db := bc.open(t)
				var s seen
				c := mq.NewConsumers(b, db, fastRetry, nil)
				for _, g := range []string{"g1", "g2"} {
					c.Handle(g, g, []string{"contract.a"}, func(ctx context.Context, e mq.Envelope) error {
						s.add(g, e)
						return effect(ctx, db, g, e.ID)
					})
				}
				startConsumers(t, c)
				var envs []mq.Envelope
				for i := range 10 {
					envs = append(envs, envelope(100+i, "contract.a", "T1"))
				}
				// The relay publishing again after a crash: the same events twice.
				for range 2 {
					if _, err := b.Publish(context.Background(), envs); err != nil {
						t.Fatal(err)
					}
				}
				marker := envelope(200, "contract.a", "T1")
				if _, err := b.Publish(context.Background(), []mq.Envelope{marker}); err != nil {
					t.Fatal(err)
				}
				for _, g := range []string{"g1", "g2"} {
					waitFor(t, g+"'s marker", 30*time.Second, func() bool {
						for _, e := range s.of(g) {
							if e.ID == marker.ID {
								return true
							}
						}
						return false
					})
					// A handler has run before its consumer's transaction commits the effect: wait
					// for the commits, then count.
					waitFor(t, g+"'s effects", 30*time.Second, func() bool { return effects(t, db, g) >= 11 })
					if n := effects(t, db, g); n != 11 {
						t.Errorf("%s: %d effects of 11 events published twice, want 11", g, n)
					}
					if n := s.count(g); n != 11 {
						t.Errorf("%s: handler ran %d times for 11 distinct events, want 11 (the inbox skips repeats)", g, n)
					}
				}
			})

			t.Run("a failing handler is retried and a hopeless event goes to the poison topic", func(t *testing.T) {
				b, db := bc.open(t)
				watch, err := b.Subscriber("poison-watch")
				if err != nil {
					t.Fatal(err)
				}
				defer watch.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				poisonCh, err := watch.Subscribe(ctx, b.Topic(mq.PoisonType))
				if err != nil {
					t.Fatal(err)
				}
				var mu sync.Mutex
				attempts := map[string]int{}
				c := mq.NewConsumers(b, db, fastRetry, nil)
				c.Handle("g1", "g1", []string{"contract.a"}, func(ctx context.Context, e mq.Envelope) error {
					mu.Lock()
					attempts[e.ID]++
					n := attempts[e.ID]
					mu.Unlock()
					// The effect is written before the failure: the failed attempts' writes must
					// roll back, or the final attempt would hit the primary key.
					if err := effect(ctx, db, "g1", e.ID); err != nil {
						return err
					}
					switch {
					case e.ID == "E000300":
						return errors.New("never works")
					case e.ID == "E000301" && n < 3:
						return errors.New("works the third time")
					}
					return nil
				})
				startConsumers(t, c)
				if _, err := b.Publish(ctx, []mq.Envelope{envelope(300, "contract.a", "T1"), envelope(301, "contract.a", "T2"),
					envelope(302, "contract.a", "T3")}); err != nil {
					t.Fatal(err)
				}
				select {
				case msg := <-poisonCh:
					msg.Ack()
					if msg.UUID != "E000300" || !strings.Contains(msg.Metadata.Get(middleware.ReasonForPoisonedKey), "never works") ||
						msg.Metadata.Get(middleware.PoisonedTopicKey) != b.Topic("contract.a") {
						t.Errorf("poisoned %s with %v", msg.UUID, msg.Metadata)
					}
				case <-ctx.Done():
					t.Fatal("nothing reached the poison topic")
				}
				waitFor(t, "the other two events", 30*time.Second, func() bool { return effects(t, db, "g1") == 2 })
				mu.Lock()
				defer mu.Unlock()
				if attempts["E000300"] != 3 || attempts["E000301"] != 3 || attempts["E000302"] != 1 {
					t.Errorf("attempts %v; want 3 (2 retries) for the hopeless one, 3 for the one that recovers, 1 for the good one", attempts)
				}
			})

			t.Run("events wait for a group that is away", func(t *testing.T) {
				b, db := bc.open(t)
				var s seen
				newConsumers := func() *mq.Consumers {
					c := mq.NewConsumers(b, db, fastRetry, nil)
					c.Handle("g3", "g3", []string{"contract.b"}, func(ctx context.Context, e mq.Envelope) error {
						s.add("g3", e)
						return effect(ctx, db, "g3", e.ID)
					})
					return c
				}
				stop := startConsumers(t, newConsumers())
				if _, err := b.Publish(context.Background(), []mq.Envelope{envelope(400, "contract.b", "T1")}); err != nil {
					t.Fatal(err)
				}
				// Its effect committed, not just seen by the handler: stopping the group between the
				// two would leave the first event to be redelivered, which is another test's matter.
				waitFor(t, "the first event", 30*time.Second, func() bool { return effects(t, db, "g3") == 1 })
				stop()
				var envs []mq.Envelope
				for i := range 5 {
					envs = append(envs, envelope(401+i, "contract.b", "T1"))
				}
				if _, err := b.Publish(context.Background(), envs); err != nil {
					t.Fatal(err)
				}
				startConsumers(t, newConsumers())
				waitFor(t, "the events published while away", 30*time.Second, func() bool { return effects(t, db, "g3") == 6 })
			})
		})
	}
}

// documentedPrefix is each broker's CloudEvents header prefix as the README gives it: ce_ on Kafka
// and in the SQL broker, ce- on NATS, cloudEvents: on RabbitMQ (AMQP's binding).
var documentedPrefix = map[string]string{"sql": "ce_", "nats": "ce-", "rabbitmq": "cloudEvents:", "kafka": "ce_"}
