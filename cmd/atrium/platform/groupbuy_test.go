package platform_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// groupBuyBody is a campaign selling tea (list 120.00) at 80.00 in groups of size, filled within
// an hour, open from a minute before now for a day, at most 2 units a buyer.
func groupBuyBody(now time.Time, size, virtualFill int) map[string]any {
	ms := now.UnixMilli()
	return map[string]any{"name": "Tea together", "currency": "CNY", "skus": []any{map[string]any{"skuId": "tea", "price": 8000}},
		"groupSize": size, "formationSeconds": 3600, "startsAt": ms - 60_000, "endsAt": ms + 86_400_000, "perUser": 2, "virtualFill": virtualFill}
}

// groupBuyStack is a stack with 20 units of tea (list 120.00) and the campaign gb1 in groups of
// size (virtualFill as given).
func groupBuyStack(t *testing.T, db dal.Config, size, virtualFill int) (*stack, string) {
	t.Helper()
	s := start(t, db, &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 12000, 20)
	must(t, s.do("PUT", "/admin/v1/groupbuys/gb1", admin, groupBuyBody(s.clock.Now(), size, virtualFill)), 200, "put group buy")
	return s, admin
}

// groupOrder opens a group (groupID "") or joins one, on the app channel.
func (s *stack) groupOrder(token, groupID string, qty int) reply {
	body := map[string]any{"flow": "groupbuy", "groupBuyId": "gb1", "items": []any{item("tea", qty)}, "address": address}
	if groupID != "" {
		body["groupId"] = groupID
	}
	return s.do("POST", "/app/v1/orders", token, body)
}

// payTrade pays a trade in full through the sandbox, on the app channel.
func (s *stack) payTrade(t *testing.T, admin, token, tradeID string) {
	t.Helper()
	p := must(t, s.do("POST", "/app/v1/trades/"+tradeID+"/payments", token, map[string]any{"method": "sandbox"}), 201, "payment").data()
	must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
}

func place(d map[string]any) map[string]any { return d["groupBuy"].(map[string]any) }

func firstOrder(d map[string]any) map[string]any { return d["orders"].([]any)[0].(map[string]any) }

// TestGroupBuyCampaigns: an operator puts a campaign and reads it back; a campaign out of bounds
// is refused with groupbuy.invalid_campaign and changes nothing; buyers read it with prices in
// their channel's money format; another tenant does not see it.
func TestGroupBuyCampaigns(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := groupBuyStack(t, db, 3, 0)
		got := must(t, s.do("GET", "/admin/v1/groupbuys/gb1", admin, nil), 200, "get").data()
		if got["groupSize"] != float64(3) || got["status"] != "active" || got["skus"].([]any)[0].(map[string]any)["price"] != float64(8000) {
			t.Fatalf("get: %v", got)
		}
		for name, edit := range map[string]func(b map[string]any){
			"a group of one":        func(b map[string]any) { b["groupSize"] = 1 },
			"a group of 101":        func(b map[string]any) { b["groupSize"] = 101 },
			"59 seconds to fill":    func(b map[string]any) { b["formationSeconds"] = 59 },
			"8 days to fill":        func(b map[string]any) { b["formationSeconds"] = 8 * 86400 },
			"virtual fill too big":  func(b map[string]any) { b["virtualFill"] = 3 },
			"ends before it starts": func(b map[string]any) { b["endsAt"] = b["startsAt"] },
			"no price":              func(b map[string]any) { b["skus"] = []any{map[string]any{"skuId": "tea", "price": 0}} },
			"a SKU twice": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "tea", "price": 1}, map[string]any{"skuId": "tea", "price": 2}}
			},
		} {
			b := groupBuyBody(s.clock.Now(), 3, 0)
			b["name"] = "changed"
			edit(b)
			if r := s.do("PUT", "/admin/v1/groupbuys/gb1", admin, b); r.status != 400 || r.body["code"] != "groupbuy.invalid_campaign" {
				t.Errorf("%s: %d %s; want 400 groupbuy.invalid_campaign", name, r.status, r.raw)
			}
		}
		if got := must(t, s.do("GET", "/admin/v1/groupbuys/gb1", admin, nil), 200, "get").data(); got["name"] != "Tea together" {
			t.Fatalf("a refused put changed the campaign: %v", got)
		}
		app := must(t, s.do("GET", "/app/v1/groupbuys/gb1", s.token("acme", "u1", "app", "buyer"), nil), 200, "app read").data()
		if app["skus"].([]any)[0].(map[string]any)["price"] != "80.00" {
			t.Errorf("app price: %v", app)
		}
		mp := must(t, s.do("GET", "/mp/v1/groupbuys/gb1", s.token("acme", "u1", "mp", "buyer"), nil), 200, "mp read").data()
		if mp["skus"].([]any)[0].(map[string]any)["price_fee"] != float64(8000) || mp["group_size"] != float64(3) {
			t.Errorf("mp view: %v", mp)
		}
		if r := s.do("GET", "/admin/v1/groupbuys/gb1", s.token("globex", "ops", "", "admin"), nil); r.status != 404 ||
			r.body["code"] != "groupbuy.campaign_not_found" {
			t.Errorf("another tenant: %d %s", r.status, r.raw)
		}
		if r := s.do("PUT", "/admin/v1/groupbuys/gb1", s.token("acme", "u1", "app", "buyer"), groupBuyBody(s.clock.Now(), 3, 0)); r.status != 403 {
			t.Errorf("a buyer on the admin route: %d %s", r.status, r.raw)
		}
	})
}

