package platform_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/auction"
)

// auctionBody is an hour-long auction of one vase from now: 100.00 to start, +5.00 below 200.00
// and +10.00 from it, a 300.00 reserve, a 50.00 deposit; a bid in the last 2 minutes moves the end
// to 3 minutes after it, once; the winner has an hour to pay.
func auctionBody(now time.Time) map[string]any {
	return map[string]any{"skuId": "vase", "title": "Ming vase", "currency": "CNY", "startPrice": 10000,
		"increments":   []any{map[string]any{"from": 0, "step": 500}, map[string]any{"from": 20000, "step": 1000}},
		"reservePrice": 30000, "deposit": 5000, "startsAt": now.UnixMilli(), "endsAt": now.Add(time.Hour).UnixMilli(),
		"antiSnipeSeconds": 120, "extendSeconds": 180, "maxExtensions": 1, "payWindowSeconds": 3600}
}

// auctionStack is a stack with a vase (1,000.00, 3 in stock) and a buyer on each channel.
func auctionStack(t *testing.T, db dal.Config) (s *stack, admin, app, mp string) {
	t.Helper()
	s = start(t, db, &clock{t: time.Now()})
	admin = s.token("acme", "ops", "", "admin")
	s.seed(admin, "vase", "s1", 100000, 3)
	return s, admin, s.token("acme", "ann", "app", "buyer"), s.token("acme", "bob", "mp", "buyer")
}

