package platform_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestSameKeyRequestsAtOnce: 24 requests with one Idempotency-Key, sent at once over HTTP on
// both databases, place one order (each answer is that order, or "in flight, retry"), and 24
// payment requests with one key create one payment.
func TestSameKeyRequestsAtOnce(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		var mu sync.Mutex
		ids := map[string]bool{}
		got := s.race(24, func(int) reply {
			r := s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 2)), "Idempotency-Key", "same-order")
			if r.status == 201 {
				mu.Lock()
				ids[str(r.data()["tradeId"])] = true
				mu.Unlock()
			}
			return r
		})
		if len(ids) != 1 || got["201 ok"] == 0 || got["201 ok"]+got["409 request.idempotency_in_flight"] != 24 {
			t.Fatalf("24 same-key orders: answers %v, %d trades; want one trade, the rest told it is in flight", got, len(ids))
		}
		var tradeID string
		for id := range ids {
			tradeID = id
		}
		if again := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 2)), "Idempotency-Key", "same-order"), 201, "retry").data(); str(again["tradeId"]) != tradeID {
			t.Fatalf("a retry after the storm placed %v; want %s", again["tradeId"], tradeID)
		}
		if st := s.stock(admin, "tea"); st["reserved"] != 2 {
			t.Fatalf("stock after the same-key storm: %v; want one order's 2 reserved", st)
		}

		payments := map[string]bool{}
		got = s.race(24, func(int) reply {
			r := s.do("POST", "/app/v1/trades/"+tradeID+"/payments", buyer, map[string]any{"method": "sandbox"}, "Idempotency-Key", "same-pay")
			if r.status == 201 {
				mu.Lock()
				payments[str(r.data()["paymentId"])] = true
				mu.Unlock()
			}
			return r
		})
		if len(payments) != 1 || got["201 ok"]+got["409 request.idempotency_in_flight"] != 24 {
			t.Fatalf("24 same-key payments: answers %v, %d payments", got, len(payments))
		}
		conn := openDB(t, s.db)
		defer conn.Close()
		var n int
		if err := conn.Primary().QueryRow(`SELECT COUNT(*) FROM payments WHERE tenant = 'acme' AND trade_id = ?`, tradeID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d payments stored for the trade (%v); want 1", n, err)
		}
	})
}

// settledOrders places n one-unit orders of tea, each with a sandbox payment, and returns their
// order and payment ids.
func settledOrders(t *testing.T, s *stack, buyer string, n int) (orders, payments []string) {
	t.Helper()
	for i := 0; i < n; i++ {
		d := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 1))), 201, "place").data()
		orders = append(orders, str(d["orders"].([]any)[0].(map[string]any)["orderId"]))
		p := must(t, s.do("POST", "/app/v1/trades/"+str(d["tradeId"])+"/payments", buyer, map[string]any{"method": "sandbox"}), 201, "pay").data()
		payments = append(payments, str(p["paymentId"]))
	}
	return orders, payments
}