// TestGroupBuyOpenAndFill: a group opened, joined and paid to its size through HTTP → Kitex → the
// database: the quote shows the group price; each trade shows its place; an order of a forming
// group does not ship (groupbuy.not_formed); joining one's own group, a full group or a formed
// group is refused with its own code and reserves nothing; the last payment forms the group and
// its orders ship. The mini-program channel speaks its own conventions on the same routes.
func TestGroupBuyOpenAndFill(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := groupBuyStack(t, db, 3, 0)
		a, b := s.token("acme", "alice", "app", "buyer"), s.token("acme", "bob", "app", "buyer")
		c, d := s.token("acme", "carol", "mp", "buyer"), s.token("acme", "dave", "app", "buyer")
		q := must(t, s.do("POST", "/app/v1/quotes", a, map[string]any{"flow": "groupbuy", "groupBuyId": "gb1", "items": []any{item("tea", 2)}}),
			200, "quote").data()
		if q["payable"] != "160.00" || place(q)["leader"] != true {
			t.Fatalf("quote: %v", q)
		}
		opened := must(t, s.groupOrder(a, "", 1), 201, "open").data()
		gp := place(opened)
		groupID := str(gp["groupId"])
		if gp["groupStatus"] != "forming" || gp["memberStatus"] != "joined" || gp["leader"] != true || opened["payable"] != "80.00" ||
			opened["state"] != "awaiting_payment" {
			t.Fatalf("opened: %v", opened)
		}
		s.payTrade(t, admin, a, str(opened["tradeId"]))
		orderA := str(firstOrder(opened)["orderId"])
		if r := s.do("POST", "/admin/v1/orders/"+orderA+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "1"}); r.status != 409 ||
			r.body["code"] != "groupbuy.not_formed" {
			t.Fatalf("shipping a forming group's order: %d %s", r.status, r.raw)
		}
		if r := s.groupOrder(a, groupID, 1); r.status != 409 || r.body["code"] != "groupbuy.already_member" {
			t.Fatalf("joining one's own group: %d %s", r.status, r.raw)
		}
		joinB := must(t, s.groupOrder(b, groupID, 1), 201, "bob joins").data()
		if place(joinB)["leader"] != false || place(joinB)["members"] != float64(2) {
			t.Fatalf("bob's place: %v", place(joinB))
		}
		// Carol joins from the mini-program: snake_case, money in minor units, 200 with errcode 0.
		joinC := must(t, s.do("POST", "/mp/v1/orders", c, mpBody(map[string]any{"flow": "groupbuy", "groupBuyId": "gb1", "groupId": groupID,
			"items": []any{item("tea", 1)}, "address": address})), 200, "carol joins").data()
		if joinC["payable_fee"] != float64(8000) || joinC["group_buy"].(map[string]any)["group_id"] != groupID {
			t.Fatalf("carol's trade on mp: %v", joinC)
		}
		reserved := s.stock(admin, "tea")["reserved"]
		if r := s.groupOrder(d, groupID, 1); r.status != 409 || r.body["code"] != "groupbuy.group_full" {
			t.Fatalf("joining a full group: %d %s", r.status, r.raw)
		}
		if r := s.do("POST", "/mp/v1/orders", s.token("acme", "dave", "mp", "buyer"), mpBody(map[string]any{"flow": "groupbuy", "groupBuyId": "gb1", "groupId": groupID,
			"items": []any{item("tea", 1)}, "address": address})); r.body["errcode"] != float64(58008) {
			t.Fatalf("a full group on the mini-program: %s", r.raw)
		}
		if got := s.stock(admin, "tea")["reserved"]; got != reserved {
			t.Fatalf("a refused join reserved stock: %v; want %v", got, reserved)
		}
		grp := must(t, s.do("GET", "/app/v1/groups/"+groupID, b, nil), 200, "group").data()
		if grp["joined"] != true || grp["members"] != float64(3) || grp["paid"] != float64(1) || grp["needed"] != float64(2) || grp["leader"] != "a***" {
			t.Fatalf("bob's view of the group: %v", grp)
		}
		if g := must(t, s.do("GET", "/app/v1/groups/"+groupID, d, nil), 200, "group").data(); g["joined"] != false {
			t.Fatalf("dave's view: %v", g)
		}
		s.payTrade(t, admin, b, str(joinB["tradeId"]))
		pc := must(t, s.do("POST", "/app/v1/trades/"+str(joinC["trade_id"])+"/payments", s.token("acme", "carol", "app", "buyer"),
			map[string]any{"method": "sandbox"}), 201, "carol pays").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(pc["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
		after := must(t, s.do("GET", "/app/v1/trades/"+str(opened["tradeId"]), a, nil), 200, "alice's trade").data()
		if place(after)["groupStatus"] != "formed" || place(after)["memberStatus"] != "paid" || place(after)["needed"] != float64(0) {
			t.Fatalf("after the third payment: %v", place(after))
		}
		if r := s.groupOrder(d, groupID, 1); r.status != 409 || r.body["code"] != "groupbuy.group_formed" {
			t.Fatalf("joining a formed group: %d %s", r.status, r.raw)
		}
		must(t, s.do("POST", "/admin/v1/orders/"+orderA+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "1"}), 200, "ship")
		if st := s.stock(admin, "tea"); st["sold"] != 3 || st["reserved"] != 0 || st["available"] != 17 {
			t.Fatalf("stock: %v", st)
		}
		full := must(t, s.do("GET", "/admin/v1/groupbuys/gb1", admin, nil), 200, "admin read").data()
		gs := full["groups"].([]any)
		if len(gs) != 1 || gs[0].(map[string]any)["status"] != "formed" || len(gs[0].(map[string]any)["memberList"].([]any)) != 3 {
			t.Fatalf("the operator's read: %v", full)
		}
		if list := must(t, s.do("GET", "/app/v1/groupbuys/gb1/groups", d, nil), 200, "joinable").data(); len(list["items"].([]any)) != 0 {
			t.Fatalf("a formed group is listed as joinable: %v", list)
		}
	})
}

