package mq_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq"
	"github.com/atriumtrade/atrium/components/mq/outbox"
)

// TestRelayChild is the relay process TestRelayKilledMidStream starts and kills; it does nothing
// in a normal test run.
func TestRelayChild(t *testing.T) {
	file := os.Getenv("ATRIUM_RELAY_CHILD_DB")
	if file == "" {
		t.Skip("the relay process of TestRelayKilledMidStream")
	}
	db, err := dal.Open(context.Background(), dal.Config{Driver: "sqlite", DSN: file})
	if err != nil {
		t.Fatal(err)
	}
	cfg := mq.Config{Broker: os.Getenv("ATRIUM_RELAY_CHILD_BROKER"), URL: os.Getenv("ATRIUM_RELAY_CHILD_URL"),
		Prefix: os.Getenv("ATRIUM_RELAY_CHILD_PREFIX"), Relay: mq.RelayConfig{Batch: 20, Poll: 20 * time.Millisecond}}
	b, err := mq.Open(context.Background(), cfg, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := idgen.New(2)
	w := outbox.NewWriter(db, func() string { return ids.NextString("E") })
	mq.NewRelay(db, w, b, cfg, "node-1", nil).Run(context.Background()) // until killed
}

// TestRelayKilledMidStream kills the relay's process with SIGKILL while it is relaying and
// starts it again: every committed event is delivered at least once, and a consumer that
// deduplicates through its inbox has each one's effect exactly once. On Kafka nothing drops the
// events relayed again after the kill, so the consumer sees them twice; on NATS, JetStream drops
// them by message id. Effects are rows without a key on the event, so a repeat the inbox let
// through shows in their count; on Kafka ten events are also sent again by hand, so that the
// inbox is put to work whether or not the kill made the relay repeat any.
func TestRelayKilledMidStream(t *testing.T) {
	const events = 3000
	for _, broker := range []string{"nats", "kafka"} {
		t.Run(broker, func(t *testing.T) {
			prefix := testPrefix(t)
			var url string
			switch broker {
			case "nats":
				reachable(t, "NATS", "127.0.0.1:4222")
				url = natsURL
				t.Cleanup(func() { deleteNATSStream(prefix) })
			case "kafka":
				c, err := kfake.NewCluster(kfake.NumBrokers(1))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(c.Close)
				url = strings.Join(c.ListenAddrs(), ",")
			}
			// The outbox, in a file the relay process opens too.
			file := filepath.Join(t.TempDir(), "outbox.db")
			odb, err := dal.Open(context.Background(), dal.Config{Driver: "sqlite", DSN: file})
			if err != nil {
				t.Fatal(err)
			}
			defer odb.Close()
			if _, err := odb.Migrate(context.Background(), sets(), nil); err != nil {
				t.Fatal(err)
			}
			ids, _ := idgen.New(1)
			w := outbox.NewWriter(odb, func() string { return ids.NextString("E") })
			for i := 0; i < events; i += 10 {
				if err := odb.InTx(context.Background(), func(ctx context.Context) error {
					for j := i; j < i+10; j++ {
						if _, err := w.Append(ctx, "contract.a", "acme", fmt.Sprintf("T%d", j%7), map[string]int{"n": j}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}

			// The consumer, with its inbox and effects in a database of its own.
			cdb := daltest.SQLite(t, sets())
			b := openBroker(t, mq.Config{Broker: broker, URL: url, Prefix: prefix}, nil)
			var calls atomic.Int64
			c := mq.NewConsumers(b, cdb, fastRetry, nil)
			c.Handle("kill", "kill", []string{"contract.a"}, func(ctx context.Context, e mq.Envelope) error {
				calls.Add(1)
				return effect(ctx, cdb, "kill", e.ID)
			})
			startConsumers(t, c)

			var deliveries atomic.Int64 // every delivery, duplicates included (a second group with no inbox check)
			raw, err := b.Subscriber("raw")
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			rctx, rcancel := context.WithCancel(context.Background())
			defer rcancel()
			ch, err := raw.Subscribe(rctx, b.Topic("contract.a"))
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				for m := range ch {
					deliveries.Add(1)
					m.Ack()
				}
			}()

			published := func() int {
				var n int
				_ = odb.Primary().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE published_at > 0`).Scan(&n)
				return n
			}
			start := func() *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^TestRelayChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), "ATRIUM_RELAY_CHILD_DB="+file, "ATRIUM_RELAY_CHILD_BROKER="+broker,
					"ATRIUM_RELAY_CHILD_URL="+url, "ATRIUM_RELAY_CHILD_PREFIX="+prefix)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				return cmd
			}
			cmd := start()
			waitFor(t, "the relay to be part-way", 60*time.Second, func() bool { return published() >= events/5 })
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			atKill := published()
			if atKill >= events {
				t.Fatalf("the relay finished (%d) before it was killed; the test needs it killed mid-stream", atKill)
			}
			cmd = start()
			defer func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }()
			waitFor(t, "every event's effect", 120*time.Second, func() bool { return effects(t, cdb, "kill") >= events })
			time.Sleep(300 * time.Millisecond) // late duplicates would show here
			if n := effects(t, cdb, "kill"); n != events {
				t.Fatalf("%d effects, want %d", n, events)
			}
			if broker == "kafka" {
				// Whether the kill made the relay send events again depends on where it landed; send
				// ten again for certain (Kafka keeps them; JetStream would drop them by message id),
				// then one new event behind them on the same partition: once its effect shows, the
				// repeats have been handled, and the inbox must have kept each one's effect single.
				var again []mq.Envelope
				rows, err := odb.Primary().Query(`SELECT event_id FROM outbox_events ORDER BY created_at, event_id LIMIT 10`)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; rows.Next(); i++ {
					e := envelope(i, "contract.a", "T0")
					if err := rows.Scan(&e.ID); err != nil {
						t.Fatal(err)
					}
					again = append(again, e)
				}
				rows.Close()
				again = append(again, envelope(999_999, "contract.a", "T0"))
				if _, err := b.Publish(context.Background(), again); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the event behind the repeats", 60*time.Second, func() bool { return effects(t, cdb, "kill") > events })
				if n := effects(t, cdb, "kill"); n != events+1 {
					t.Fatalf("%d effects after ten repeats and one new event; want %d (each repeat's effect once)", n, events+1)
				}
			}
			if got := deliveries.Load(); got < events {
				t.Fatalf("raw group saw %d deliveries, fewer than the %d events", got, events)
			}
			t.Logf("%s: killed at %d/%d marked published; %d raw deliveries (%d repeats), %d handler calls, %d effects",
				broker, atKill, events, deliveries.Load(), deliveries.Load()-events, calls.Load(), effects(t, cdb, "kill"))
		})
	}
}
