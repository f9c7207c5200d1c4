package platform_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
)

// paidOrder places and pays an order of items for buyer and returns its first child order.
func (s *stack) paidOrder(buyer, admin string, key string, items ...any) map[string]any {
	s.t.Helper()
	placed := must(s.t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": items, "address": address}, "Idempotency-Key", key), 201, "place").data()
	pay := must(s.t, s.do("POST", "/app/v1/trades/"+str(placed["tradeId"])+"/payments", buyer, map[string]any{"method": "sandbox"},
		"Idempotency-Key", key+"-pay"), 201, "pay").data()
	must(s.t, s.do("POST", "/admin/v1/payments/"+str(pay["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "simulate")
	return placed["orders"].([]any)[0].(map[string]any)
}

// deliver ships and delivers an order.
func (s *stack) deliver(admin, orderID string) {
	s.t.Helper()
	must(s.t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF" + orderID}), 200, "ship")
	must(s.t, s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered"}), 200, "deliver")
}

func ask(kind string, lines ...[2]int) map[string]any {
	var ls []any
	for _, l := range lines {
		ls = append(ls, map[string]any{"lineNo": l[0], "quantity": l[1]})
	}
	return map[string]any{"kind": kind, "lines": ls, "reason": "damaged"}
}

// TestAfterSaleLifecycleThroughTheStack: three cups bought for 29.00 after a campaign's discount,
// with 6.00 shipping, given back one unit at a time through HTTP → Kitex → the database: one
// refund only before shipping (approved at once by the default policy, the cup back on sale),
// then after delivery one return through the mini-program that comes back damaged, then the last
// one through the app that comes back sellable with the shipping (whole order). The units give
// back 9.66 + 9.67 + 9.67 = 29.00 exactly, the campaign's budget is whole again, the order ends
// refunded, and stock ends available 9 + damaged 1.
func TestAfterSaleLifecycleThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops", "", "admin")
		buyer := s.token("acme", "u1", "app", "buyer")
		mp := s.token("acme", "u1", "mp", "buyer")
		other := s.token("acme", "u2", "app", "buyer")
		s.seed(admin, "cup", "s1", 1000, 10)
		must(t, s.do("PUT", "/admin/v1/campaigns/spring", admin, map[string]any{"name": "Spring", "currency": "CNY", "budget": 100000}), 200, "campaign")
		must(t, s.do("PUT", "/admin/v1/promotions/one-off", admin, map[string]any{"name": "1 off", "kind": "amount_off",
			"currency": "CNY", "amount": 100, "campaignId": "spring"}), 200, "promotion")
		must(t, s.do("PUT", "/admin/v1/shipping-templates/s1", admin, map[string]any{"currency": "CNY", "fee": 600}), 200, "shipping")
		spent := func() float64 {
			return must(t, s.do("GET", "/admin/v1/campaigns/spring", admin, nil), 200, "campaign").data()["spent"].(float64)
		}

		o := s.paidOrder(buyer, admin, "k1", item("cup", 3))
		orderID := str(o["orderId"])
		if o["total"] != "35.00" || spent() != 100 {
			t.Fatalf("order: %v, spent %v", o, spent())
		}

		// Before shipping: refund only, approved and refunded at once.
		r1 := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 1}), "Idempotency-Key", "as-1"), 201, "refund one").data()
		if r1["status"] != "refunded" || r1["amount"] != "9.66" || r1["shipping"] != "0.00" || r1["decidedBy"] != "rule:auto_approve_unshipped" {
			t.Fatalf("refund only before shipping: %v", r1)
		}
		refunds := r1["refunds"].([]any)
		if len(refunds) != 1 || refunds[0].(map[string]any)["amount"] != "9.66" || refunds[0].(map[string]any)["status"] != "succeeded" ||
			refunds[0].(map[string]any)["afterSaleId"] != r1["afterSaleId"] {
			t.Fatalf("refunds: %v", refunds)
		}
		// The same key and body: the first answer; another body: a conflict.
		if again := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 1}), "Idempotency-Key", "as-1"), 201, "again").data(); again["afterSaleId"] != r1["afterSaleId"] {
			t.Fatalf("replay: %v", again)
		}
		if r := s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 2}), "Idempotency-Key", "as-1"); r.status != 409 || r.body["code"] != "request.idempotency_conflict" {
			t.Fatalf("same key, other body: %d %s", r.status, r.raw)
		}
		if st := s.stock(admin, "cup"); st["available"] != 8 || st["sold"] != 2 {
			t.Fatalf("stock after the unshipped refund: %v", st)
		}

		// Bad input changes nothing.
		for _, bad := range []struct {
			path, token string
			body        any
			status      int
			code        string
		}{
			{"/app/v1/orders/" + orderID + "/aftersales", buyer, ask("refund_only", [2]int{1, 3}), 409, "aftersale.quantity_exceeds_remaining"},
			{"/app/v1/orders/" + orderID + "/aftersales", buyer, ask("refund_only", [2]int{2, 1}), 400, "aftersale.unknown_line"},
			{"/app/v1/orders/" + orderID + "/aftersales", buyer, ask("refund_only", [2]int{1, 0}), 400, "aftersale.invalid_request"},
			{"/app/v1/orders/" + orderID + "/aftersales", buyer, ask("refund_only", [2]int{1, -1}), 400, "aftersale.invalid_request"},
			{"/app/v1/orders/" + orderID + "/aftersales", buyer, ask("exchange", [2]int{1, 1}), 400, "aftersale.invalid_request"},
			{"/app/v1/orders/" + orderID + "/aftersales", buyer, ask("return_refund", [2]int{1, 1}), 409, "aftersale.not_eligible"},
			{"/app/v1/orders/" + orderID + "/aftersales", other, ask("refund_only", [2]int{1, 1}), 404, "order.not_found"},
			{"/app/v1/orders/O-nosuch/aftersales", buyer, ask("refund_only", [2]int{1, 1}), 404, "order.not_found"},
			{"/admin/v1/aftersales/" + str(r1["afterSaleId"]) + "/approve", buyer, nil, 403, "auth.forbidden"},
			{"/app/v1/aftersales/" + str(r1["afterSaleId"]) + "/cancel", other, nil, 404, "aftersale.not_found"},
			{"/app/v1/aftersales/" + str(r1["afterSaleId"]) + "/cancel", buyer, nil, 409, "aftersale.invalid_transition"},
		} {
			if r := s.do("POST", bad.path, bad.token, bad.body); r.status != bad.status || r.body["code"] != bad.code {
				t.Fatalf("POST %s %v: %d %s; want %d %s", bad.path, bad.body, r.status, r.raw, bad.status, bad.code)
			}
		}
		if st := s.stock(admin, "cup"); st["available"] != 8 || st["sold"] != 2 {
			t.Fatalf("refused requests changed stock: %v", st)
		}

		s.deliver(admin, orderID)
		// Delivered: a return, through the mini-program (snake_case, money in *_fee minor units).
		r2 := must(t, s.do("POST", "/mp/v1/orders/"+orderID+"/aftersales", mp, mpBody(ask("return_refund", [2]int{1, 1})), "Idempotency-Key", "as-2"), 200, "mp return").body
		if r2["errcode"] != float64(0) {
			t.Fatalf("mp return: %v", r2)
		}
		d2 := r2["data"].(map[string]any)
		id2 := str(d2["after_sale_id"])
		if d2["status"] != "requested" || d2["amount_fee"] != float64(967) || d2["computed_fee"] != float64(967) {
			t.Fatalf("mp return: %v", d2)
		}
		// The mini-program's refusals are its envelope: HTTP 200 with the code's errcode.
		if r := s.do("POST", "/mp/v1/orders/"+orderID+"/aftersales", mp, mpBody(ask("return_refund", [2]int{1, 5}))); r.status != 200 ||
			r.body["errcode"] != float64(56005) {
			t.Fatalf("mp refusal: %d %s", r.status, r.raw)
		}
		if l := must(t, s.do("GET", "/mp/v1/aftersales", mp, nil), 200, "mp list").body["data"].(map[string]any)["after_sales"].([]any); len(l) != 2 {
			t.Fatalf("mp list: %v", l)
		}
		// Only one unit is left, so a third request for two units is refused while it is held.
		if r := s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("return_refund", [2]int{1, 2})); r.status != 409 || r.body["code"] != "aftersale.quantity_exceeds_remaining" {
			t.Fatalf("units held by a pending request: %d %s", r.status, r.raw)
		}
		ap := must(t, s.do("POST", "/admin/v1/aftersales/"+id2+"/approve", admin, nil), 200, "approve").data()
		if ap["status"] != "approved" {
			t.Fatalf("approved: %v", ap)
		}
		if r := s.do("POST", "/admin/v1/aftersales/"+id2+"/receive", admin, map[string]any{"condition": "damaged"}); r.status != 409 || r.body["code"] != "aftersale.invalid_transition" {
			t.Fatalf("receive before the buyer shipped: %d %s", r.status, r.raw)
		}
		must(t, s.do("POST", "/mp/v1/aftersales/"+id2+"/return-shipment", mp, map[string]any{"carrier": "SF", "tracking_no": "SF900"}), 200, "ship back")
		got := must(t, s.do("POST", "/admin/v1/aftersales/"+id2+"/receive", admin, map[string]any{"condition": "damaged"}), 200, "receive").data()
		if got["status"] != "refunded" || got["amount"] != float64(967) || got["condition"] != "damaged" || got["trackingNo"] != "SF900" {
			t.Fatalf("received damaged: %v", got)
		}
		if st := s.stock(admin, "cup"); st["available"] != 8 || st["sold"] != 1 || st["damaged"] != 1 {
			t.Fatalf("stock after the damaged return: %v", st)
		}

		// The last cup, sellable, with the shipping: the whole order is refunded.
		r3 := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("return_refund", [2]int{1, 1}), "Idempotency-Key", "as-3"), 201, "return last").data()
		if r3["amount"] != "15.67" || r3["shipping"] != "6.00" {
			t.Fatalf("the last unit: %v", r3)
		}
		id3 := str(r3["afterSaleId"])
		must(t, s.do("POST", "/admin/v1/aftersales/"+id3+"/approve", admin, map[string]any{}), 200, "approve last")
		must(t, s.do("POST", "/app/v1/aftersales/"+id3+"/return-shipment", buyer, map[string]any{"carrier": "SF", "trackingNo": "SF901"}), 200, "ship back")
		must(t, s.do("POST", "/admin/v1/aftersales/"+id3+"/receive", admin, map[string]any{"condition": "sellable"}), 200, "receive last")

		ord := must(t, s.do("GET", "/app/v1/orders/"+orderID, buyer, nil), 200, "order").data()
		var back float64
		for _, r := range ord["refunds"].([]any) {
			var f float64
			fmt.Sscan(r.(map[string]any)["amount"].(string), &f)
			back += f
		}
		if ord["status"] != "refunded" || len(ord["refunds"].([]any)) != 3 || fmt.Sprintf("%.2f", back) != "35.00" {
			t.Fatalf("order after every unit: %v", ord)
		}
		if spent() != 0 {
			t.Fatalf("campaign spent %v after every unit came back; want 0", spent())
		}
		if st := s.stock(admin, "cup"); st["available"] != 9 || st["sold"] != 0 || st["damaged"] != 1 || st["onHand"] != 10 {
			t.Fatalf("stock at the end: %v", st)
		}
		mine := must(t, s.do("GET", "/app/v1/aftersales", buyer, nil), 200, "mine").data()["afterSales"].([]any)
		if len(mine) != 3 || mine[0].(map[string]any)["afterSaleId"] != id3 {
			t.Fatalf("my after-sales: %v", mine)
		}
		if theirs := must(t, s.do("GET", "/app/v1/aftersales", other, nil), 200, "theirs").data()["afterSales"].([]any); len(theirs) != 0 {
			t.Fatalf("another buyer sees: %v", theirs)
		}
		if q := must(t, s.do("GET", "/admin/v1/aftersales?status=refunded", admin, nil), 200, "queue").data()["afterSales"].([]any); len(q) != 3 {
			t.Fatalf("refunded queue: %v", q)
		}
		for topic, want := range map[string]int{"aftersale.requested": 3, "aftersale.approved": 3, "aftersale.refunded": 3, "order.refunded": 1} {
			if n := outboxCount(t, db, topic); n != want {
				t.Errorf("%s events: %d; want %d", topic, n, want)
			}
		}
	})
}

