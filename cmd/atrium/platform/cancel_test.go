package platform_test

import (
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestCancelRunsTheOrdersFlow: the generic cancel of an order, on every channel, is the cancel
// of the order's own flow. A won auction's winner who cancels forfeits the deposit (before, the
// fixed-price cancel left it credited for ever and the auction sold); the runner-up is then
// offered the unit. An operator may cancel a sale as goodwill, refunding the deposit; a buyer may
// not ask that, and an order with no deposit has none to refund.
func TestCancelRunsTheOrdersFlow(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin, ann, bob := auctionStack(t, db)
		for _, id := range []string{"wc", "gw"} {
			must(t, s.do("PUT", "/admin/v1/auctions/"+id, admin, auctionBody(s.clock.Now())), 200, "put "+id)
			s.deposit(admin, ann, "/app/v1", id)
			s.deposit(admin, bob, "/mp/v1", id)
			must(t, s.do("POST", "/app/v1/auctions/"+id+"/bids", ann, map[string]any{"amount": "310.00"}), 200, "ann")
			must(t, s.do("POST", "/mp/v1/auctions/"+id+"/bids", bob, map[string]any{"amount_fee": 32000}), 200, "bob")
		}
		s.clock.Advance(time.Hour + time.Second)
		sale := func(id string) (view map[string]any, sale map[string]any, deposits map[string]string) {
			eventually(t, 10*time.Second, id+" sold", func() bool {
				view = must(t, s.do("GET", "/admin/v1/auctions/"+id, admin, nil), 200, id).data()
				return view["status"] == "sold"
			})
			deposits = map[string]string{}
			for _, d := range view["deposits"].([]any) {
				deposits[str(d.(map[string]any)["bidder"])] = str(d.(map[string]any)["status"])
			}
			return view, view["sales"].([]any)[0].(map[string]any), deposits
		}
		orderOf := func(tradeID string) string {
			tr := must(t, s.do("GET", "/app/v1/trades/"+tradeID, s.token("acme", "bob", "app", "buyer"), nil), 200, "bob's trade").data()
			return str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
		}

		// The winner cancels on the mini-program channel.
		_, won, _ := sale("wc")
		wc := orderOf(str(won["tradeId"]))
		if r := s.do("POST", "/admin/v1/orders/"+wc+"/cancel", bob, map[string]any{"refundDeposit": true}); r.status != 403 && r.status != 404 {
			t.Fatalf("a buyer on the admin route: %d %s", r.status, r.raw)
		}
		if r := must(t, s.do("POST", "/mp/v1/orders/"+wc+"/cancel", bob, nil), 200, "bob cancels"); r.data()["status"] != "cancelled" {
			t.Fatalf("the winner's cancel: %s", r.raw)
		}
		_, won, deposits := sale("wc")
		if deposits["bob"] != "forfeited" || deposits["ann"] != "refunded" || won["outcome"] != "forfeited" {
			t.Fatalf("after the winner cancelled: sale %v, deposits %v; want bob's deposit and the sale forfeited", won, deposits)
		}
		if n := outboxCount(t, db, "auction.deposit_forfeited"); n != 1 {
			t.Fatalf("auction.deposit_forfeited events: %d; want 1", n)
		}
		second := must(t, s.do("POST", "/admin/v1/auctions/wc/second-chance", admin, nil), 200, "second chance").data()
		if second["flow"] != "auction" || second["total"] != float64(31000) {
			t.Fatalf("the runner-up's trade: %v", second)
		}
		secondOrder := str(second["orders"].([]any)[0].(map[string]any)["orderId"])
		if r := s.do("POST", "/admin/v1/orders/"+secondOrder+"/cancel", admin, map[string]any{"refundDeposit": true}); r.status != 400 ||
			r.body["code"] != "order.no_deposit" {
			t.Fatalf("goodwill on a second chance: %d %s; want 400 order.no_deposit", r.status, r.raw)
		}

		// An operator cancels the other sale as goodwill.
		_, gw, _ := sale("gw")
		gwOrder := orderOf(str(gw["tradeId"]))
		if r := s.do("POST", "/admin/v1/orders/"+gwOrder+"/cancel", admin, map[string]any{"refundDeposit": "yes"}); r.status != 400 {
			t.Fatalf("refundDeposit not a boolean: %d %s", r.status, r.raw)
		}
		must(t, s.do("POST", "/admin/v1/orders/"+gwOrder+"/cancel", admin, map[string]any{"refundDeposit": true}), 200, "goodwill")
		_, gw, deposits = sale("gw")
		if deposits["bob"] != "refunded" || gw["outcome"] != "released" {
			t.Fatalf("after the goodwill cancel: sale %v, deposits %v; want bob's deposit refunded, the sale released", gw, deposits)
		}
		if n := outboxCount(t, db, "auction.deposit_refunded"); n != 1 {
			t.Fatalf("auction.deposit_refunded events: %d; want 1", n)
		}
		if st := s.stock(admin, "vase"); st["reserved"] != 1 || st["available"] != 2 {
			t.Fatalf("stock: %v; want the second chance's unit reserved, the rest on sale", st)
		}
	})
}
