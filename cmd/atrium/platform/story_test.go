package platform_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// story reads a trade's story as an operator and checks what every story holds: its buyer, its
// orders with money per line, a timeline in the order written whose every entry names an actor.
func (s *stack) story(t *testing.T, admin, tradeID string) map[string]any {
	t.Helper()
	st := must(t, s.do("GET", "/admin/v1/trades/"+tradeID, admin, nil), 200, "story").data()
	tr := st["trade"].(map[string]any)
	if tr["tradeId"] != tradeID || tr["address"].(map[string]any)["name"] != address["name"] {
		t.Errorf("story of %s: the trade %v", tradeID, tr)
	}
	for _, o := range tr["orders"].([]any) {
		for _, l := range o.(map[string]any)["lines"].([]any) {
			l := l.(map[string]any)
			if l["listPrice"] == nil || l["payable"] == nil || l["unitPrice"] == nil {
				t.Errorf("a line without its money: %v", l)
			}
		}
	}
	var last time.Time
	for _, e := range st["timeline"].([]any) {
		e := e.(map[string]any)
		at, err := time.Parse(time.RFC3339Nano, str(e["at"]))
		if err != nil || at.Before(last) {
			t.Errorf("timeline out of order at %v (%v)", e, err)
		}
		last = at
		if e["actor"] == "" || e["event"] == "" || e["detail"] == nil {
			t.Errorf("a timeline entry without its actor, event or detail: %v", e)
		}
	}
	t.Logf("timeline of %s: %v; timers %v", tradeID, timeline(st), st["timers"])
	for _, k := range []string{"afterSales", "timers", "scripts"} {
		if _, ok := st[k].([]any); !ok {
			t.Errorf("story without %s: %v", k, st[k])
		}
	}
	return st
}

// timeline is a story's events as "event by actor".
func timeline(st map[string]any) []string {
	var out []string
	for _, e := range st["timeline"].([]any) {
		e := e.(map[string]any)
		out = append(out, str(e["event"])+" by "+str(e["actor"]))
	}
	return out
}

