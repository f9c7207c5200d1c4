package platform_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestPresaleAndCodSurviveKill9: the real binary serves pre-sale and cash-on-delivery trades of
// many buyers while it is killed with SIGKILL at random moments, three times, and restarted on
// the same database; buyers and the carrier send every request again, with its key, until they
// get an answer, as real clients do. Once the campaign's windows have passed and the server has
// settled, every trade is in a legal state: its orders' statuses agree with its payments, no
// deposit is both refunded and forfeited, the money kept per trade is what its orders say,
// available + reserved + sold == onHand per SKU and warehouse, and what is reserved is exactly
// what unpaid live orders hold.
func TestPresaleAndCodSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	bin := buildAtrium(t)
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		k := newKillable(t, bin, db)
		s := k.stack()
		kills, waits := killRand(t)
		k.launch("first")
		k.ready("first process ready")

		// persist sends a request until it gets an answer that is not a 5xx, or gives up after a
		// minute (the test then fails on what it finds).
		var unanswered atomic.Int64
		persist := func(method, path, token string, body any, headers ...string) reply {
			deadline := time.Now().Add(time.Minute)
			for {
				r, err := s.attempt(method, path, token, body, headers...)
				if err == nil && r.status < 500 {
					return r
				}
				unanswered.Add(1)
				if time.Now().After(deadline) {
					return r
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		admin := s.token("acme", "ops", "", "admin")
		for _, sku := range []string{"tea", "cup"} {
			must(t, persist("PUT", "/admin/v1/skus/"+sku, admin, map[string]any{"title": sku, "sellerId": "s-" + sku, "currency": "CNY", "price": 5000}), 200, "sku")
			must(t, persist("PUT", "/admin/v1/skus/"+sku+"/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 20000}), 200, "stock")
		}
		start := time.Now()
		depositEnds, balanceEnds := start.Add(18*time.Second), start.Add(34*time.Second)
		must(t, persist("PUT", "/admin/v1/presales/crash", admin, map[string]any{"name": "Crash test", "currency": "CNY",
			"skus":            []any{map[string]any{"skuId": "tea", "price": 4000, "deposit": 500, "depositCredit": 1500}},
			"depositStartsAt": start.Add(-time.Second).UnixMilli(), "depositEndsAt": depositEnds.UnixMilli(),
			"balanceStartsAt": depositEnds.UnixMilli(), "balanceEndsAt": balanceEnds.UnixMilli(), "perUser": 5, "depositRefundable": true}), 200, "presale")
		must(t, persist("PUT", "/admin/v1/cod-rules", admin, map[string]any{"enabled": true, "currency": "CNY", "maxRefusals": 100}), 200, "cod rules")

		// The killer: three SIGKILLs at random moments while buyers and the carrier are busy (one
		// in each third of the first 30 s), each followed by a restart on the same database.
		killed := make(chan struct{})
		go func() {
			defer close(killed)
			for round := 1; round <= 3; round++ {
				at := start.Add(time.Duration((round-1)*10000+1000+kills.IntN(8000)) * time.Millisecond)
				time.Sleep(time.Until(at))
				k.kill()
				k.launch(fmt.Sprintf("restart-%d", round))
			}
		}()

		const presaleBuyers, codBuyers = 24, 16
		var wg sync.WaitGroup
		pay := func(token, tradeID, purpose, key string) {
			p := persist("POST", "/app/v1/trades/"+tradeID+"/payments", token, map[string]any{"method": "sandbox", "purpose": purpose}, "Idempotency-Key", key)
			if p.status != 201 {
				return // refused (a window closed while the server was down): the trade says why
			}
			persist("POST", "/admin/v1/payments/"+str(p.data()["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"})
		}
		for i := 0; i < presaleBuyers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buyer := s.token("acme", fmt.Sprintf("pre-%d", i), "app", "buyer")
				time.Sleep(time.Duration(waits.IntN(3000)) * time.Millisecond)
				tr := persist("POST", "/app/v1/orders", buyer, map[string]any{"flow": "presale", "presaleId": "crash",
					"items": []any{item("tea", 1+i%2)}, "address": address}, "Idempotency-Key", fmt.Sprintf("pre-%d", i))
				if tr.status != 201 {
					return
				}
				tradeID := str(tr.data()["tradeId"])
				if i%6 == 5 {
					return // never pays: deposit_unpaid at the deposit window's end
				}
				pay(buyer, tradeID, "deposit", fmt.Sprintf("dep-%d", i))
				switch {
				case i%6 == 4:
					return // never pays the balance: balance_missed, the deposit forfeited
				case i%6 == 3: // changes their mind: the deposit refunded
					orderID := str(tr.data()["orders"].([]any)[0].(map[string]any)["orderId"])
					persist("POST", "/app/v1/orders/"+orderID+"/cancel", buyer, nil)
					return
				}
				time.Sleep(time.Until(depositEnds.Add(time.Duration(500+waits.IntN(10000)) * time.Millisecond)))
				pay(buyer, tradeID, "balance", fmt.Sprintf("bal-%d", i))
			}()
		}
		// COD buyers keep ordering for the first 30 s (so that each kill lands among requests in
		// flight); the carrier ships each order and reports it delivered, or refused.
		for j := 0; j < codBuyers; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buyer := s.token("acme", fmt.Sprintf("cod-%d", j), "app", "buyer")
				for n := 0; time.Since(start) < 30*time.Second; n++ {
					tr := persist("POST", "/app/v1/orders", buyer, map[string]any{"flow": "cod", "items": []any{item("cup", 1), item("tea", 1)},
						"address": address}, "Idempotency-Key", fmt.Sprintf("cod-%d-%d", j, n))
					if tr.status != 201 {
						continue
					}
					for _, o := range tr.data()["orders"].([]any) {
						o := o.(map[string]any)
						id := str(o["orderId"])
						if (j+n)%5 == 4 {
							persist("POST", "/app/v1/orders/"+id+"/cancel", buyer, nil)
							continue
						}
						persist("POST", "/admin/v1/orders/"+id+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF" + id})
						outcome := map[string]any{"outcome": "delivered", "collected": minorOf(t, o["total"])}
						if (j+n)%3 == 0 {
							outcome = map[string]any{"outcome": "refused"}
						}
						persist("POST", "/admin/v1/orders/"+id+"/delivery", admin, outcome)
					}
				}
			}()
		}
		wg.Wait()
		<-killed
		k.ready("the last process ready")
		// The balance window's end cancels the trades still waiting; the timers fire on the
		// running server.
		time.Sleep(time.Until(balanceEnds.Add(2 * time.Second)))
		var last []string
		ok := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			if last = checkCrashLedger(t, db); len(last) == 0 {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatalf("after three kills: %d problems, first: %v", len(last), last[:min(5, len(last))])
		}
		// Every branch was walked: the kills must not have turned the test into one that checks
		// nothing.
		conn := openDB(t, db)
		defer conn.Close()
		seen := map[string]int{}
		for prefix, q := range map[string]string{"deposit ": `SELECT deposit_status, COUNT(*) FROM presale_trades WHERE tenant = 'acme' GROUP BY deposit_status`,
			"cod ": `SELECT status, COUNT(*) FROM orders WHERE tenant = 'acme' AND scenario = 'cod' GROUP BY status`} {
			rows, err := conn.Primary().Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				var n int
				_ = rows.Scan(&k, &n)
				seen[prefix+k] += n
			}
			rows.Close()
		}
		t.Logf("after three kills (%d requests sent again): pre-sale deposits and COD orders by status %v", unanswered.Load(), seen)
		if unanswered.Load() == 0 {
			t.Error("no request was sent again: the kills hit nothing")
		}
		for _, k := range []string{"deposit paid", "deposit forfeited", "deposit refunded", "deposit cancelled", "cod delivered", "cod returned",
			"cod cancelled"} {
			if seen[k] == 0 {
				t.Errorf("no trade ended %s: %v", k, seen)
			}
		}
	})
}

