package platform_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
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
