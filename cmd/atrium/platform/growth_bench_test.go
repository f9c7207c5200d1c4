package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// BenchmarkPlaceOrderAsOrdersAccumulate places orders through HTTP → Kitex → the database, each
// followed by the read of its trade a front end makes to show it, on a fresh database and on one
// that already holds 100,000 orders of the same tenant, side by side in one run: a request path that reads a growing table by tenant alone shows as a lower rate
// in the second. Compare the orders/s of the two (want within ±20%):
//
//	go test ./cmd/atrium/platform -run XXX -bench PlaceOrderAsOrdersAccumulate -benchtime 3000x
func BenchmarkPlaceOrderAsOrdersAccumulate(b *testing.B) {
	for _, dbName := range []string{"sqlite", "mysql"} {
		for _, stored := range []int{0, 100_000} {
			b.Run(fmt.Sprintf("%s/stored=%d", dbName, stored), func(b *testing.B) {
				db := sqliteConfig(b)
				if dbName == "mysql" {
					db = mysqlConfig(b)
				}
				s := start(b, db, &clock{t: time.Now()})
				admin := s.token("acme", "ops1", "", "admin")
				s.seed(admin, "tea", "s1", 1990, 1_000_000_000)
				buyer := s.token("acme", "u1", "app", "buyer")
				fill(b, s.trade.DB, "acme", stored)
				body, _ := json.Marshal(orderBody(item("tea", 1)))
				var seq, failed atomic.Int64
				b.SetParallelism(4)
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req, _ := http.NewRequest("POST", s.base+"/app/v1/orders", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+buyer)
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Idempotency-Key", fmt.Sprintf("growth-%d", seq.Add(1)))
						resp, err := s.http.Do(req)
						if err != nil {
							failed.Add(1)
							continue
						}
						var placed struct{ Data struct{ TradeID string } }
						err = json.NewDecoder(resp.Body).Decode(&placed)
						resp.Body.Close()
						if err != nil || resp.StatusCode != http.StatusCreated {
							failed.Add(1)
							continue
						}
						get, _ := http.NewRequest("GET", s.base+"/app/v1/trades/"+placed.Data.TradeID, nil)
						get.Header.Set("Authorization", "Bearer "+buyer)
						if resp, err = s.http.Do(get); err != nil {
							failed.Add(1)
							continue
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							failed.Add(1)
						}
					}
				})
				b.StopTimer()
				if failed.Load() > 0 {
					b.Fatalf("%d of %d orders failed", failed.Load(), b.N)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
			})
		}
	}
}

// fill writes n paid one-line orders of other buyers straight into the database, in batches,
// with the columns the order store writes.
func fill(b *testing.B, db *dal.DB, tenant string, n int) {
	b.Helper()
	ctx := context.Background()
	const batch = 500
	now := time.Now().UnixMilli()
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		var trades, orders, lines []any
		for i := done; i < done+k; i++ {
			id := fmt.Sprintf("T-fill-%07d", i)
			oid := fmt.Sprintf("O-fill-%07d", i)
			user := fmt.Sprintf("fill%d", i%5000)
			trades = append(trades, tenant, id, tenant+".default", "fixed_price", user, "CNY", 1990, `{}`, now, now+1800_000)
			orders = append(orders, tenant, oid, id, user, "s1", "paid", "CNY", 1990, 1990, 0, 0, "", "", "", now, now, 1)
			lines = append(lines, tenant, oid, 1, "tea", "Item tea", "wh1", 1, 1990, 1990, 0)
		}
		err := db.InTx(ctx, func(ctx context.Context) error {
			q := db.Q(ctx)
			if _, err := q.ExecContext(ctx, `INSERT INTO trades (tenant, trade_id, biz_code, scenario, user_id, currency, total, address,
				created_at, pay_deadline) VALUES `+dal.Rows(k, 10), trades...); err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO orders (tenant, order_id, trade_id, user_id, seller_id, status, currency,
				total, subtotal, discount, shipping_fee, carrier, tracking_no, cancel_reason, created_at, updated_at, version) VALUES `+dal.Rows(k, 17), orders...); err != nil {
				return err
			}
			_, err := q.ExecContext(ctx, `INSERT INTO order_lines (tenant, order_id, line_no, sku_id, title, warehouse_id, quantity,
				unit_price, total, discount) VALUES `+dal.Rows(k, 10), lines...)
			return err
		})
		if err != nil {
			b.Fatalf("fill: %v", err)
		}
	}
	// The fill's rows sit in SQLite's write-ahead log; checkpoint them now, or the bench pays
	// for copying them into the database file while it measures.
	if db.Dialect() == dal.SQLite {
		if _, err := db.Primary().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			b.Fatalf("checkpoint: %v", err)
		}
	}
}