// TestTradeStory: an operator reads the whole story of a pre-sale (deposit, balance, shipment)
// and of a cash-on-delivery order collected at the door and then refunded through after-sale:
// buyer, address, money per line, payments and refunds with purpose and provider reference,
// after-sales, flow state, timers, and a timeline with who did each thing. Another tenant's
// operator and a buyer cannot read it.
func TestTradeStory(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		t.Run("presale", func(t *testing.T) {
			fresh := sqliteConfig(t)
			if db.Driver == "mysql" {
				fresh = mysqlConfig(t)
			}
			s, admin := presaleStack(t, fresh)
			buyer := s.token("acme", "u1", "app", "buyer")
			tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "presale", "presaleId": "double11",
				"items": []any{item("tea", 2)}, "address": address}, "Idempotency-Key", "story-ps"), 201, "place").data()
			tradeID := str(tr["tradeId"])
			orderID := str(tr["orders"].([]any)[0].(map[string]any)["orderId"])

			st := s.story(t, admin, tradeID)
			if st["userId"] != "u1" || st["trade"].(map[string]any)["state"] != "awaiting_deposit" || st["trade"].(map[string]any)["flow"] != "presale" {
				t.Fatalf("a placed pre-sale's story: %v", st)
			}
			pending := 0
			for _, tm := range st["timers"].([]any) {
				if tm := tm.(map[string]any); tm["doneAt"] == nil && tm["dueAt"] != "" {
					pending++
				}
			}
			if pending == 0 {
				t.Errorf("a pre-sale awaiting its deposit has no pending timer: %v", st["timers"])
			}

			dep := must(t, s.payPurpose(buyer, "/app/v1", tradeID, "deposit"), 201, "deposit").data()
			must(t, s.do("POST", "/admin/v1/payments/"+str(dep["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "deposit paid")
			s.clock.Advance(time.Hour)
			bal := must(t, s.payPurpose(buyer, "/app/v1", tradeID, "balance"), 201, "balance").data()
			must(t, s.do("POST", "/admin/v1/payments/"+str(bal["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "balance paid")
			must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF7"}), 200, "ship")

			st = s.story(t, admin, tradeID)
			trade := st["trade"].(map[string]any)
			var purposes []string
			for _, p := range trade["payments"].([]any) {
				p := p.(map[string]any)
				purposes = append(purposes, str(p["purpose"]))
				if p["providerRef"] == nil || p["settledAt"] == nil || p["status"] != "succeeded" {
					t.Errorf("a settled payment without its provider reference or time: %v", p)
				}
			}
			if !slices.Equal(purposes, []string{"deposit", "balance"}) {
				t.Errorf("payments: %v; want the deposit, then the balance", purposes)
			}
			if o := trade["orders"].([]any)[0].(map[string]any); o["status"] != "shipped" || o["trackingNo"] != "SF7" || o["presale"] == nil {
				t.Errorf("the order in the story: %v", o)
			}
			events := timeline(st)
			for _, want := range []string{"order.created by buyer:u1", "order.shipped by operator:ops1"} {
				if !slices.Contains(events, want) {
					t.Errorf("timeline %v; want %q in it", events, want)
				}
			}
			if events[0] != "order.created by buyer:u1" || !slices.ContainsFunc(events, func(e string) bool { return strings.HasSuffix(e, " by provider:sandbox") }) {
				t.Errorf("timeline %v; want it to start with the order placed, and the provider's callbacks in it", events)
			}

			if r := s.do("GET", "/admin/v1/trades/"+tradeID, s.token("rival", "ops9", "", "admin"), nil); r.status != 404 {
				t.Errorf("another tenant's operator reading the story: %d %s", r.status, r.raw)
			}
			if r := s.do("GET", "/admin/v1/trades/"+tradeID, buyer, nil); r.status != 401 && r.status != 403 {
				t.Errorf("a buyer reading the story: %d %s", r.status, r.raw)
			}
			if r := s.do("GET", "/admin/v1/trades/T404", admin, nil); r.status != 404 {
				t.Errorf("the story of no trade: %d %s", r.status, r.raw)
			}
		})

		t.Run("cod refunded", func(t *testing.T) {
			fresh := sqliteConfig(t)
			if db.Driver == "mysql" {
				fresh = mysqlConfig(t)
			}
			s, admin := codStack(t, fresh)
			buyer := s.token("acme", "u2", "app", "buyer")
			tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "cod", "items": []any{item("tea", 2)}, "address": address},
				"Idempotency-Key", "story-cod"), 201, "place").data()
			tradeID := str(tr["tradeId"])
			o := tr["orders"].([]any)[0].(map[string]any)
			orderID := str(o["orderId"])
			must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF8"}), 200, "ship")
			total := minorOf(t, o["total"])
			must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered", "collected": total}), 200, "collected")
			as := must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", buyer, ask("return_refund", [2]int{1, 2}), "Idempotency-Key", "story-as"),
				201, "after-sale").data()
			asID := str(as["afterSaleId"])
			must(t, s.do("POST", "/admin/v1/aftersales/"+asID+"/approve", admin, nil), 200, "approve")
			must(t, s.do("POST", "/app/v1/aftersales/"+asID+"/return-shipment", buyer, map[string]any{"carrier": "SF", "trackingNo": "SF9"}), 200, "ship back")
			must(t, s.do("POST", "/admin/v1/aftersales/"+asID+"/receive", admin, map[string]any{"condition": "sellable"}), 200, "receive")

			st := s.story(t, admin, tradeID)
			trade := st["trade"].(map[string]any)
			ord := trade["orders"].([]any)[0].(map[string]any)
			if ord["status"] != "refunded" {
				t.Fatalf("the order after its refund: %v", ord)
			}
			refunds := ord["refunds"].([]any)
			if len(refunds) != 1 || refunds[0].(map[string]any)["amount"] != float64(total) ||
				refunds[0].(map[string]any)["afterSaleId"] != as["afterSaleId"] {
				t.Errorf("refunds: %v; want one of %d for after-sale %v", refunds, total, as["afterSaleId"])
			}
			if ps := trade["payments"].([]any); len(ps) != 1 || ps[0].(map[string]any)["purpose"] != "cod_collection" {
				t.Errorf("payments: %v; want the collection", ps)
			}
			if a := st["afterSales"].([]any); len(a) != 1 || a[0].(map[string]any)["afterSaleId"] != as["afterSaleId"] || a[0].(map[string]any)["status"] == "" {
				t.Errorf("after-sales: %v", a)
			}
			events := timeline(st)
			for _, want := range []string{"order.created by buyer:u2", "order.shipped by operator:ops1"} {
				if !slices.Contains(events, want) {
					t.Errorf("timeline %v; want %q in it", events, want)
				}
			}
			if !slices.ContainsFunc(events, func(e string) bool { return strings.HasPrefix(e, "order.refunded ") }) {
				t.Errorf("timeline %v; want the refund in it", events)
			}
		})
	})
}