// checkCrashLedger reads the database in one transaction and returns what is wrong with it (for
// the test's eventually: a trade whose timer is about to fire may still be waiting).
func checkCrashLedger(t *testing.T, cfg dal.Config) []string {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, cfg)
	defer db.Close()
	// The reader pool: a snapshot that never waits for the restarted server's writes (see readLedger).
	tx, err := db.Replica().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var bad []string
	wrong := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	// Stock per SKU and warehouse, against the orders.
	rows, err := tx.QueryContext(ctx, `SELECT sku_id, warehouse_id, on_hand, available, reserved, sold FROM inventory_levels WHERE tenant = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	type level struct{ onHand, available, reserved, sold int64 }
	levels := map[string]level{}
	for rows.Next() {
		var sku, wh string
		var l level
		if err := rows.Scan(&sku, &wh, &l.onHand, &l.available, &l.reserved, &l.sold); err != nil {
			t.Fatal(err)
		}
		if l.available < 0 || l.reserved < 0 || l.sold < 0 || l.available+l.reserved+l.sold != l.onHand {
			wrong("stock of %s in %s: %+v", sku, wh, l)
		}
		levels[sku+"/"+wh] = l
	}
	rows.Close()
	// Units held by orders: reserved while unpaid and live, sold once paid (a COD order once
	// its cash is collected).
	held := map[string][2]int64{}
	rows, err = tx.QueryContext(ctx, `SELECT o.status, o.scenario, l.sku_id, l.warehouse_id, l.quantity FROM orders o
		JOIN order_lines l ON l.tenant = o.tenant AND l.order_id = o.order_id WHERE o.tenant = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var status, scenario, sku, wh string
		var q int64
		if err := rows.Scan(&status, &scenario, &sku, &wh, &q); err != nil {
			t.Fatal(err)
		}
		h := held[sku+"/"+wh]
		switch status {
		case "pending_deposit", "deposit_paid", "confirmed", "shipped":
			h[0] += q
		case "paid", "delivered", "completed":
			h[1] += q
		case "cancelled", "returned", "refunded":
		default:
			wrong("an order of %s is %q", scenario, status)
		}
		held[sku+"/"+wh] = h
	}
	rows.Close()
	for k, l := range levels {
		if h := held[k]; l.reserved != h[0] || l.sold != h[1] {
			wrong("stock %s reserves %d and sold %d; the orders hold %d unpaid and %d paid", k, l.reserved, l.sold, h[0], h[1])
		}
	}

	// Pre-sale trades: the deposit's status agrees with the orders and the money.
	type money struct{ paid, refunded map[string]int64 }
	// sums adds up a query's (purpose, amount) rows by purpose.
	sums := func(query string, args ...any) map[string]int64 {
		out := map[string]int64{}
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var purpose string
			var amount int64
			if err := rows.Scan(&purpose, &amount); err != nil {
				t.Fatal(err)
			}
			out[purpose] += amount
		}
		return out
	}
	payments := func(tradeID string) money {
		return money{
			paid: sums(`SELECT purpose, amount FROM payments WHERE tenant = 'acme' AND trade_id = ? AND status = 'succeeded'`, tradeID),
			refunded: sums(`SELECT p.purpose, r.amount FROM payment_refunds r JOIN payments p ON p.payment_id = r.payment_id
				WHERE r.tenant = 'acme' AND r.trade_id = ?`, tradeID),
		}
	}
	statusesOf := func(tradeID string) map[string]int {
		out := map[string]int{}
		rows, err := tx.QueryContext(ctx, `SELECT status FROM orders WHERE tenant = 'acme' AND trade_id = ?`, tradeID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st string
			_ = rows.Scan(&st)
			out[st]++
		}
		rows.Close()
		return out
	}
	type presaleTrade struct {
		id, status               string
		deposit, credit, balance int64
	}
	var pts []presaleTrade
	rows, err = tx.QueryContext(ctx, `SELECT trade_id, deposit_status, deposit, credit, balance FROM presale_trades WHERE tenant = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p presaleTrade
		_ = rows.Scan(&p.id, &p.status, &p.deposit, &p.credit, &p.balance)
		pts = append(pts, p)
	}
	rows.Close()
	// The money a trade keeps is what succeeded less what is owed back (money that arrived for a
	// trade that had moved on is owed back whole).
	for _, p := range pts {
		m, st := payments(p.id), statusesOf(p.id)
		keptDeposit, keptBalance := m.paid["deposit"]-m.refunded["deposit"], m.paid["balance"]-m.refunded["balance"]
		if keptDeposit < 0 || keptBalance < 0 {
			wrong("trade %s refunded %v of %v", p.id, m.refunded, m.paid)
		}
		switch p.status {
		case "cancelled": // never paid in time: cancelled, anything paid late owed back
			if st["cancelled"] == 0 || st["pending_deposit"] > 0 || keptDeposit != 0 || keptBalance != 0 {
				wrong("trade %s: deposit cancelled, orders %v, paid %v, refunded %v", p.id, st, m.paid, m.refunded)
			}
		case "paid":
			if st["paid"] == 0 || keptDeposit != p.deposit || keptBalance != p.balance {
				wrong("trade %s: deposit paid, orders %v, paid %v, refunded %v", p.id, st, m.paid, m.refunded)
			}
		case "forfeited": // kept, never refunded
			if st["cancelled"] == 0 || st["paid"] > 0 || keptDeposit != p.deposit || keptBalance != 0 {
				wrong("trade %s: deposit forfeited, orders %v, paid %v, refunded %v", p.id, st, m.paid, m.refunded)
			}
		case "refunded": // given back, never forfeited
			if st["cancelled"] == 0 || m.refunded["deposit"] < p.deposit || keptDeposit != 0 || keptBalance != 0 {
				wrong("trade %s: deposit refunded, orders %v, paid %v, refunded %v", p.id, st, m.paid, m.refunded)
			}
		default:
			wrong("trade %s: deposit %q", p.id, p.status)
		}
	}

	// COD trades: cash collected exactly for the delivered orders, never for others.
	rows, err = tx.QueryContext(ctx, `SELECT o.order_id, o.status, o.total, COALESCE((SELECT SUM(p.amount) FROM payments p
		WHERE p.tenant = o.tenant AND p.trade_id = o.trade_id AND p.purpose = 'cod_collection' AND p.provider_ref = o.order_id), 0)
		FROM orders o WHERE o.tenant = 'acme' AND o.scenario = 'cod'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, status string
		var total, collected int64
		_ = rows.Scan(&id, &status, &total, &collected)
		switch {
		case (status == "delivered" || status == "completed") && collected != total:
			wrong("COD order %s is %s with %d collected of %d", id, status, collected, total)
		case status != "delivered" && status != "completed" && collected != 0:
			wrong("COD order %s is %s with %d collected", id, status, collected)
		case status == "confirmed" || status == "shipped":
			wrong("COD order %s is still %s after its carrier reported", id, status)
		}
	}
	rows.Close()
	// And the auditor, which reads the same books on its own, finds nothing.
	return append(bad, auditFindings(t, cfg)...)
}