// TestGroupBuyLastSlotsRace: 50 buyers race for the last 3 places of a group: exactly 3 join,
// every other is refused with groupbuy.group_full, and only the winners' units are reserved.
func TestGroupBuyLastSlotsRace(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := groupBuyStack(t, db, 5, 0)
		s.seed(admin, "tea", "s1", 12000, 100)
		opened := must(t, s.groupOrder(s.token("acme", "lead", "app", "buyer"), "", 1), 201, "open").data()
		groupID := str(place(opened)["groupId"])
		must(t, s.groupOrder(s.token("acme", "second", "app", "buyer"), groupID, 1), 201, "second")
		got := s.race(50, func(i int) reply {
			return s.groupOrder(s.token("acme", fmt.Sprintf("racer%02d", i), "app", "buyer"), groupID, 1)
		})
		if got["201 ok"] != 3 || got["409 groupbuy.group_full"] != 47 {
			t.Fatalf("50 racing for 3 places: %v", got)
		}
		if st := s.stock(admin, "tea"); st["reserved"] != 5 {
			t.Fatalf("reserved: %v; want the 5 members' units", st)
		}
		g := must(t, s.do("GET", "/app/v1/groups/"+groupID, s.token("acme", "lead", "app", "buyer"), nil), 200, "group").data()
		if g["members"] != float64(5) || len(g["memberList"].([]any)) != 5 {
			t.Fatalf("the group: %v", g)
		}
	})
}

