package mq_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq"
	"github.com/atriumtrade/atrium/components/mq/outbox"
)

// BenchmarkRelay measures the relay's throughput to each broker: b.N committed events relayed
// from the outbox (read, published in order, marked), reported as events/s. Run the brokers side
// by side in one run to compare them:
//
//	go test -run '^$' -bench BenchmarkRelay -benchtime 2000x ./components/mq/
func BenchmarkRelay(b *testing.B) {
	cases := []struct {
		name string
		open func(b *testing.B) (mq.Config, *dal.DB)
	}{
		{"sql-sqlite", func(b *testing.B) (mq.Config, *dal.DB) { return mq.Config{Broker: "sql"}, daltest.SQLite(b, sets()) }},
		{"sql-mariadb", func(b *testing.B) (mq.Config, *dal.DB) { return mq.Config{Broker: "sql"}, daltest.MySQL(b, sets()) }},
		{"nats", func(b *testing.B) (mq.Config, *dal.DB) {
			reachable(b, "NATS", "127.0.0.1:4222")
			return mq.Config{Broker: "nats", URL: natsURL}, daltest.SQLite(b, sets())
		}},
		{"rabbitmq", func(b *testing.B) (mq.Config, *dal.DB) {
			reachable(b, "RabbitMQ", "127.0.0.1:5672")
			return mq.Config{Broker: "rabbitmq", URL: rabbitURL}, daltest.SQLite(b, sets())
		}},
		{"kafka-kfake", func(b *testing.B) (mq.Config, *dal.DB) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			return mq.Config{Broker: "kafka", URL: strings.Join(c.ListenAddrs(), ",")}, daltest.SQLite(b, sets())
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			cfg, db := c.open(b)
			cfg.Prefix = testPrefix(b)
			if cfg.Broker == "nats" {
				b.Cleanup(func() { deleteNATSStream(cfg.Prefix) })
			}
			if cfg.Broker == "rabbitmq" {
				b.Cleanup(func() { deleteRabbit(cfg.Prefix) })
			}
			broker, err := mq.Open(context.Background(), cfg, db, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer broker.Close()
			ids, _ := idgen.New(1)
			w := outbox.NewWriter(db, func() string { return ids.NextString("E") })
			ctx := context.Background()
			for i := 0; i < b.N; i += 100 {
				if err := db.InTx(ctx, func(ctx context.Context) error {
					for j := i; j < min(i+100, b.N); j++ {
						if _, err := w.Append(ctx, "order.paid", "acme", fmt.Sprintf("T%d", j%50),
							map[string]any{"tradeId": fmt.Sprintf("T%d", j%50), "n": j, "status": "paid"}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			r := mq.NewRelay(db, w, broker, cfg, "bench", nil)
			b.ResetTimer()
			start := time.Now()
			for done := 0; done < b.N; {
				n, err := r.RelayOnce(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					b.Fatalf("relayed %d of %d, then nothing", done, b.N)
				}
				done += n
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}