// killable runs the atrium binary on one database, and restarts it on the same database after it
// was killed with SIGKILL.
type killable struct {
	t                 *testing.T
	bin               string
	db                dal.Config
	httpAddr, rpcAddr string
	client            *http.Client
	mu                sync.Mutex
	current           *exec.Cmd
}

func newKillable(t *testing.T, bin string, db dal.Config) *killable {
	addrs := freeAddrs(t, 2)
	return &killable{t: t, bin: bin, db: db, httpAddr: addrs[0], rpcAddr: addrs[1], client: &http.Client{Timeout: 20 * time.Second}}
}

// stack is a client of the process, for the harness's helpers.
func (k *killable) stack() *stack {
	return &stack{t: k.t, base: "http://" + k.httpAddr, http: k.client}
}

// launch starts the process (named name in its log, which a failed test prints).
func (k *killable) launch(name string) {
	t := k.t
	args := []string{"serve", "--http-addr", k.httpAddr, "--rpc-addr", k.rpcAddr}
	if k.db.Driver == "mysql" {
		args = append(args, "--db-dsn", k.db.DSN)
	} else {
		args = append(args, "--data-dir", k.db.DataDir)
	}
	p := exec.Command(k.bin, args...)
	p.Env = append(os.Environ(), "ATRIUM_HTTP_JWTSECRET="+jwtSecret, "ATRIUM_HTTP_DEVMODE=true",
		"ATRIUM_SANDBOX_SECRET="+sandboxSecret, "ATRIUM_NODE_ID=12", "ATRIUM_NODE_TIMERINTERVAL=200ms")
	logs := filepath.Join(t.TempDir(), name+".log")
	lf, _ := os.Create(logs)
	p.Stdout, p.Stderr = lf, lf
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	k.current = p
	k.mu.Unlock()
	t.Cleanup(func() {
		_ = p.Process.Kill()
		_, _ = p.Process.Wait()
		lf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logs)
			t.Logf("%s process log (last 2 KiB):\n%s", name, out[max(0, len(out)-2048):])
		}
	})
}