// deposit pays a buyer's deposit on an auction through their channel and the sandbox.
func (s *stack) deposit(admin, token, prefix, id string) {
	s.t.Helper()
	body := map[string]any{"method": "sandbox", "address": address}
	var payment map[string]any
	if prefix == "/mp/v1" {
		r := must(s.t, s.do("POST", prefix+"/auctions/"+id+"/deposit", token, mpBody(body)), 200, "mp deposit")
		payment = r.data()["payment"].(map[string]any)
		payment["paymentId"] = payment["payment_id"]
	} else {
		payment = must(s.t, s.do("POST", prefix+"/auctions/"+id+"/deposit", token, body), 201, "deposit").data()["payment"].(map[string]any)
	}
	must(s.t, s.do("POST", "/admin/v1/payments/"+str(payment["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "deposit paid")
}

// TestAuctionThroughTheStack: an auction through HTTP → Kitex → the database on both channels:
// the reserve is an operator's; a bid needs a paid deposit; a bid one minor unit too low is
// refused with the next acceptable bid; a proxy bids for its buyer against a bid by hand, one
// step at a time across the ladder's change of step; bidders are masked to each other; a late bid
// moves the end once; a bid after the end is refused; the close timer sells to the leader, who
// pays the price less the deposit, and refunds the other deposit.
func TestAuctionThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin, ann, bob := auctionStack(t, db)
		put := must(t, s.do("PUT", "/admin/v1/auctions/vase-1", admin, auctionBody(s.clock.Now())), 200, "put auction").data()
		if put["status"] != "running" || put["reservePrice"] != float64(30000) || put["minNextBid"] != float64(10000) {
			t.Fatalf("put: %v", put)
		}
		if st := s.stock(admin, "vase"); st["reserved"] != 1 || st["available"] != 2 {
			t.Fatalf("the auction holds one unit: %v", st)
		}
		view := must(t, s.do("GET", "/app/v1/auctions/vase-1", ann, nil), 200, "buyer view").data()
		if _, shown := view["reservePrice"]; shown || view["reserveMet"] != false || view["minNextBid"] != "100.00" || view["status"] != "running" {
			t.Fatalf("what a buyer sees: %v", view)
		}
		if r := s.do("POST", "/app/v1/auctions/vase-1/bids", ann, map[string]any{"amount": "100.00"}); r.status != 409 || r.body["code"] != "auction.deposit_required" {
			t.Fatalf("a bid without a deposit: %d %s", r.status, r.raw)
		}
		s.deposit(admin, ann, "/app/v1", "vase-1")
		s.deposit(admin, bob, "/mp/v1", "vase-1")
		if d := must(t, s.do("GET", "/app/v1/auctions/vase-1", ann, nil), 200, "view").data()["myDeposit"].(map[string]any); d["status"] != "paid" || d["amount"] != "50.00" {
			t.Fatalf("ann's deposit: %v", d)
		}

		bid := func(token, prefix string, body map[string]any, key string) reply {
			t.Helper()
			return s.do("POST", prefix+"/auctions/vase-1/bids", token, body, "Idempotency-Key", key)
		}
		r := must(t, bid(ann, "/app/v1", map[string]any{"amount": "100.00"}, "a1"), 200, "ann opens").data()
		if r["accepted"] != true || r["leading"] != true || r["currentPrice"] != "100.00" || r["minNextBid"] != "105.00" {
			t.Fatalf("ann's first bid: %v", r)
		}
		if again := must(t, bid(ann, "/app/v1", map[string]any{"amount": "100.00"}, "a1"), 200, "replay").data(); fmt.Sprint(again) != fmt.Sprint(r) {
			t.Fatalf("the same key again: %v; first %v", again, r)
		}
		low := bid(bob, "/mp/v1", map[string]any{"amount_fee": 10499}, "b1")
		if low.body["errcode"] != float64(57005) || fmt.Sprint(low.body["errors"]) != "[map[code:min field:min_next_bid message:10500]]" {
			t.Fatalf("one minor unit too low: %s", low.raw)
		}
		// The app channel names the next bid in its own money format, as its message does.
		if low := bid(ann, "/app/v1", map[string]any{"amount": "104.99"}, "a-low"); low.status != 409 ||
			fmt.Sprint(low.body["errors"]) != "[map[code:min field:minNextBid message:105.00]]" {
			t.Fatalf("one minor unit too low on the app channel: %s", low.raw)
		}
		if r := must(t, bid(bob, "/mp/v1", map[string]any{"max_amount_fee": 35000}, "b2"), 200, "bob's proxy").body["data"].(map[string]any); r["leading"] != true ||
			r["current_price_fee"] != float64(10500) {
			t.Fatalf("bob's proxy: %v", r)
		}
		// Ann's 200.00 by hand is covered by Bob's proxy: he leads at 200.00 + 10.00, the step from 200.00 on.
		if r := must(t, bid(ann, "/app/v1", map[string]any{"amount": "200.00"}, "a2"), 200, "ann again").data(); r["leading"] != false ||
			r["currentPrice"] != "210.00" || r["minNextBid"] != "220.00" {
			t.Fatalf("ann against the proxy: %v", r)
		}
		if r := bid(bob, "/mp/v1", map[string]any{"amount_fee": 30000}, "b3"); r.body["errcode"] != float64(57006) {
			t.Fatalf("bob outbidding himself: %s", r.raw)
		}
		bids := must(t, s.do("GET", "/app/v1/auctions/vase-1/bids", ann, nil), 200, "bids").data()["bids"].([]any)
		if len(bids) != 3 || bids[0].(map[string]any)["bidder"] != "b***" || bids[0].(map[string]any)["amount"] != "210.00" ||
			bids[2].(map[string]any)["bidder"] != "ann" || bids[2].(map[string]any)["mine"] != true {
			t.Fatalf("the history as ann sees it: %v", bids)
		}
		if all := must(t, s.do("GET", "/admin/v1/auctions/vase-1/bids", admin, nil), 200, "admin bids").data()["bids"].([]any); all[0].(map[string]any)["bidder"] != "bob" {
			t.Fatalf("the history as an operator sees it: %v", all)
		}

		// A minute before the end Ann beats the proxy: the end moves to three minutes after her
		// bid, once; Bob's reply does not move it again.
		s.clock.Advance(59 * time.Minute)
		if r := must(t, bid(ann, "/app/v1", map[string]any{"amount": "360.00"}, "a3"), 200, "late bid").data(); r["leading"] != true {
			t.Fatalf("ann's late bid: %v", r)
		}
		ext := must(t, s.do("GET", "/admin/v1/auctions/vase-1", admin, nil), 200, "after the late bid").data()
		if ext["extensions"] != float64(1) || ext["endsAt"] == ext["scheduledEndsAt"] {
			t.Fatalf("after a late bid: %v", ext)
		}
		s.clock.Advance(2 * time.Minute) // past the scheduled end, before the moved one
		must(t, bid(bob, "/mp/v1", map[string]any{"amount_fee": 37000}, "b4"), 200, "bob after the scheduled end")
		if v := must(t, s.do("GET", "/admin/v1/auctions/vase-1", admin, nil), 200, "cap").data(); v["extensions"] != float64(1) || v["endsAt"] != ext["endsAt"] {
			t.Fatalf("past the cap: %v", v)
		}
		s.clock.Advance(2 * time.Minute)
		if r := s.do("POST", "/app/v1/auctions/vase-1/bids", ann, map[string]any{"amount": "400.00"}); r.status != 409 || r.body["code"] != "auction.closed" {
			t.Fatalf("a bid after the end: %d %s", r.status, r.raw)
		}
		var sold map[string]any
		eventually(t, 10*time.Second, "settled by its timer", func() bool {
			sold = must(t, s.do("GET", "/admin/v1/auctions/vase-1", admin, nil), 200, "settled").data()
			return sold["status"] == "sold"
		})
		sale := sold["sales"].([]any)[0].(map[string]any)
		deposits := map[string]string{}
		for _, d := range sold["deposits"].([]any) {
			deposits[str(d.(map[string]any)["bidder"])] = str(d.(map[string]any)["status"])
		}
		if sale["bidder"] != "bob" || sale["price"] != float64(37000) || sale["credit"] != float64(5000) || deposits["bob"] != "credited" ||
			deposits["ann"] != "refunded" {
			t.Fatalf("the sale: %v, deposits %v", sale, deposits)
		}
		tradeID := str(sale["tradeId"])
		// The winner's trade shows the deposit it credits and what is due, as its payment charges.
		if v := must(t, s.do("GET", "/app/v1/trades/"+tradeID, s.token("acme", "bob", "app", "buyer"), nil), 200, "the sale").data(); v["payable"] != "370.00" ||
			v["credit"] != "50.00" || v["due"] != "320.00" {
			t.Fatalf("the winner's trade: payable %v, credit %v, due %v; want 370.00, 50.00, 320.00", v["payable"], v["credit"], v["due"])
		}
		pay := must(t, s.do("POST", "/mp/v1/trades/"+tradeID+"/payments", bob, map[string]any{"method": "sandbox"}), 200, "bob pays").body["data"].(map[string]any)
		if pay["amount_fee"] != float64(32000) {
			t.Fatalf("the winner pays the price less the deposit: %v", pay)
		}
		must(t, s.do("POST", "/admin/v1/payments/"+str(pay["payment_id"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
		tr := must(t, s.do("GET", "/app/v1/trades/"+tradeID, s.token("acme", "bob", "app", "buyer"), nil), 200, "bob's trade").data()
		if tr["flow"] != "auction" || tr["orders"].([]any)[0].(map[string]any)["status"] != "paid" || tr["due"] != "0.00" {
			t.Fatalf("the winner's trade: %v", tr)
		}
		if st := s.stock(admin, "vase"); st["sold"] != 1 || st["reserved"] != 0 || st["available"] != 2 {
			t.Fatalf("stock after the sale: %v", st)
		}
		// After-sale works on auction trades too: refunded before shipping, the money goes back
		// to the payment of the price first, then the deposit that counted toward it.
		orderID := str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
		back := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", s.token("acme", "bob", "app", "buyer"),
			map[string]any{"kind": "refund_only", "lines": []any{map[string]any{"lineNo": 1, "quantity": 1}}, "reason": "changed_mind"}), 201, "refund").data()
		refunds := back["refunds"].([]any)
		if back["status"] != "refunded" || back["amount"] != "370.00" || len(refunds) != 2 || refunds[0].(map[string]any)["amount"] != "320.00" ||
			refunds[1].(map[string]any)["amount"] != "50.00" {
			t.Fatalf("an auction sale refunded: %v", back)
		}
		if st := s.stock(admin, "vase"); st["sold"] != 0 || st["available"] != 3 {
			t.Fatalf("stock after the refund: %v", st)
		}
		// The deposit that counted toward the price went back with it: it is refunded, not credited.
		if d := must(t, s.do("GET", "/app/v1/auctions/vase-1", s.token("acme", "bob", "app", "buyer"), nil), 200, "view").data()["myDeposit"].(map[string]any); d["status"] != "refunded" {
			t.Fatalf("the winner's deposit after the sale's refund: %v", d)
		}
		for topic, want := range map[string]int{"auction.settled": 1, "auction.extended": 1, "auction.deposit_paid": 2} {
			if n := outboxCount(t, db, topic); n != want {
				t.Errorf("%s: %d events; want %d", topic, n, want)
			}
		}
		if n := outboxCount(t, db, "auction.bid_accepted"); n != 5 {
			t.Errorf("auction.bid_accepted: %d events; want one per price move, 5", n)
		}
	})
}

// TestAuctionUnsoldForfeitAndCancel: below the reserve the unit goes back and every deposit is
// refunded; a winner who does not pay forfeits the deposit and the runner-up is offered the unit
// at their last bid; an auction called off refunds every deposit. Every deposit ends refunded,
// credited or forfeited.
func TestAuctionUnsoldForfeitAndCancel(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin, ann, bob := auctionStack(t, db)
		ended := func(id string) map[string]any {
			var v map[string]any
			eventually(t, 10*time.Second, id+" settled", func() bool {
				v = must(t, s.do("GET", "/admin/v1/auctions/"+id, admin, nil), 200, id).data()
				return v["status"] != "running" && v["status"] != "ended"
			})
			return v
		}
		// Unsold: 250.00 does not meet the 300.00 reserve.
		must(t, s.do("PUT", "/admin/v1/auctions/low", admin, auctionBody(s.clock.Now())), 200, "put low")
		s.deposit(admin, ann, "/app/v1", "low")
		must(t, s.do("POST", "/app/v1/auctions/low/bids", ann, map[string]any{"amount": "250.00"}), 200, "bid low")
		// Won but never paid.
		must(t, s.do("PUT", "/admin/v1/auctions/unpaid", admin, auctionBody(s.clock.Now())), 200, "put unpaid")
		s.deposit(admin, ann, "/app/v1", "unpaid")
		s.deposit(admin, bob, "/mp/v1", "unpaid")
		must(t, s.do("POST", "/app/v1/auctions/unpaid/bids", ann, map[string]any{"amount": "310.00"}), 200, "ann")
		must(t, s.do("POST", "/mp/v1/auctions/unpaid/bids", bob, map[string]any{"amount_fee": 32000}), 200, "bob")
		// Called off.
		must(t, s.do("PUT", "/admin/v1/auctions/off", admin, auctionBody(s.clock.Now())), 200, "put off")
		s.deposit(admin, ann, "/app/v1", "off")
		off := must(t, s.do("POST", "/admin/v1/auctions/off/cancel", admin, nil), 200, "cancel").data()
		if off["status"] != "cancelled" || off["deposits"].([]any)[0].(map[string]any)["status"] != "refunded" {
			t.Fatalf("cancelled: %v", off)
		}
		if r := s.do("POST", "/admin/v1/auctions/off/cancel", admin, nil); r.status != 409 {
			t.Fatalf("cancelled twice: %d %s", r.status, r.raw)
		}
		if st := s.stock(admin, "vase"); st["reserved"] != 2 || st["available"] != 1 {
			t.Fatalf("two auctions hold a unit each: %v", st)
		}
		if r := s.do("POST", "/admin/v1/auctions/unpaid/second-chance", admin, nil); r.status != 409 || r.body["code"] != "auction.no_second_chance" {
			t.Fatalf("a second chance before the end: %d %s", r.status, r.raw)
		}

		s.clock.Advance(time.Hour + time.Second)
		if v := ended("low"); v["status"] != "unsold" || v["deposits"].([]any)[0].(map[string]any)["status"] != "refunded" {
			t.Fatalf("below the reserve: %v", v)
		}
		if v := ended("unpaid"); v["status"] != "sold" {
			t.Fatalf("unpaid: %v", v)
		}
		s.clock.Advance(time.Hour + time.Second) // the winner's pay window
		var v map[string]any
		eventually(t, 10*time.Second, "the deposit forfeited", func() bool {
			v = must(t, s.do("GET", "/admin/v1/auctions/unpaid", admin, nil), 200, "unpaid").data()
			for _, d := range v["deposits"].([]any) {
				if d.(map[string]any)["bidder"] == "bob" {
					return d.(map[string]any)["status"] == "forfeited"
				}
			}
			return false
		})
		second := must(t, s.do("POST", "/admin/v1/auctions/unpaid/second-chance", admin, nil), 200, "second chance").data()
		if second["flow"] != "auction" || second["total"] != float64(31000) {
			t.Fatalf("the runner-up's trade: %v", second)
		}
		if again := must(t, s.do("POST", "/admin/v1/auctions/unpaid/second-chance", admin, nil), 200, "again").data(); again["tradeId"] != second["tradeId"] {
			t.Fatalf("offered twice: %v", again)
		}
		if st := s.stock(admin, "vase"); st["reserved"] != 1 || st["available"] != 2 {
			t.Fatalf("stock after the second chance: %v", st)
		}
		for _, id := range []string{"low", "unpaid", "off"} {
			v := must(t, s.do("GET", "/admin/v1/auctions/"+id, admin, nil), 200, id).data()
			for _, d := range v["deposits"].([]any) {
				if st := d.(map[string]any)["status"]; st != "refunded" && st != "credited" && st != "forfeited" {
					t.Errorf("%s: a deposit ended %v", id, st)
				}
			}
		}
	})
}

// TestAuctionSettlesOnceAcrossKill9: the real binary runs auctions that close a few seconds out;
// it is killed with SIGKILL just after each one's close (at a different moment each time; on
// MariaDB the first kill is held inside settlement for certain) and restarted on the same database. Each
// auction is settled exactly once: one sale, to the leader, the winner's deposit credited and each
// losing deposit refunded once.
func TestAuctionSettlesOnceAcrossKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	bin := buildAtrium(t)
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		k := newKillable(t, bin, db)
		s := k.stack()
		k.launch("first")
		k.ready("first process ready")
		admin := s.token("acme", "ops", "", "admin")
		s.seed(admin, "vase", "s1", 100000, 10)
		buyers := []string{s.token("acme", "ann", "app", "buyer"), s.token("acme", "bob", "app", "buyer"), s.token("acme", "cat", "app", "buyer")}
		for round, after := range []time.Duration{20 * time.Millisecond, 150 * time.Millisecond, 400 * time.Millisecond} {
			id := fmt.Sprint("crash-", round)
			body := auctionBody(time.Now())
			ends := time.Now().Add(3 * time.Second)
			body["endsAt"], body["antiSnipeSeconds"], body["maxExtensions"] = ends.UnixMilli(), 0, 0
			must(t, s.do("PUT", "/admin/v1/auctions/"+id, admin, body), 200, "put "+id)
			for i, tok := range buyers {
				s.deposit(admin, tok, "/app/v1", id)
				must(t, s.do("POST", "/app/v1/auctions/"+id+"/bids", tok, map[string]any{"amount": fmt.Sprintf("%d.00", 300+10*i)}), 200, "bid")
			}
			// On MariaDB the first kill lands inside settlement for certain: the test holds the
			// auction's row, so the close timer, once leased, waits on it; the process is killed
			// there. Only the restarted node's taking back its own lease settles the auction within
			// the 20 s below: a lease nobody takes back runs out after a minute.
			var hold *sql.Tx
			if round == 0 && db.Driver == "mysql" {
				d := openDB(t, db)
				defer d.Close()
				var err error
				if hold, err = d.Primary().Begin(); err != nil {
					t.Fatal(err)
				}
				var locked string
				if err := hold.QueryRow(`SELECT auction_id FROM auctions WHERE tenant = 'acme' AND auction_id = ? FOR UPDATE`, id).Scan(&locked); err != nil {
					t.Fatal(err)
				}
				eventually(t, 20*time.Second, id+"'s close timer leased and waiting in settlement", func() bool {
					var by string
					err := d.Primary().QueryRow(`SELECT leased_by FROM delayed_jobs WHERE kind = 'auction.close' AND ref = ? AND done_at = 0`,
						"acme/"+id).Scan(&by)
					return err == nil && by != ""
				})
			} else {
				time.Sleep(time.Until(ends.Add(after)))
			}
			k.kill()
			if hold != nil {
				_ = hold.Rollback()
			}
			k.launch(fmt.Sprint("restart-", round))
			k.ready("restarted")
			var v map[string]any
			// A close timer the killed process had leased, and not finished, is taken back by the
			// restarted one (the same node id), not left for the lease's minute.
			eventually(t, 20*time.Second, id+" settled after the restart", func() bool {
				v = must(t, s.do("GET", "/admin/v1/auctions/"+id, admin, nil), 200, id).data()
				return v["status"] == "sold"
			})
			if sales := v["sales"].([]any); len(sales) != 1 || sales[0].(map[string]any)["bidder"] != "cat" || sales[0].(map[string]any)["price"] != float64(32000) {
				t.Fatalf("%s: sales %v", id, sales)
			}
			status := map[string]string{}
			for _, d := range v["deposits"].([]any) {
				status[str(d.(map[string]any)["bidder"])] = str(d.(map[string]any)["status"])
			}
			if status["cat"] != "credited" || status["ann"] != "refunded" || status["bob"] != "refunded" {
				t.Fatalf("%s: deposits %v", id, status)
			}
		}
		// Counted in the database: one auction trade per auction, one refund per losing deposit.
		d := openDB(t, db)
		defer d.Close()
		var trades, refunds, dupRefunds int
		if err := d.Primary().QueryRow(`SELECT COUNT(*) FROM orders WHERE tenant = 'acme' AND scenario = 'auction'`).Scan(&trades); err != nil {
			t.Fatal(err)
		}
		if err := d.Primary().QueryRow(`SELECT COUNT(*) FROM payment_refunds WHERE tenant = 'acme' AND order_id LIKE 'AD%'`).Scan(&refunds); err != nil {
			t.Fatal(err)
		}
		if err := d.Primary().QueryRow(`SELECT COUNT(*) FROM (SELECT order_id FROM payment_refunds WHERE tenant = 'acme' AND order_id LIKE 'AD%'
			GROUP BY order_id HAVING COUNT(*) > 1) x`).Scan(&dupRefunds); err != nil {
			t.Fatal(err)
		}
		if trades != 3 || refunds != 6 || dupRefunds != 0 {
			t.Fatalf("%d auction orders (want 3), %d deposit refunds (want 6), %d deposits refunded twice", trades, refunds, dupRefunds)
		}
		if found := auditFindings(t, db); len(found) > 0 {
			t.Fatalf("the auditor after the kills: %v", found)
		}
	})
}