// TestGroupBuyDeadline: at its deadline a group short of members fails: the paid member is
// refunded in full through the provider, the unpaid member's order is cancelled, stock and the
// buyers' units come back. A group short of no more than virtualFill is formed instead, and an
// unpaid member's place in it ends.
func TestGroupBuyDeadline(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := groupBuyStack(t, db, 3, 0)
		a, b := s.token("acme", "alice", "app", "buyer"), s.token("acme", "bob", "app", "buyer")
		opened := must(t, s.groupOrder(a, "", 2), 201, "open").data()
		groupID := str(place(opened)["groupId"])
		s.payTrade(t, admin, a, str(opened["tradeId"]))
		joined := must(t, s.groupOrder(b, groupID, 1), 201, "join").data()
		if r := s.groupOrder(a, "", 1); r.status != 409 || r.body["code"] != "groupbuy.per_user_limit" {
			t.Fatalf("a third unit for alice: %d %s", r.status, r.raw)
		}
		s.clock.Advance(61 * time.Minute)
		eventually(t, 10*time.Second, "the group's deadline", func() bool {
			g := must(t, s.do("GET", "/app/v1/groups/"+groupID, a, nil), 200, "group").data()
			return g["status"] == "failed"
		})
		var paid map[string]any
		eventually(t, 10*time.Second, "alice's refund settled", func() bool {
			paid = must(t, s.do("GET", "/app/v1/trades/"+str(opened["tradeId"]), a, nil), 200, "trade").data()
			rs, _ := firstOrder(paid)["refunds"].([]any)
			return len(rs) == 1 && rs[0].(map[string]any)["status"] == "succeeded"
		})
		o := firstOrder(paid)
		if o["status"] != "refunded" || o["refunds"].([]any)[0].(map[string]any)["amount"] != "160.00" || paid["state"] != "refunded" ||
			place(paid)["memberStatus"] != "refunded" || place(paid)["groupStatus"] != "failed" {
			t.Fatalf("alice after the group failed: %v", paid)
		}
		unpaid := must(t, s.do("GET", "/app/v1/trades/"+str(joined["tradeId"]), b, nil), 200, "bob").data()
		if firstOrder(unpaid)["status"] != "cancelled" || firstOrder(unpaid)["cancelReason"] != "unpaid_timeout" || place(unpaid)["memberStatus"] != "left" {
			t.Fatalf("bob after the group failed: %v", unpaid)
		}
		if st := s.stock(admin, "tea"); st["available"] != 20 || st["reserved"] != 0 || st["sold"] != 0 {
			t.Fatalf("stock after the failure: %v", st)
		}
		must(t, s.groupOrder(a, "", 2), 201, "alice's units came back")

		// virtualFill 1: a group of 3 with 2 paid is formed at its deadline.
		must(t, s.do("PUT", "/admin/v1/groupbuys/gb2", admin, func() map[string]any {
			body := groupBuyBody(s.clock.Now(), 3, 1)
			body["perUser"] = 0
			return body
		}()), 200, "gb2")
		order := func(token, groupID string) map[string]any {
			body := map[string]any{"flow": "groupbuy", "groupBuyId": "gb2", "items": []any{item("tea", 1)}, "address": address}
			if groupID != "" {
				body["groupId"] = groupID
			}
			return must(t, s.do("POST", "/app/v1/orders", token, body), 201, "gb2 order").data()
		}
		v1 := order(b, "")
		vg := str(place(v1)["groupId"])
		s.payTrade(t, admin, b, str(v1["tradeId"]))
		v2 := order(s.token("acme", "carol", "app", "buyer"), vg)
		s.payTrade(t, admin, s.token("acme", "carol", "app", "buyer"), str(v2["tradeId"]))
		late := order(s.token("acme", "erin", "app", "buyer"), vg)
		s.clock.Advance(61 * time.Minute)
		eventually(t, 10*time.Second, "the virtual group's deadline", func() bool {
			g := must(t, s.do("GET", "/app/v1/groups/"+vg, b, nil), 200, "group").data()
			return g["status"] == "formed"
		})
		must(t, s.do("POST", "/admin/v1/orders/"+str(firstOrder(v1)["orderId"])+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "2"}),
			200, "ship a virtually formed group's order")
		lt := must(t, s.do("GET", "/app/v1/trades/"+str(late["tradeId"]), s.token("acme", "erin", "app", "buyer"), nil), 200, "erin").data()
		if firstOrder(lt)["status"] != "cancelled" || place(lt)["memberStatus"] != "left" {
			t.Fatalf("an unpaid member of a virtually formed group: %v", lt)
		}
	})
}

