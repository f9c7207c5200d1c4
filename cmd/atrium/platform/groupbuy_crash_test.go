package platform_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestGroupBuySurvivesKill9: the real binary serves a group buy while it is killed with SIGKILL
// at random moments, twice, and restarted on the same database: leaders open groups, members
// join, most pay, some never do, and every request is sent again with its key until it is
// answered. The campaign ends 20 s in, which is every group's deadline. Once the server has
// settled, every group ended exactly once, formed or failed (one event each); a formed group has
// exactly its size of paid members and owes nobody; every paid member of a failed group was
// refunded exactly once, in full; no group has more places than its size; and the stock and
// order ledger holds (checkCrashLedger).
func TestGroupBuySurvivesKill9(t *testing.T) {
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
		must(t, persist("PUT", "/admin/v1/skus/tea", admin, map[string]any{"title": "tea", "sellerId": "s1", "currency": "CNY", "price": 5000}), 200, "sku")
		must(t, persist("PUT", "/admin/v1/skus/tea/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 10000}), 200, "stock")
		start := time.Now()
		ends := start.Add(20 * time.Second)
		must(t, persist("PUT", "/admin/v1/groupbuys/crash", admin, map[string]any{"name": "Crash group", "currency": "CNY",
			"skus": []any{map[string]any{"skuId": "tea", "price": 4000}}, "groupSize": 3, "formationSeconds": 3600,
			"startsAt": start.Add(-time.Second).UnixMilli(), "endsAt": ends.UnixMilli()}), 200, "group buy")

		// Tokens first: the dev-token route is on the server about to be killed.
		const groups = 40
		tokens := map[string]string{}
		for g := 0; g < groups; g++ {
			for _, who := range []string{fmt.Sprintf("lead-%d", g), fmt.Sprintf("member-%d-0", g), fmt.Sprintf("member-%d-1", g)} {
				tokens[who] = s.token("acme", who, "app", "buyer")
			}
		}
		killed := make(chan struct{})
		go func() {
			defer close(killed)
			for round := 1; round <= 2; round++ {
				at := start.Add(time.Duration((round-1)*8000+1500+kills.IntN(6000)) * time.Millisecond)
				time.Sleep(time.Until(at))
				k.kill()
				k.launch(fmt.Sprintf("restart-%d", round))
			}
		}()

		pay := func(token, tradeID, key string) {
			time.Sleep(time.Duration(waits.IntN(2000)) * time.Millisecond)
			p := persist("POST", "/app/v1/trades/"+tradeID+"/payments", token, map[string]any{"method": "sandbox"}, "Idempotency-Key", key)
			if p.status != 201 {
				return
			}
			persist("POST", "/admin/v1/payments/"+str(p.data()["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"})
		}
		// 40 leaders each open a group over the first 12 s; two members join each within 5 s. A
		// member of every third group never pays (that group fails at its deadline); the others pay
		// within 2 s, so that requests are in flight at each kill.
		var wg sync.WaitGroup
		for g := 0; g < groups; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(waits.IntN(12000)) * time.Millisecond)
				lead := tokens[fmt.Sprintf("lead-%d", g)]
				tr := persist("POST", "/app/v1/orders", lead, map[string]any{"flow": "groupbuy", "groupBuyId": "crash", "items": []any{item("tea", 1)},
					"address": address}, "Idempotency-Key", fmt.Sprintf("lead-%d", g))
				if tr.status != 201 {
					return
				}
				groupID := str(tr.data()["groupBuy"].(map[string]any)["groupId"])
				pay(lead, str(tr.data()["tradeId"]), fmt.Sprintf("pay-lead-%d", g))
				var members sync.WaitGroup
				for m := 0; m < 2; m++ {
					members.Add(1)
					go func() {
						defer members.Done()
						time.Sleep(time.Duration(waits.IntN(5000)) * time.Millisecond)
						buyer := tokens[fmt.Sprintf("member-%d-%d", g, m)]
						j := persist("POST", "/app/v1/orders", buyer, map[string]any{"flow": "groupbuy", "groupBuyId": "crash", "groupId": groupID,
							"items": []any{item("tea", 1)}, "address": address}, "Idempotency-Key", fmt.Sprintf("member-%d-%d", g, m))
						if j.status != 201 || (g%3 == 2 && m == 1) {
							return
						}
						pay(buyer, str(j.data()["tradeId"]), fmt.Sprintf("pay-member-%d-%d", g, m))
					}()
				}
				members.Wait()
			}()
		}
		wg.Wait()
		<-killed
		k.ready("the last process ready")
		time.Sleep(time.Until(ends.Add(time.Second)))
		var last []string
		ok := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			if last = append(checkGroupLedger(t, db), checkCrashLedger(t, db)...); len(last) == 0 {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatalf("after two kills: %d problems, first: %v", len(last), last[:min(5, len(last))])
		}
		conn := openDB(t, db)
		defer conn.Close()
		seen := map[string]int{}
		rows, err := conn.Primary().Query(`SELECT status, COUNT(*) FROM groupbuy_groups WHERE tenant = 'acme' GROUP BY status`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st string
			var n int
			_ = rows.Scan(&st, &n)
			seen[st] = n
		}
		rows.Close()
		t.Logf("after two kills (%d requests sent again): groups by status %v", unanswered.Load(), seen)
		if unanswered.Load() == 0 {
			t.Error("no request was sent again: the kills hit nothing")
		}
		if seen["formed"] == 0 || seen["failed"] == 0 {
			t.Errorf("every group should not end the same way: %v", seen)
		}
	})
}