// TestAfterSaleDecisionsAndWindows: an operator's rejection frees the units, a partial amount
// needs a reason and stays within the request, the tenant's windows run on durable timers (an
// unanswered request is approved, a return never shipped back is closed), a fresh SKU cannot be
// returned, and the return window ends seven days after delivery.
func TestAfterSaleDecisionsAndWindows(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops", "", "admin")
		buyer := s.token("acme", "u1", "app", "buyer")
		s.seed(admin, "cup", "s1", 1000, 10)
		must(t, s.do("PUT", "/admin/v1/skus/fish", admin, map[string]any{"title": "Fish", "sellerId": "s1", "currency": "CNY", "price": 5000,
			"tags": []string{"fresh"}}), 200, "fish")
		must(t, s.do("PUT", "/admin/v1/skus/fish/stock", admin, map[string]any{"warehouseId": "wh1", "onHand": 5}), 200, "fish stock")
		for _, bad := range []map[string]any{
			{"returnWindowSeconds": -1, "shipping": "whole_order", "shipBackWindowSeconds": 86400},
			{"returnWindowSeconds": 86400, "shipping": "sometimes", "shipBackWindowSeconds": 86400},
			{"returnWindowSeconds": 86400, "shipping": "never", "shipBackWindowSeconds": 60},
		} {
			if r := s.do("PUT", "/admin/v1/aftersale-policy", admin, bad); r.status != 400 || r.body["code"] != "aftersale.invalid_policy" {
				t.Fatalf("policy %v: %d %s", bad, r.status, r.raw)
			}
		}
		pol := must(t, s.do("PUT", "/admin/v1/aftersale-policy", admin, map[string]any{"returnWindowSeconds": 7 * 86400,
			"tagWindowSeconds": map[string]any{"fresh": 0}, "shipping": "whole_order", "autoApproveUnshipped": true,
			"sellerWindowSeconds": 3600, "shipBackWindowSeconds": 7200}), 200, "policy").data()
		if got := must(t, s.do("GET", "/admin/v1/aftersale-policy", admin, nil), 200, "get policy").data(); fmt.Sprint(got) != fmt.Sprint(pol) {
			t.Fatalf("policy read back: %v; put %v", got, pol)
		}

		orderID := str(s.paidOrder(buyer, admin, "k1", item("cup", 3), item("fish", 1))["orderId"])
		s.deliver(admin, orderID)
		path := "/app/v1/orders/" + orderID + "/aftersales"

		if r := s.do("POST", path, buyer, ask("return_refund", [2]int{2, 1})); r.status != 409 || r.body["code"] != "aftersale.not_returnable" {
			t.Fatalf("fresh fish: %d %s", r.status, r.raw)
		}
		// Rejected: a reason is required, and the units are free again.
		a := must(t, s.do("POST", path, buyer, ask("return_refund", [2]int{1, 3})), 201, "ask three").data()
		id := "/admin/v1/aftersales/" + str(a["afterSaleId"])
		if r := s.do("POST", id+"/reject", admin, map[string]any{"reason": ""}); r.status != 400 || r.body["code"] != "aftersale.invalid_request" {
			t.Fatalf("reject without a reason: %d %s", r.status, r.raw)
		}
		must(t, s.do("POST", id+"/reject", admin, map[string]any{"reason": "photos show no damage"}), 200, "reject")
		if r := s.do("POST", id+"/approve", admin, nil); r.status != 409 || r.body["code"] != "aftersale.invalid_transition" {
			t.Fatalf("approving a rejected request: %d %s", r.status, r.raw)
		}

		// A partial amount: within the request, with a reason.
		b := must(t, s.do("POST", path, buyer, ask("return_refund", [2]int{1, 3})), 201, "ask again").data()
		id = "/admin/v1/aftersales/" + str(b["afterSaleId"])
		for _, bad := range []struct {
			body   map[string]any
			status int
			code   string
		}{
			{map[string]any{"amount": 3001, "reason": "x"}, 400, "aftersale.invalid_amount"},
			{map[string]any{"amount": -5, "reason": "x"}, 400, "aftersale.invalid_amount"},
			{map[string]any{"amount": 0, "reason": "x"}, 400, "aftersale.invalid_amount"},
			{map[string]any{"amount": 2000}, 400, "aftersale.invalid_request"},
			{map[string]any{"amount": 12.5, "reason": "x"}, 400, "request.invalid"},
		} {
			if r := s.do("POST", id+"/approve", admin, bad.body); r.status != bad.status || r.body["code"] != bad.code {
				t.Fatalf("approve %v: %d %s; want %d %s", bad.body, r.status, r.raw, bad.status, bad.code)
			}
		}
		got := must(t, s.do("POST", id+"/approve", admin, map[string]any{"amount": 2000, "reason": "one cup chipped"}), 200, "partial").data()
		if got["amount"] != float64(2000) || got["computed"] != float64(3000) || got["decision"] != "one cup chipped" || got["status"] != "approved" {
			t.Fatalf("partial approval: %v", got)
		}
		// Not shipped back within the window: closed by its timer; the units are free again.
		clk.Advance(2*time.Hour + time.Second)
		eventually(t, 10*time.Second, "closed by the ship-back window", func() bool {
			return must(t, s.do("GET", id, admin, nil), 200, "get").data()["status"] == "closed"
		})
		// Unanswered: approved by the seller window's timer.
		c := must(t, s.do("POST", path, buyer, ask("return_refund", [2]int{1, 1})), 201, "ask one").data()
		clk.Advance(time.Hour + time.Second)
		eventually(t, 10*time.Second, "approved by the seller window", func() bool {
			got := must(t, s.do("GET", "/app/v1/aftersales/"+str(c["afterSaleId"]), buyer, nil), 200, "get").data()
			return got["status"] == "approved" && got["decidedBy"] == "rule:seller_window"
		})
		// Withdrawn by the buyer before a decision.
		d := must(t, s.do("POST", path, buyer, ask("return_refund", [2]int{1, 1})), 201, "ask another").data()
		if got := must(t, s.do("POST", "/app/v1/aftersales/"+str(d["afterSaleId"])+"/cancel", buyer, nil), 200, "cancel").data(); got["status"] != "cancelled" {
			t.Fatalf("cancelled: %v", got)
		}
		// Seven days after delivery the window is shut.
		clk.Advance(7 * 24 * time.Hour)
		if r := s.do("POST", path, buyer, ask("return_refund", [2]int{1, 1})); r.status != 409 || r.body["code"] != "aftersale.window_passed" {
			t.Fatalf("after the window: %d %s", r.status, r.raw)
		}
		if st := s.stock(admin, "cup"); st["sold"] != 3 || st["damaged"] != 0 {
			t.Fatalf("nothing was refunded, yet stock is %v", st)
		}
	})
}

