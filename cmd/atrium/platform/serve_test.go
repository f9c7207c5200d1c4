package platform_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// walkthroughMark is a line `serve --demo` prints once it has seeded the demo tenant.
const walkthroughMark = "# 2. Place the order"

// TestDemoRestartKeepsWhatOperatorsChanged: restarting `serve --demo` on the same data
// directory leaves a SKU's stock, title and price as an operator set them, and the stock that
// orders hold; before, the seed set every demo SKU's on-hand back to its demo figure.
func TestDemoRestartKeepsWhatOperatorsChanged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	dir := t.TempDir()
	first := startServe(t, dir, "--demo")
	eventually(t, 30*time.Second, "demo seeded", func() bool { return strings.Contains(first.printed(), walkthroughMark) })
	admin := first.token("demo", "ops", "", "admin")
	if st := first.stock(admin, "tea-longjing"); st["onHand"] != 100 {
		t.Fatalf("a fresh demo: %v; want 100 on hand", st)
	}
	must(t, first.do("PUT", "/admin/v1/skus/tea-longjing/stock", admin, map[string]any{"warehouseId": "wh-hangzhou", "onHand": 5000}), 200, "set stock")
	must(t, first.do("PUT", "/admin/v1/skus/cup-celadon", admin, map[string]any{"title": "Celadon cup, seconds", "sellerId": "shop-jingdezhen",
		"currency": "CNY", "price": 2900}), 200, "edit sku")
	buyer := first.token("demo", "alice", "app", "buyer")
	must(t, first.do("POST", "/app/v1/orders", buyer, orderBody(item("kettle-iron", 2))), 201, "order two kettles")
	if err := first.term(t); err != nil {
		t.Fatalf("first run exited: %v", err)
	}

	second := startServe(t, dir, "--demo")
	eventually(t, 30*time.Second, "demo seeded again", func() bool { return strings.Contains(second.printed(), walkthroughMark) })
	if st := second.stock(admin, "tea-longjing"); st["onHand"] != 5000 || st["available"] != 5000 {
		t.Errorf("tea after a restart: %v; want the operator's 5000", st)
	}
	if st := second.stock(admin, "kettle-iron"); st["onHand"] != 5 || st["reserved"] != 2 || st["available"] != 3 {
		t.Errorf("kettles after a restart: %v; want 5 on hand, 2 held by the order", st)
	}
	cup := must(t, second.do("GET", "/admin/v1/skus/cup-celadon", admin, nil), 200, "get sku").data()
	if cup["title"] != "Celadon cup, seconds" || cup["price"] != float64(2900) {
		t.Errorf("cup after a restart: %v; want the operator's title and price", cup)
	}
}

// TestSIGTERMLetsRequestsInFlightFinish: `serve` told to stop by SIGTERM answers the requests it
// is working on, writes nothing by half, and exits with status 0. Orders are placed by 16
// clients at once when the signal comes; at least one of those in flight at that moment must
// be answered 201 after it, every order acknowledged must be in the database, and the stock
// they hold must match them exactly.
func TestSIGTERMLetsRequestsInFlightFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	db := sqliteConfig(t)
	p := startServe(t, db.DataDir)
	admin := p.token("acme", "ops", "", "admin")
	p.seed(admin, "tea", "s1", 1990, 100000)
	buyer := p.token("acme", "u1", "app", "buyer")
	order, _ := json.Marshal(orderBody(item("tea", 1)))

	var (
		signalled    atomic.Int64 // unix ns of the signal, 0 before
		placed       atomic.Int64
		finishedLate atomic.Int64 // answered 201 after the signal, sent before it
		mu           sync.Mutex
		answers      = map[string]int{}
		wg           sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				req, _ := http.NewRequest("POST", p.base+"/app/v1/orders", bytes.NewReader(order))
				req.Header.Set("Authorization", "Bearer "+buyer)
				req.Header.Set("X-Order-Key", fmt.Sprintf("w%d-%d", w, i)) // not an Idempotency-Key: Go would resend it
				sentBefore := signalled.Load() == 0
				resp, err := client.Do(req)
				if err != nil {
					if signalled.Load() != 0 {
						return // the server is gone
					}
					t.Errorf("before the signal: %v", err)
					return
				}
				var body struct {
					Code string `json:"code"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				mu.Lock()
				answers[fmt.Sprint(resp.StatusCode, " ", body.Code)]++
				mu.Unlock()
				if resp.StatusCode == 201 {
					placed.Add(1)
					if sentBefore && signalled.Load() != 0 {
						finishedLate.Add(1)
					}
				}
				if !sentBefore {
					return // one answer after the signal is enough to see how it looks
				}
			}
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); placed.Load() < 50; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d orders placed in 30 s before the signal; want 50", placed.Load())
		}
	}
	signalled.Store(time.Now().UnixNano())
	exitErr := p.term(t)
	wg.Wait()
	if exitErr != nil {
		var ee interface{ Sys() any }
		if errors.As(exitErr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
				t.Fatalf("exit after SIGTERM: %v (status %d, signalled %v)", exitErr, ws.ExitStatus(), ws.Signaled())
			}
		}
		t.Fatalf("exit after SIGTERM: %v", exitErr)
	}
	if finishedLate.Load() == 0 {
		t.Fatalf("no request in flight at the signal was answered 201 after it (answers: %v)", answers)
	}
	for a, n := range answers {
		if !strings.HasPrefix(a, "201") && !strings.HasPrefix(a, "503") {
			t.Errorf("%d answers %q; want 201, or 503 while shutting down", n, a)
		}
	}
	t.Logf("%d orders placed, %d of them in flight at the signal; answers %v", placed.Load(), finishedLate.Load(), answers)

	s := start(t, db, &clock{t: time.Now()})
	st := s.stock(s.token("acme", "ops", "", "admin"), "tea")
	var pending float64
	if err := s.trade.DB.Primary().QueryRow(`SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o
		ON o.tenant = l.tenant AND o.order_id = l.order_id WHERE o.tenant = 'acme' AND o.status = 'pending_payment'`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if st["reserved"] != pending || pending != float64(placed.Load()) {
		t.Fatalf("reserved %v, pending order quantity %v, orders acknowledged %d: a write was half done or lost", st["reserved"], pending, placed.Load())
	}
}