// checkGroupLedger reads the group-buy tables in one snapshot and returns what is wrong.
func checkGroupLedger(t *testing.T, cfg dal.Config) []string {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, cfg)
	defer db.Close()
	tx, err := db.Replica().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var bad []string
	wrong := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	type group struct {
		id, status string
		size       int
	}
	var gs []group
	rows, err := tx.QueryContext(ctx, `SELECT group_id, status, size FROM groupbuy_groups WHERE tenant = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var g group
		_ = rows.Scan(&g.id, &g.status, &g.size)
		gs = append(gs, g)
	}
	rows.Close()
	if len(gs) == 0 {
		return []string{"no group was opened"}
	}
	ends := map[string]int{}
	rows, err = tx.QueryContext(ctx, `SELECT msg_key, COUNT(*) FROM outbox_events WHERE tenant = 'acme' AND topic IN ('groupbuy.group_formed', 'groupbuy.group_failed')
		GROUP BY msg_key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		var n int
		_ = rows.Scan(&key, &n)
		ends[key] = n
	}
	rows.Close()
	for _, g := range gs {
		if g.status == "forming" {
			wrong("group %s is still forming after its deadline", g.id)
			continue
		}
		if ends[g.id] != 1 {
			wrong("group %s (%s) ended %d times", g.id, g.status, ends[g.id])
		}
		var ms []crashMember
		rows, err := tx.QueryContext(ctx, `SELECT m.trade_id, m.status,
			COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.tenant = m.tenant AND p.trade_id = m.trade_id AND p.status = 'succeeded'), 0),
			COALESCE((SELECT SUM(r.amount) FROM payment_refunds r WHERE r.tenant = m.tenant AND r.trade_id = m.trade_id), 0),
			(SELECT COUNT(*) FROM payment_refunds r WHERE r.tenant = m.tenant AND r.trade_id = m.trade_id)
			FROM groupbuy_members m WHERE m.tenant = 'acme' AND m.group_id = ?`, g.id)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var m crashMember
			_ = rows.Scan(&m.trade, &m.status, &m.paid, &m.refunded, &m.nRefund)
			ms = append(ms, m)
		}
		rows.Close()
		paidMembers := 0
		for _, m := range ms {
			switch {
			case m.status == "paid":
				paidMembers++
				if g.status != "formed" || m.refunded != 0 {
					wrong("group %s (%s): member %s paid, refunded %d of %d", g.id, g.status, m.trade, m.refunded, m.paid)
				}
			case m.status == "refunded":
				if g.status != "failed" || m.nRefund != 1 || m.refunded != m.paid || m.paid == 0 {
					wrong("group %s (%s): member %s refunded %d times, %d of %d", g.id, g.status, m.trade, m.nRefund, m.refunded, m.paid)
				}
			case m.status == "left":
				if m.refunded != m.paid { // a payment that came after the place was gone is owed back whole
					wrong("group %s: member %s left, kept %d", g.id, m.trade, m.paid-m.refunded)
				}
			default:
				wrong("group %s (%s): member %s is still %s", g.id, g.status, m.trade, m.status)
			}
		}
		if len(ms) > g.size+countLeft(ms) {
			wrong("group %s holds %d members for %d places", g.id, len(ms)-countLeft(ms), g.size)
		}
		if g.status == "formed" && paidMembers != g.size {
			wrong("group %s formed with %d paid members of %d", g.id, paidMembers, g.size)
		}
	}
	return bad
}

// crashMember is a member's place and the money of its trade.
type crashMember struct {
	trade, status           string
	paid, refunded, nRefund int64
}

// countLeft is how many members left (never paid): they hold no place.
func countLeft(ms []crashMember) int {
	n := 0
	for _, m := range ms {
		if m.status == "left" {
			n++
		}
	}
	return n
}