// TestAfterSaleScriptsAndProviderOutage: a business's aftersale.eligibility script refuses a
// reason with its own message, its aftersale.refund_amount script keeps a restocking fee (never
// more than the units paid); a refund asked while the provider is down stays refunding and is
// refunded by the durable job once it is back.
func TestAfterSaleScriptsAndProviderOutage(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin := s.token("acme", "ops", "", "admin")
		buyer := s.token("acme", "u1", "app", "buyer")
		s.seed(admin, "cup", "s1", 1000, 10)
		s.publish(admin, "no-change-of-mind", `-- point: aftersale.eligibility
function run(input)
  if input.reason == "changed_mind" and input.stage == "delivered" then
    return {reject = true, message = "Opened goods are not taken back for a change of mind"}
  end
  return {reject = false, message = ""}
end
`, "acme/*")
		s.publish(admin, "restocking-fee", `-- point: aftersale.refund_amount
function run(input)
  if input.kind == "return_refund" then return {amount = input.computed - 200} end
  return {amount = input.computed}
end
`, "acme.default/refund") // after-sale runs as the business line's refund scenario
		refund, _ := identity.New("acme", "", aftersale.Scenario)
		eventually(t, 2*time.Second, "restocking-fee loaded", func() bool {
			bs := s.trade.Engine.Resolve("aftersale.refund_amount", extensions.Override, extensions.Call{Identity: refund, UserID: "probe"})
			return len(bs) == 1 && bs[0].ScriptID == "restocking-fee"
		})
		s.loaded("aftersale.eligibility", "acme", "no-change-of-mind")

		o := s.paidOrder(buyer, admin, "k1", item("cup", 3))
		orderID := str(o["orderId"])
		// Refund only before shipping while the provider is down: refunding, then refunded.
		s.trade.Sandbox.FailRefunds(1)
		r := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 1})), 201, "refund one").data()
		if r["status"] != "refunding" || r["amount"] != "10.00" || r["refunds"].([]any)[0].(map[string]any)["status"] != "pending" {
			t.Fatalf("while the provider is down: %v", r)
		}
		clk.Advance(time.Minute)
		eventually(t, 10*time.Second, "refunded once the provider is back", func() bool {
			return must(t, s.do("GET", "/app/v1/aftersales/"+str(r["afterSaleId"]), buyer, nil), 200, "get").data()["status"] == "refunded"
		})

		s.deliver(admin, orderID)
		changed := ask("return_refund", [2]int{1, 1})
		changed["reason"] = "changed_mind"
		if r := s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, changed); r.status != 422 || r.body["code"] != "aftersale.refused" ||
			r.body["message"] != "Opened goods are not taken back for a change of mind" {
			t.Fatalf("refused by the script: %d %s", r.status, r.raw)
		}
		ret := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("return_refund", [2]int{1, 1})), 201, "return").data()
		if ret["amount"] != "8.00" || ret["computed"] != "10.00" || ret["decidedBy"] != "rule:aftersale.refund_amount" {
			t.Fatalf("with the restocking fee: %v", ret)
		}
	})
}