// TestGroupBuyPlacesComeBack: a member who does not pay in the unpaid window frees the place;
// a member refunded before formation frees it too; one refunded after formation leaves the
// group formed but no longer counts as active.
func TestGroupBuyPlacesComeBack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := groupBuyStack(t, db, 2, 0)
		a, b, c := s.token("acme", "alice", "app", "buyer"), s.token("acme", "bob", "app", "buyer"), s.token("acme", "carol", "app", "buyer")
		opened := must(t, s.groupOrder(a, "", 1), 201, "open").data()
		groupID := str(place(opened)["groupId"])
		s.payTrade(t, admin, a, str(opened["tradeId"]))
		must(t, s.groupOrder(b, groupID, 1), 201, "bob joins and does not pay")
		if r := s.groupOrder(c, groupID, 1); r.status != 409 || r.body["code"] != "groupbuy.group_full" {
			t.Fatalf("carol while bob holds the place: %d %s", r.status, r.raw)
		}
		s.clock.Advance(31 * time.Minute) // the unpaid window, inside the group's hour
		var joined map[string]any
		eventually(t, 10*time.Second, "bob's place freed", func() bool {
			r := s.groupOrder(c, groupID, 1)
			if r.status == 201 {
				joined = r.data()
			}
			return r.status == 201
		})
		// Carol cancels before paying: her place is free again.
		must(t, s.do("POST", "/app/v1/orders/"+str(firstOrder(joined)["orderId"])+"/cancel", c, nil), 200, "carol cancels")
		d := s.token("acme", "dave", "app", "buyer")
		dj := must(t, s.groupOrder(d, groupID, 1), 201, "dave takes the place").data()
		s.payTrade(t, admin, d, str(dj["tradeId"]))
		eventually(t, 10*time.Second, "the group formed", func() bool {
			g := must(t, s.do("GET", "/app/v1/groups/"+groupID, a, nil), 200, "group").data()
			return g["status"] == "formed"
		})
		// Dave is refunded after formation: the group stays formed, he no longer counts.
		must(t, s.do("POST", "/app/v1/orders/"+str(firstOrder(dj)["orderId"])+"/refund", d, nil), 200, "dave's refund")
		eventually(t, 10*time.Second, "dave no longer active", func() bool {
			g := must(t, s.do("GET", "/app/v1/groups/"+groupID, a, nil), 200, "group").data()
			return g["status"] == "formed" && g["members"] == float64(1)
		})

		// Before formation: erin opens a group, frank joins and pays, frank is refunded: his place
		// is free again and the group still forming.
		e, f := s.token("acme", "erin", "app", "buyer"), s.token("acme", "frank", "app", "buyer")
		og := must(t, s.groupOrder(e, "", 1), 201, "erin opens").data()
		g2 := str(place(og)["groupId"])
		fj := must(t, s.groupOrder(f, g2, 1), 201, "frank joins").data()
		s.payTrade(t, admin, f, str(fj["tradeId"]))
		must(t, s.do("POST", "/app/v1/orders/"+str(firstOrder(fj)["orderId"])+"/refund", f, nil), 200, "frank's refund")
		g := must(t, s.do("GET", "/app/v1/groups/"+g2, e, nil), 200, "group").data()
		if g["status"] != "forming" || g["members"] != float64(1) || g["needed"] != float64(2) {
			t.Fatalf("after a refund before formation: %v", g)
		}
		must(t, s.groupOrder(s.token("acme", "gina", "app", "buyer"), g2, 1), 201, "the refunded place is taken again")
		// Places that came back by lapse, cancel and refund, before and after formation: the
		// auditor finds the books clean.
		if found := auditFindings(t, db); len(found) > 0 {
			t.Fatalf("the auditor: %v", found)
		}
	})
}