// TestAuctionProxiesAndScripts: two proxies meet (the earlier leads at the later max plus a step,
// or at the later max when the step does not fit), a business's auction.bid_increment ladder
// replaces the auction's, and its auction.settle sells below the reserve, or leaves an auction for
// an operator to decide.
func TestAuctionProxiesAndScripts(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin, ann, bob := auctionStack(t, db)
		must(t, s.do("PUT", "/admin/v1/auctions/pp", admin, auctionBody(s.clock.Now())), 200, "put")
		s.deposit(admin, ann, "/app/v1", "pp")
		s.deposit(admin, bob, "/mp/v1", "pp")
		must(t, s.do("POST", "/app/v1/auctions/pp/bids", ann, map[string]any{"maxAmount": "280.00"}), 200, "ann's proxy")
		// Bob's lower proxy: Ann leads at his 250.00 plus the 10.00 step.
		r := must(t, s.do("POST", "/mp/v1/auctions/pp/bids", bob, map[string]any{"max_amount_fee": 25000}), 200, "bob's proxy").body["data"].(map[string]any)
		if r["leading"] != false || r["current_price_fee"] != float64(26000) {
			t.Fatalf("a lower proxy against an earlier one: %v", r)
		}
		// Bob's 275.00 proxy: the step does not fit under Ann's 280.00, so she leads at 275.00.
		r = must(t, s.do("POST", "/mp/v1/auctions/pp/bids", bob, map[string]any{"max_amount_fee": 27500}), 200, "bob again").body["data"].(map[string]any)
		if r["leading"] != false || r["current_price_fee"] != float64(27500) {
			t.Fatalf("a proxy just under the earlier one's max: %v", r)
		}
		// Bob's 500.00 proxy beats her max: he leads at her 280.00 plus a step.
		r = must(t, s.do("POST", "/mp/v1/auctions/pp/bids", bob, map[string]any{"max_amount_fee": 50000}), 200, "bob above").body["data"].(map[string]any)
		if r["leading"] != true || r["current_price_fee"] != float64(29000) {
			t.Fatalf("a higher proxy: %v", r)
		}

		// A business's own ladder (1.00 steps) and its settle rule (sell from 150.00).
		s.publish(admin, "fine-steps", `-- point: auction.bid_increment
function run(input) return {increments = {{from = 0, step = 100}}} end
`, "acme/*")
		s.publish(admin, "sell-from-150", `-- point: auction.settle
function run(input)
  if input.bids > 0 and input.price >= 15000 then return {decision = "sell"} end
  if input.bids > 0 then return {decision = "review", reviewSeconds = 600} end
  return {decision = "unsold"}
end
`, "acme/*")
		ident, _ := identity.New("acme", "", auction.Scenario)
		eventually(t, 2*time.Second, "auction scripts loaded", func() bool {
			a := s.trade.Engine.Resolve("auction.bid_increment", extensions.Override, extensions.Call{Identity: ident, UserID: "probe"})
			b := s.trade.Engine.Resolve("auction.settle", extensions.Override, extensions.Call{Identity: ident, UserID: "probe"})
			return len(a) == 1 && len(b) == 1
		})
		must(t, s.do("PUT", "/admin/v1/auctions/fine", admin, auctionBody(s.clock.Now())), 200, "put fine")
		must(t, s.do("PUT", "/admin/v1/auctions/rev", admin, auctionBody(s.clock.Now())), 200, "put rev")
		must(t, s.do("PUT", "/admin/v1/skus/vase/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 4}), 200, "a fourth vase")
		must(t, s.do("PUT", "/admin/v1/auctions/late", admin, auctionBody(s.clock.Now())), 200, "put late")
		for _, id := range []string{"rev", "late"} {
			s.deposit(admin, ann, "/app/v1", id)
			must(t, s.do("POST", "/app/v1/auctions/"+id+"/bids", ann, map[string]any{"amount": "120.00"}), 200, "ann on "+id)
		}
		s.deposit(admin, ann, "/app/v1", "fine")
		s.deposit(admin, bob, "/mp/v1", "fine")
		must(t, s.do("POST", "/app/v1/auctions/fine/bids", ann, map[string]any{"amount": "150.00"}), 200, "ann")
		if r := must(t, s.do("POST", "/mp/v1/auctions/fine/bids", bob, map[string]any{"amount_fee": 15100}), 200, "one yuan more").body["data"].(map[string]any); r["leading"] != true ||
			r["min_next_bid_fee"] != float64(15200) {
			t.Fatalf("the business's ladder: %v", r)
		}
		s.clock.Advance(time.Hour + time.Second)
		eventually(t, 10*time.Second, "sold below the reserve by the business's rule", func() bool {
			v := must(t, s.do("GET", "/admin/v1/auctions/fine", admin, nil), 200, "fine").data()
			return v["status"] == "sold" && v["reserveMet"] == false
		})
		// Left for review: it stays ended until an operator decides.
		eventually(t, 10*time.Second, "review asked for", func() bool { return outboxCount(t, db, "auction.review_required") == 2 })
		if v := must(t, s.do("GET", "/admin/v1/auctions/rev", admin, nil), 200, "rev").data(); v["status"] != "ended" {
			t.Fatalf("an auction left for review: %v", v["status"])
		}
		if r := s.do("POST", "/admin/v1/auctions/rev/decide", admin, map[string]any{"decision": "maybe"}); r.status != 400 || r.body["code"] != "auction.invalid_decision" {
			t.Fatalf("a decision that is none: %d %s", r.status, r.raw)
		}
		if v := must(t, s.do("POST", "/admin/v1/auctions/rev/decide", admin, map[string]any{"decision": "sell"}), 200, "decide").data(); v["status"] != "sold" ||
			len(v["sales"].([]any)) != 1 {
			t.Fatalf("sold by the operator: %v", v)
		}
		if r := s.do("POST", "/admin/v1/auctions/rev/decide", admin, map[string]any{"decision": "unsold"}); r.status != 409 || r.body["code"] != "auction.not_settleable" {
			t.Fatalf("decided twice: %d %s", r.status, r.raw)
		}
		// Nobody decides the other within the script's ten minutes: it goes unsold, the deposit
		// back, the unit back in stock. The decided one stays sold.
		s.clock.Advance(10*time.Minute + time.Second)
		eventually(t, 10*time.Second, "undecided review expired", func() bool {
			return must(t, s.do("GET", "/admin/v1/auctions/late", admin, nil), 200, "late").data()["status"] == "unsold"
		})
		late := must(t, s.do("GET", "/admin/v1/auctions/late", admin, nil), 200, "late").data()
		sales, _ := late["sales"].([]any)
		if d := late["deposits"].([]any); len(d) != 1 || d[0].(map[string]any)["status"] != "refunded" || len(sales) != 0 {
			t.Fatalf("an expired review: %v", late)
		}
		conn := openDB(t, db)
		defer conn.Close()
		var payload string
		if err := conn.Primary().QueryRowContext(context.Background(), `SELECT payload FROM outbox_events WHERE topic = 'auction.unsold' AND msg_key = ?`,
			"late").Scan(&payload); err != nil || !strings.Contains(payload, `"reason":"review_expired"`) {
			t.Fatalf("the expired review's event: %s %v", payload, err)
		}
		if v := must(t, s.do("GET", "/admin/v1/auctions/rev", admin, nil), 200, "rev").data(); v["status"] != "sold" {
			t.Fatalf("a decided review after its window: %v", v["status"])
		}
	})
}