// TestAfterSaleOnPresaleAndCodTrades: a pre-sale trade whose 20.00 deposit counted for 60.00 gave
// 160.00 for two teas listed at 200.00; returning them one by one gives back what came in, 80.00
// each, from the balance first and then the deposit, never more than either collected. A
// cash-on-delivery order's return is owed from the cash collected, refunded by hand: it stays
// refunding until an operator confirms the payment, and only a refund of money collected offline
// can be confirmed so.
func TestAfterSaleOnPresaleAndCodTrades(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := presaleStack(t, db)
		buyer := s.token("acme", "u1", "app", "buyer")
		tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "presale", "presaleId": "double11",
			"items": []any{item("tea", 2)}, "address": address}), 201, "place presale").data()
		tradeID := str(tr["tradeId"])
		dep := must(t, s.payPurpose(buyer, "/app/v1", tradeID, "deposit"), 201, "deposit").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(dep["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "deposit paid")
		s.clock.Advance(time.Hour)
		bal := must(t, s.payPurpose(buyer, "/app/v1", tradeID, "balance"), 201, "balance").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(bal["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "balance paid")
		orderID := str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
		s.deliver(admin, orderID)

		fromPayment := map[string]int64{}
		for i := 0; i < 2; i++ {
			a := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("return_refund", [2]int{1, 1})), 201, "return a tea").data()
			if a["amount"] != "80.00" {
				t.Fatalf("tea %d gives back %v; want what it paid of the 160.00 that came in", i+1, a)
			}
			id := str(a["afterSaleId"])
			must(t, s.do("POST", "/admin/v1/aftersales/"+id+"/approve", admin, nil), 200, "approve")
			must(t, s.do("POST", "/app/v1/aftersales/"+id+"/return-shipment", buyer, map[string]any{"carrier": "SF", "trackingNo": fmt.Sprint("SF", i)}), 200, "ship back")
			got := must(t, s.do("POST", "/admin/v1/aftersales/"+id+"/receive", admin, map[string]any{"condition": "sellable"}), 200, "receive").data()
			if got["status"] != "refunded" {
				t.Fatalf("received: %v", got)
			}
			for _, r := range got["refunds"].([]any) {
				fromPayment[str(r.(map[string]any)["paymentId"])] += int64(r.(map[string]any)["amount"].(float64))
			}
		}
		if fromPayment[str(bal["paymentId"])] != 14000 || fromPayment[str(dep["paymentId"])] != 2000 {
			t.Fatalf("refunded by payment: %v; want the balance's 140.00 and the deposit's 20.00", fromPayment)
		}
		if o := must(t, s.do("GET", "/app/v1/orders/"+orderID, buyer, nil), 200, "order").data(); o["status"] != "refunded" {
			t.Fatalf("pre-sale order after both teas: %v", o["status"])
		}

		// Cash on delivery, on a database of its own.
		fresh := sqliteConfig(t)
		if db.Driver == "mysql" {
			fresh = mysqlConfig(t)
		}
		c, cadmin := codStack(t, fresh)
		cbuyer := c.token("acme", "u1", "app", "buyer")
		ctr := must(t, c.do("POST", "/app/v1/orders", cbuyer, map[string]any{"flow": "cod", "items": []any{item("tea", 2)}, "address": address}), 201, "place cod").data()
		cod := str(ctr["orders"].([]any)[0].(map[string]any)["orderId"])
		if r := c.do("POST", "/app/v1/orders/"+cod+"/aftersales", cbuyer, ask("refund_only", [2]int{1, 1})); r.status != 409 || r.body["code"] != "aftersale.not_eligible" {
			t.Fatalf("a COD order before its cash was collected: %d %s", r.status, r.raw)
		}
		must(t, c.do("POST", "/admin/v1/orders/"+cod+"/shipments", cadmin, map[string]any{"carrier": "SF", "trackingNo": "SF7"}), 200, "ship")
		must(t, c.do("POST", "/admin/v1/orders/"+cod+"/delivery", cadmin, map[string]any{"outcome": "delivered", "collected": 24000}), 200, "collected")
		a := must(t, c.do("POST", "/app/v1/orders/"+cod+"/aftersales", cbuyer, ask("return_refund", [2]int{1, 1})), 201, "cod return").data()
		id := str(a["afterSaleId"])
		must(t, c.do("POST", "/admin/v1/aftersales/"+id+"/approve", cadmin, nil), 200, "approve")
		must(t, c.do("POST", "/app/v1/aftersales/"+id+"/return-shipment", cbuyer, map[string]any{"carrier": "SF", "trackingNo": "SF8"}), 200, "ship back")
		got := must(t, c.do("POST", "/admin/v1/aftersales/"+id+"/receive", cadmin, map[string]any{"condition": "sellable"}), 200, "receive").data()
		refund := got["refunds"].([]any)[0].(map[string]any)
		if got["status"] != "refunding" || refund["status"] != "pending" || refund["amount"] != float64(12000) {
			t.Fatalf("a COD return before the operator paid it: %v", got)
		}
		for _, bad := range []struct {
			body   map[string]any
			status int
			code   string
		}{
			{map[string]any{"reference": ""}, 400, "request.invalid"},
			{map[string]any{"reference": "bad ref!"}, 400, "request.invalid"},
		} {
			if r := c.do("POST", "/admin/v1/refunds/"+str(refund["refundId"])+"/confirm", cadmin, bad.body); r.status != bad.status || r.body["code"] != bad.code {
				t.Fatalf("confirm %v: %d %s", bad.body, r.status, r.raw)
			}
		}
		if r := c.do("POST", "/admin/v1/refunds/"+str(refund["refundId"])+"/confirm", c.token("globex", "ops", "", "admin"), map[string]any{"reference": "x"}); r.status != 404 {
			t.Fatalf("another tenant confirms: %d %s", r.status, r.raw)
		}
		conf := must(t, c.do("POST", "/admin/v1/refunds/"+str(refund["refundId"])+"/confirm", cadmin, map[string]any{"reference": "BANK-2026-1"}), 200, "confirm").data()
		if conf["status"] != "succeeded" {
			t.Fatalf("confirmed: %v", conf)
		}
		if got := must(t, c.do("GET", "/admin/v1/aftersales/"+id, cadmin, nil), 200, "get").data(); got["status"] != "refunded" {
			t.Fatalf("after the confirmation: %v", got)
		}
		if st := c.stock(cadmin, "tea"); st["sold"] != 1 || st["available"] != 19 {
			t.Fatalf("COD stock after the return: %v", st)
		}

		// A refund paid through a provider is never confirmed by hand.
		p := s.paidOrder(buyer, admin, "fp-1", item("cup", 1))
		r := must(t, s.do("POST", "/app/v1/orders/"+str(p["orderId"])+"/aftersales", buyer, ask("refund_only", [2]int{1, 1})), 201, "cup").data()
		online := str(r["refunds"].([]any)[0].(map[string]any)["refundId"])
		if r := s.do("POST", "/admin/v1/refunds/"+online+"/confirm", admin, map[string]any{"reference": "x"}); r.status != 409 || r.body["code"] != "payment.not_refundable" {
			t.Fatalf("confirming an online refund by hand: %d %s", r.status, r.raw)
		}
	})
}