// TestGroupBuyCancel: an operator calls a campaign off: every forming group fails (its paid
// members refunded), formed groups go ahead, and no order opens or joins a group any more.
func TestGroupBuyCancel(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := groupBuyStack(t, db, 3, 0)
		a, b := s.token("acme", "alice", "app", "buyer"), s.token("acme", "bob", "app", "buyer")
		opened := must(t, s.groupOrder(a, "", 1), 201, "open").data()
		s.payTrade(t, admin, a, str(opened["tradeId"]))
		must(t, s.groupOrder(b, "", 1), 201, "bob opens another")
		res := must(t, s.do("POST", "/admin/v1/groupbuys/gb1/cancel", admin, nil), 200, "cancel").data()
		if res["groupsFailed"] != float64(2) || res["campaign"].(map[string]any)["status"] != "cancelled" {
			t.Fatalf("cancel: %v", res)
		}
		if again := must(t, s.do("POST", "/admin/v1/groupbuys/gb1/cancel", admin, nil), 200, "again").data(); again["groupsFailed"] != float64(0) {
			t.Fatalf("a second cancel: %v", again)
		}
		eventually(t, 10*time.Second, "alice refunded", func() bool {
			d := must(t, s.do("GET", "/app/v1/trades/"+str(opened["tradeId"]), a, nil), 200, "trade").data()
			rs, _ := firstOrder(d)["refunds"].([]any)
			return firstOrder(d)["status"] == "refunded" && len(rs) == 1 && rs[0].(map[string]any)["status"] == "succeeded"
		})
		if r := s.groupOrder(s.token("acme", "carol", "app", "buyer"), "", 1); r.status != 409 || r.body["code"] != "groupbuy.campaign_cancelled" {
			t.Fatalf("an order after the cancel: %d %s", r.status, r.raw)
		}
		if st := s.stock(admin, "tea"); st["available"] != 20 {
			t.Fatalf("stock after the cancel: %v", st)
		}
	})
}

// TestGroupBuyPriceScript: a business prices its leaders 10% under the group price with a
// groupbuy.price script, through the stack; a script answering above the list price falls back
// to the campaign's price.
func TestGroupBuyPriceScript(t *testing.T) {
	s, admin := groupBuyStack(t, sqliteConfig(t), 3, 0)
	publish := func(id, body string) {
		must(t, s.do("POST", "/admin/v1/extensions/scripts/"+id+"/versions", admin, map[string]any{"source": "-- point: groupbuy.price\n" + body}),
			201, "upload "+id)
		must(t, s.do("POST", "/admin/v1/extensions/publications", admin, map[string]any{"scope": "acme/*", "scriptId": id, "version": 1,
			"grayBasisPoints": 10000}), 201, "publish "+id)
		s.loaded("groupbuy.price", "acme", id)
	}
	publish("leader-off", `function run(input)
  if input.leader then return {price = math.floor(input.groupPrice * 9 / 10)} end
  return {price = input.groupPrice}
end`)
	a, b := s.token("acme", "alice", "app", "buyer"), s.token("acme", "bob", "app", "buyer")
	opened := must(t, s.groupOrder(a, "", 1), 201, "leader").data()
	if opened["payable"] != "72.00" {
		t.Fatalf("the leader pays %v; want 72.00", opened["payable"])
	}
	joined := must(t, s.groupOrder(b, str(place(opened)["groupId"]), 1), 201, "member").data()
	if joined["payable"] != "80.00" {
		t.Fatalf("a member pays %v; want 80.00", joined["payable"])
	}
	publish("too-dear", `function run(input) return {price = input.listPrice + 1} end`)
	q := must(t, s.do("POST", "/app/v1/quotes", s.token("acme", "carol", "app", "buyer"), map[string]any{"flow": "groupbuy", "groupBuyId": "gb1",
		"items": []any{item("tea", 1)}}), 200, "quote").data()
	if q["payable"] != "80.00" {
		t.Fatalf("a script above the list price: %v; want the campaign's 80.00", q["payable"])
	}
}