// outcomes checks each order against its payment once the race is over: a paid order owes
// nothing; a cancelled one whose payment succeeded owes exactly that payment back, once (a
// payment.refund_required event), and stays cancelled. Stock must match: sold for paid orders,
// nothing left reserved. It returns how many orders ended paid and cancelled.
func outcomes(t *testing.T, s *stack, admin, buyer string, orders, payments []string, onHand float64) (paid, cancelled int) {
	t.Helper()
	conn := openDB(t, s.db)
	defer conn.Close()
	for i, id := range orders {
		o := must(t, s.do("GET", "/app/v1/orders/"+id, buyer, nil), 200, "order").data()
		// No route reads a payment yet; the database says what it is and what is owed.
		var pay string
		var owed int
		ctx := context.Background()
		if err := conn.Primary().QueryRowContext(ctx, `SELECT status FROM payments WHERE payment_id = ?`, payments[i]).Scan(&pay); err != nil {
			t.Fatal(err)
		}
		if err := conn.Primary().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox_events WHERE topic = 'payment.refund_required' AND payload LIKE ?`,
			`%"paymentId":"`+payments[i]+`"%`).Scan(&owed); err != nil {
			t.Fatal(err)
		}
		switch {
		case o["status"] == "paid" && pay == "succeeded" && owed == 0:
			paid++
		case o["status"] == "cancelled" && pay == "succeeded" && owed == 1:
			cancelled++
		default:
			t.Errorf("order %s is %v (%v), its payment %s, %d refunds owed: money or goods are wrong", id, o["status"], o["cancelReason"], pay, owed)
		}
	}
	if st := s.stock(admin, "tea"); st["sold"] != float64(paid) || st["reserved"] != 0 || st["available"] != onHand-float64(paid) {
		t.Errorf("stock %v with %d paid and %d cancelled", st, paid, cancelled)
	}
	return paid, cancelled
}

// TestPaymentRacingTheUnpaidTimeout: payments that succeed at the moment their trades' unpaid
// window ends either pay the order, or find it cancelled and owe the money back; an order the
// timeout cancelled is never revived by the late payment.
func TestPaymentRacingTheUnpaidTimeout(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		orders, payments := settledOrders(t, s, buyer, 16)

		clk.Advance(31 * time.Minute) // every trade's timer is due at the next poll (20 ms)
		var wg sync.WaitGroup
		for i, id := range payments {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 3 * time.Millisecond) // spread across the timer's polls
				if r := s.do("POST", "/admin/v1/payments/"+id+"/simulate", admin, map[string]any{"outcome": "succeeded"}); r.status != 200 {
					t.Errorf("payment %s: %d %s", id, r.status, r.raw)
				}
			}()
		}
		wg.Wait()
		eventually(t, 10*time.Second, "every order paid or cancelled", func() bool {
			for _, id := range orders {
				if st := must(t, s.do("GET", "/app/v1/orders/"+id, buyer, nil), 200, "order").data()["status"]; st == "pending_payment" {
					return false
				}
			}
			return true
		})
		paid, cancelled := outcomes(t, s, admin, buyer, orders, payments, 100)
		t.Logf("%d paid before the timeout, %d cancelled by it and owed back", paid, cancelled)
	})
}

// TestCancelRacingPayment: a buyer's cancel and the payment's success arriving together leave
// each order paid (the cancel refused) or cancelled with the money owed back.
func TestCancelRacingPayment(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 100)
		buyer := s.token("acme", "u1", "app", "buyer")
		orders, payments := settledOrders(t, s, buyer, 16)
		var wg sync.WaitGroup
		for i := range orders {
			wg.Add(2)
			go func() {
				defer wg.Done()
				r := s.do("POST", "/app/v1/orders/"+orders[i]+"/cancel", buyer, nil)
				if r.status != 200 && !(r.status == 409 && r.body["code"] == "order.invalid_transition") {
					t.Errorf("cancel %s: %d %s; want 200, or 409 once paid", orders[i], r.status, r.raw)
				}
			}()
			go func() {
				defer wg.Done()
				if r := s.do("POST", "/admin/v1/payments/"+payments[i]+"/simulate", admin, map[string]any{"outcome": "succeeded"}); r.status != 200 {
					t.Errorf("payment %s: %d %s", payments[i], r.status, r.raw)
				}
			}()
		}
		wg.Wait()
		paid, cancelled := outcomes(t, s, admin, buyer, orders, payments, 100)
		t.Logf("%d paid first, %d cancelled first and owed back", paid, cancelled)
		if paid+cancelled != len(orders) {
			t.Fatal(fmt.Sprintf("%d of %d orders accounted for", paid+cancelled, len(orders)))
		}
	})
}

// TestPaymentsHaveAPurpose: a trade shows every payment made for it with its purpose; a
// fixed-price trade is paid in full, and a payment for any other purpose is refused with
// payment.invalid_purpose and creates nothing, on both buyer channels.
func TestPaymentsHaveAPurpose(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	app := s.token("acme", "u1", "app", "buyer")
	mp := s.token("acme", "u1", "mp", "buyer")
	tradeID := str(must(t, s.do("POST", "/app/v1/orders", app, orderBody(item("tea", 1))), 201, "place").data()["tradeId"])
	if ps := must(t, s.do("GET", "/app/v1/trades/"+tradeID, app, nil), 200, "trade").data()["payments"].([]any); len(ps) != 0 {
		t.Fatalf("an unpaid trade shows payments: %v", ps)
	}
	for _, purpose := range []string{"deposit", "balance", "cod_collection", "bogus"} {
		if r := s.do("POST", "/app/v1/trades/"+tradeID+"/payments", app, map[string]any{"method": "sandbox", "purpose": purpose}); r.status != 400 || r.body["code"] != "payment.invalid_purpose" {
			t.Errorf("app, purpose %s: %d %s; want 400 payment.invalid_purpose", purpose, r.status, r.raw)
		}
		if r := s.do("POST", "/mp/v1/trades/"+tradeID+"/payments", mp, map[string]any{"method": "sandbox", "purpose": purpose}); r.body["errcode"] != float64(45012) {
			t.Errorf("mp, purpose %s: %s; want errcode 45012", purpose, r.raw)
		}
	}
	p := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", app, map[string]any{"method": "sandbox", "purpose": "full"}), 201, "pay in full").data()
	if p["purpose"] != "full" {
		t.Fatalf("payment: %v", p)
	}
	must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
	for _, view := range []struct{ path, token, purpose, status string }{
		{"/app/v1/trades/" + tradeID, app, "purpose", "status"},
		{"/mp/v1/trades/" + tradeID, mp, "purpose", "status"},
	} {
		ps := must(t, s.do("GET", view.path, view.token, nil), 200, "trade").data()["payments"].([]any)
		if len(ps) != 1 || ps[0].(map[string]any)[view.purpose] != "full" || ps[0].(map[string]any)[view.status] != "succeeded" {
			t.Fatalf("%s payments: %v; want the one full payment, succeeded", view.path, ps)
		}
	}
}