// TestAfterSaleRaceForTheLastUnit: twenty requests at once for the last unit of a line: exactly
// one is made (and refunded), the others are told no unit remains, and the line never gives back
// more than it paid.
func TestAfterSaleRaceForTheLastUnit(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops", "", "admin")
		buyer := s.token("acme", "u1", "app", "buyer")
		s.seed(admin, "cup", "s1", 1000, 10)
		s.seed(admin, "saucer", "s1", 500, 10)
		o := s.paidOrder(buyer, admin, "k1", item("cup", 3), item("saucer", 1))
		orderID := str(o["orderId"])
		must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 2})), 201, "two of three")
		got := s.race(20, func(i int) reply {
			return s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("refund_only", [2]int{1, 1}), "Idempotency-Key", fmt.Sprint("race-", i))
		})
		if got["201 ok"] != 1 || got["409 aftersale.quantity_exceeds_remaining"] != 19 {
			t.Fatalf("20 requests for the last unit: %v; want one made and 19 refused", got)
		}
		ord := must(t, s.do("GET", "/app/v1/orders/"+orderID, buyer, nil), 200, "order").data()
		var back int64
		for _, r := range ord["refunds"].([]any) {
			back += minorOf(t, r.(map[string]any)["amount"])
		}
		if ord["status"] != "paid" || back != 3000 {
			t.Fatalf("after the race: %s, %d given back; want the saucer still paid and the cups' 3000 back", ord["status"], back)
		}
		if st := s.stock(admin, "cup"); st["available"] != 10 || st["sold"] != 0 {
			t.Fatalf("stock after the race: %v", st)
		}
	})
}