// ready waits until the process answers /readyz.
func (k *killable) ready(what string) {
	eventually(k.t, 30*time.Second, what, func() bool {
		r, err := k.client.Get("http://" + k.httpAddr + "/readyz")
		if err == nil {
			r.Body.Close()
		}
		return err == nil && r.StatusCode == 200
	})
}

// kill sends SIGKILL to the running process and waits for it to die.
func (k *killable) kill() {
	k.mu.Lock()
	p := k.current
	k.mu.Unlock()
	_ = p.Process.Signal(syscall.SIGKILL)
	_, _ = p.Process.Wait()
}

// killRand seeds the random moments of a crash test: the kills (drawn in order by the killer) and
// the buyers' waits (drawn by many goroutines, under a lock). The seed is logged, and
// ATRIUM_KILL_SEED=<seed> replays a failed run's kill times.
func killRand(t *testing.T) (kills *rand.Rand, waits *lockedRand) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ATRIUM_KILL_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ATRIUM_KILL_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("kill times seeded: ATRIUM_KILL_SEED=%d replays them", seed)
	return rand.New(rand.NewPCG(seed, 1)), &lockedRand{r: rand.New(rand.NewPCG(seed, 2))}
}

// lockedRand is a rand.Rand many goroutines draw from.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func (l *lockedRand) IntN(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.IntN(n)
}
