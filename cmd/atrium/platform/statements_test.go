package platform_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

// TestStatementsPerOrder: what placing a fixed-price order costs the database, counted by the
// statements the trade node issues (reads, writes; not BEGIN or COMMIT), as the benchmark's
// orders are placed: one line, an Idempotency-Key each. The flow instance rides on the trade's
// row, so the trade core costs no statement the flow did not need; the count is a guard against
// a step that starts writing a row of its own.
func TestStatementsPerOrder(t *testing.T) {
	// The node's pollers (timers, hot holds, script publications) sleep through the count.
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) {
		c.Node.TimerInterval, c.Extensions.ReloadInterval = time.Hour, time.Hour
	})
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 1000)
	buyer := s.token("acme", "u1", "app", "buyer")
	place := func(i int) {
		must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 1)}, "address": address},
			"Idempotency-Key", fmt.Sprintf("st-%d", i)), 201, "place")
	}
	place(0) // caches warm, as in a running sale
	var n atomic.Int64
	var writes atomic.Int64
	s.trade.DB.Record(func(q string, _ []any) {
		w := strings.ToUpper(strings.TrimSpace(q))
		if strings.Contains(w, "OUTBOX_EVENTS") && !strings.HasPrefix(w, "INSERT") || strings.Contains(w, "MQ_INBOX") || strings.Contains(w, "STATS_") {
			// The relay (woken by each commit) reading and marking events, and the consumers
			// handling them: after the order, not part of its cost.
			return
		}
		n.Add(1)
		if !strings.HasPrefix(w, "SELECT") {
			writes.Add(1)
		}
	})
	const orders = 20
	for i := 1; i <= orders; i++ {
		place(i)
	}
	s.trade.DB.Record(nil)
	per, perWrite := float64(n.Load())/orders, float64(writes.Load())/orders
	t.Logf("%.2f statements per order (%.2f writes)", per, perWrite)
	// Before the trade core (677c653) an order cost 12: the idempotency lookup, the SKUs and the
	// stock read; the key, the trade, its order and line, the event, the unpaid timer, and the
	// reservation (its barrier, the level, its line).
	if per > 12 {
		t.Fatalf("%.2f statements per order; before the trade core it was 12", per)
	}
}
