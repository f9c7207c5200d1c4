package mq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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
	for _, c := range brokerCases() {
		b.Run(c.name, func(b *testing.B) {
			broker, db := c.open(b)
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
			r := mq.NewRelay(db, w, broker, mq.Config{}, "bench", nil)
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
