package platform_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

func presaleBody(now time.Time) map[string]any {
	ms := now.UnixMilli()
	return map[string]any{"name": "Double 11 pre-sale", "currency": "CNY",
		"skus":            []any{map[string]any{"skuId": "tea", "price": 10000, "deposit": 1000, "depositCredit": 3000}},
		"depositStartsAt": ms, "depositEndsAt": ms + 3_600_000, "balanceStartsAt": ms + 3_600_000, "balanceEndsAt": ms + 7_200_000,
		"perUser": 2, "depositRefundable": false}
}

// TestPresaleCampaignsThroughTheStack: an operator defines a pre-sale campaign and reads it back;
// windows out of order, a credit below the deposit, negative money or a bad SKU are refused with
// presale.invalid_campaign and change nothing; another tenant and a buyer cannot read it.
func TestPresaleCampaignsThroughTheStack(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops1", "", "admin")
		now := time.Now()
		c := must(t, s.do("PUT", "/admin/v1/presales/double11", admin, presaleBody(now)), 200, "put presale").data()
		if c["id"] != "double11" || c["status"] != "active" || c["perUser"] != float64(2) {
			t.Fatalf("put: %v", c)
		}
		got := must(t, s.do("GET", "/admin/v1/presales/double11", admin, nil), 200, "get presale").data()
		sku := got["skus"].([]any)[0].(map[string]any)
		if sku["price"] != float64(10000) || sku["deposit"] != float64(1000) || sku["depositCredit"] != float64(3000) ||
			got["depositEndsAt"] != float64(now.UnixMilli()+3_600_000) {
			t.Fatalf("get: %v", got)
		}
		for name, edit := range map[string]func(b map[string]any){
			"windows out of order": func(b map[string]any) { b["balanceStartsAt"] = b["depositStartsAt"] },
			"credit below deposit": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "tea", "price": 10000, "deposit": 1000, "depositCredit": 999}}
			},
			"negative price": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "tea", "price": -1, "deposit": 1000, "depositCredit": 1000}}
			},
			"no skus": func(b map[string]any) { b["skus"] = []any{} },
			"bad sku": func(b map[string]any) {
				b["skus"] = []any{map[string]any{"skuId": "", "price": 1, "deposit": 1, "depositCredit": 1}}
			},
			"bad currency": func(b map[string]any) { b["currency"] = "ZZZ" },
		} {
			b := presaleBody(now)
			b["name"] = "changed"
			edit(b)
			if r := s.do("PUT", "/admin/v1/presales/double11", admin, b); r.status != 400 || r.body["code"] != "presale.invalid_campaign" {
				t.Errorf("%s: %d %s; want 400 presale.invalid_campaign", name, r.status, r.raw)
			}
		}
		if got := must(t, s.do("GET", "/admin/v1/presales/double11", admin, nil), 200, "get").data(); got["name"] != "Double 11 pre-sale" {
			t.Fatalf("a refused put changed the campaign: %v", got)
		}
		if r := s.do("PUT", "/admin/v1/presales/bad%20id", admin, presaleBody(now)); r.status != 400 {
			t.Errorf("a bad campaign id: %d %s", r.status, r.raw)
		}
		other := s.token("globex", "ops", "", "admin")
		if r := s.do("GET", "/admin/v1/presales/double11", other, nil); r.status != 404 || r.body["code"] != "presale.campaign_not_found" {
			t.Errorf("another tenant: %d %s", r.status, r.raw)
		}
		buyer := s.token("acme", "u1", "app", "buyer")
		if r := s.do("GET", "/admin/v1/presales/double11", buyer, nil); r.status != 403 {
			t.Errorf("a buyer on the admin route: %d %s", r.status, r.raw)
		}
	})
}

// presaleStack is a stack with the tea pre-sale (price 100.00, deposit 10.00 counting for 30.00,
// at most 2 a buyer) whose deposit window is the clock's next hour and balance window the hour
// after, and 10 units of tea.
func presaleStack(t *testing.T, db dal.Config) (*stack, string) {
	t.Helper()
	clk := &clock{t: time.Now()}
	s := start(t, db, clk)
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 12000, 10)
	s.seed(admin, "cup", "s1", 500, 10)
	must(t, s.do("PUT", "/admin/v1/presales/double11", admin, presaleBody(clk.Now())), 200, "put presale")
	return s, admin
}

func (s *stack) payPurpose(token, prefix, tradeID, purpose string) reply {
	return s.do("POST", prefix+"/trades/"+tradeID+"/payments", token, map[string]any{"method": "sandbox", "purpose": purpose})
}

// TestPresaleDepositThenBalance: the whole pre-sale through HTTP → Kitex → the database, on both
// buyer channels and both databases: a quote shows the deposit, its credit and the balance; an
// order awaits its deposit with its stock reserved; the deposit is paid, the balance is refused
// until its window, then paid, and the order ships and completes as any order.
func TestPresaleDepositThenBalance(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		for _, ch := range []struct{ name, prefix string }{{"app", "/app/v1"}, {"mp", "/mp/v1"}} {
			t.Run(ch.name, func(t *testing.T) {
				fresh := sqliteConfig(t) // a database of its own per channel
				if db.Driver == "mysql" {
					fresh = mysqlConfig(t)
				}
				s, admin := presaleStack(t, fresh)
				buyer := s.token("acme", "u-"+ch.name, ch.name, "buyer")
				created := map[string]int{"app": 201, "mp": 200}[ch.name] // the mini-program always answers 200
				body := func(v map[string]any) any {
					if ch.name == "mp" {
						return mpBody(v)
					}
					return v
				}
				money := func(v map[string]any, field string, minor int64) {
					t.Helper()
					if ch.name == "app" { // decimal strings
						if want := fmt.Sprintf("%d.%02d", minor/100, minor%100); v[field] != want {
							t.Errorf("%s: %v; want %s in %v", field, v[field], want, v)
						}
						return
					}
					key := map[string]string{"deposit": "deposit_fee", "credit": "credit_fee", "balanceDue": "balance_due_fee"}[field]
					if v[key] != float64(minor) { // integer minor units named *_fee
						t.Errorf("%s: %v; want %d in %v", key, v[key], minor, v)
					}
				}
				cart := map[string]any{"flow": "presale", "presaleId": "double11", "items": []any{item("tea", 2)}}
				q := must(t, s.do("POST", ch.prefix+"/quotes", buyer, body(cart)), 200, "quote").data()
				terms := q["presale"].(map[string]any)
				money(terms, "deposit", 2000)
				money(terms, "credit", 6000)
				money(terms, "balanceDue", 14000)

				cart["address"] = address
				tr := must(t, s.do("POST", ch.prefix+"/orders", buyer, body(cart), "Idempotency-Key", "ps-1"), created, "place").data()
				tradeID := str(tr[map[string]string{"app": "tradeId", "mp": "trade_id"}[ch.name]])
				read := func() (map[string]any, string, string) {
					t.Helper()
					d := must(t, s.do("GET", ch.prefix+"/trades/"+tradeID, buyer, nil), 200, "trade").data()
					o := d["orders"].([]any)[0].(map[string]any)
					dep := d["presale"].(map[string]any)[map[string]string{"app": "depositStatus", "mp": "deposit_status"}[ch.name]]
					return d, str(o["status"]), str(dep)
				}
				if d, st, dep := read(); st != "pending_deposit" || dep != "pending" || d["state"] != "awaiting_deposit" {
					t.Fatalf("placed: %s %s %v", st, dep, d["state"])
				}
				if st := s.stock(admin, "tea"); st["reserved"] != 2 {
					t.Fatalf("stock after placing: %v", st)
				}
				code := func(r reply) string {
					if ch.name == "mp" {
						return str(r.body["errcode"])
					}
					return str(r.body["code"])
				}
				for purpose, want := range map[string][2]string{
					"balance": {"presale.deposit_not_paid", "51010"},
					"full":    {"payment.invalid_purpose", "45012"},
				} {
					if r := s.payPurpose(buyer, ch.prefix, tradeID, purpose); code(r) != map[string]string{"app": want[0], "mp": want[1]}[ch.name] {
						t.Errorf("paying %s first: %s", purpose, r.raw)
					}
				}
				dep := must(t, s.payPurpose(buyer, ch.prefix, tradeID, "deposit"), created, "deposit").data()
				must(t, s.do("POST", "/admin/v1/payments/"+str(dep[map[string]string{"app": "paymentId", "mp": "payment_id"}[ch.name]])+"/simulate", admin,
					map[string]any{"outcome": "succeeded"}), 200, "deposit paid")
				if d, st, depSt := read(); st != "deposit_paid" || depSt != "paid" || d["state"] != "deposit_paid" {
					t.Fatalf("after the deposit: %s %s %v", st, depSt, d["state"])
				}
				if r := s.payPurpose(buyer, ch.prefix, tradeID, "balance"); code(r) != map[string]string{"app": "presale.balance_window_not_open", "mp": "51006"}[ch.name] {
					t.Fatalf("the balance before its window: %s", r.raw)
				}
				s.clock.Advance(time.Hour)
				bal := must(t, s.payPurpose(buyer, ch.prefix, tradeID, "balance"), created, "balance").data()
				if ch.name == "app" && bal["amount"] != "140.00" || ch.name == "mp" && bal["amount_fee"] != float64(14000) {
					t.Fatalf("balance: %v", bal)
				}
				must(t, s.do("POST", "/admin/v1/payments/"+str(bal[map[string]string{"app": "paymentId", "mp": "payment_id"}[ch.name]])+"/simulate", admin,
					map[string]any{"outcome": "succeeded"}), 200, "balance paid")
				d, st, _ := read()
				if st != "paid" || d["state"] != "paid" || len(d["payments"].([]any)) != 2 {
					t.Fatalf("after the balance: %s %v %v", st, d["state"], d["payments"])
				}
				if st := s.stock(admin, "tea"); st["sold"] != 2 || st["reserved"] != 0 {
					t.Fatalf("stock after the balance: %v", st)
				}
				orderID := str(d["orders"].([]any)[0].(map[string]any)[map[string]string{"app": "orderId", "mp": "order_id"}[ch.name]])
				must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/shipments", admin, map[string]any{"carrier": "SF", "trackingNo": "SF1"}), 200, "ship")
				must(t, s.do("POST", "/admin/v1/orders/"+orderID+"/delivery", admin, map[string]any{"outcome": "delivered"}), 200, "deliver")
				must(t, s.do("POST", ch.prefix+"/orders/"+orderID+"/complete", buyer, nil), 200, "complete")
			})
		}
	})
}

// TestPresaleFailureBranches: an unpaid deposit cancels the order (deposit_unpaid) and gives its
// stock and the buyer's claim back; a missed balance cancels it (balance_missed) and forfeits the
// deposit; a buyer's third unit, a SKU outside the campaign, an unknown campaign and an order
// after the deposit window are refused with stable codes and reserve nothing.
func TestPresaleFailureBranches(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := presaleStack(t, db)
		buyer := s.token("acme", "u1", "app", "buyer")
		other := s.token("acme", "u2", "app", "buyer")
		order := func(token string, qty int, sku, campaign string) reply {
			return s.do("POST", "/app/v1/orders", token, map[string]any{"flow": "presale", "presaleId": campaign,
				"items": []any{item(sku, qty)}, "address": address})
		}
		unpaid := str(must(t, order(buyer, 2, "tea", "double11"), 201, "unpaid").data()["tradeId"])
		for _, tc := range []struct {
			r    reply
			want string
		}{
			{order(buyer, 1, "tea", "double11"), "409 presale.per_user_limit"},
			{order(other, 1, "cup", "double11"), "400 presale.sku_not_in_campaign"},
			{order(other, 1, "tea", "nope"), "404 presale.campaign_not_found"},
			{order(other, 1, "tea", ""), "400 presale.campaign_required"},
		} {
			if got := fmt.Sprint(tc.r.status, " ", tc.r.body["code"]); got != tc.want {
				t.Errorf("got %s %s; want %s", got, tc.r.raw, tc.want)
			}
		}
		missed := str(must(t, order(other, 1, "tea", "double11"), 201, "missed").data()["tradeId"])
		dep := must(t, s.payPurpose(other, "/app/v1", missed, "deposit"), 201, "deposit").data()
		must(t, s.do("POST", "/admin/v1/payments/"+str(dep["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
		if st := s.stock(admin, "tea"); st["reserved"] != 3 {
			t.Fatalf("stock with two trades: %v", st)
		}

		s.clock.Advance(31 * time.Minute)
		trade := func(token, id string) (map[string]any, map[string]any) {
			d := must(t, s.do("GET", "/app/v1/trades/"+id, token, nil), 200, "trade").data()
			return d, d["orders"].([]any)[0].(map[string]any)
		}
		eventually(t, 10*time.Second, "the unpaid deposit's timer", func() bool {
			_, o := trade(buyer, unpaid)
			return o["status"] == "cancelled"
		})
		if d, o := trade(buyer, unpaid); o["cancelReason"] != "deposit_unpaid" || d["state"] != "cancelled" {
			t.Fatalf("unpaid deposit: %v %v", o["cancelReason"], d["state"])
		}
		must(t, order(buyer, 2, "tea", "double11"), 201, "the buyer's claim came back")
		if r := order(buyer, 1, "tea", "double11"); r.status != 409 {
			t.Fatalf("and is counted again: %d %s", r.status, r.raw)
		}

		s.clock.Advance(2 * time.Hour)
		eventually(t, 10*time.Second, "the missed balance's timer", func() bool {
			_, o := trade(other, missed)
			return o["status"] == "cancelled"
		})
		d, o := trade(other, missed)
		if o["cancelReason"] != "balance_missed" || d["presale"].(map[string]any)["depositStatus"] != "forfeited" {
			t.Fatalf("missed balance: %v %v", o["cancelReason"], d["presale"])
		}
		if r := order(other, 1, "tea", "double11"); r.status != 409 || r.body["code"] != "presale.deposit_window_closed" {
			t.Fatalf("after the deposit window: %d %s", r.status, r.raw)
		}
		eventually(t, 10*time.Second, "every pre-sale order cancelled, stock back", func() bool {
			return s.stock(admin, "tea")["reserved"] == 0
		})
		if st := s.stock(admin, "tea"); st["available"] != 10 || st["sold"] != 0 {
			t.Fatalf("stock at the end: %v", st)
		}
	})
}

// TestPresaleCancellations: a buyer who cancels after paying a non-refundable deposit forfeits
// it; the merchant calling the campaign off ends its other trades, refunds every deposit paid
// through the provider, and takes no new orders.
func TestPresaleCancellations(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := presaleStack(t, db)
		order := func(token string) string {
			return str(must(t, s.do("POST", "/app/v1/orders", token, map[string]any{"flow": "presale", "presaleId": "double11",
				"items": []any{item("tea", 1)}, "address": address}), 201, "place").data()["tradeId"])
		}
		deposit := func(token, tradeID string) {
			p := must(t, s.payPurpose(token, "/app/v1", tradeID, "deposit"), 201, "deposit").data()
			must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
		}
		view := func(token, tradeID string) (string, string, string) {
			d := must(t, s.do("GET", "/app/v1/trades/"+tradeID, token, nil), 200, "trade").data()
			o := d["orders"].([]any)[0].(map[string]any)
			return str(o["status"]), str(d["presale"].(map[string]any)["depositStatus"]), str(o["orderId"])
		}
		u1, u2, u3 := s.token("acme", "u1", "app", "buyer"), s.token("acme", "u2", "app", "buyer"), s.token("acme", "u3", "app", "buyer")
		kept := order(u1)
		deposit(u1, kept)
		_, _, orderID := view(u1, kept)
		if r := s.do("POST", "/app/v1/orders/"+orderID+"/cancel", u2, nil); r.status != 404 {
			t.Fatalf("another buyer cancels: %d %s", r.status, r.raw)
		}
		must(t, s.do("POST", "/app/v1/orders/"+orderID+"/cancel", u1, nil), 200, "cancel")
		if st, dep, _ := view(u1, kept); st != "cancelled" || dep != "forfeited" {
			t.Fatalf("cancelled after a non-refundable deposit: %s %s", st, dep)
		}

		refunded, waiting := order(u2), order(u3)
		deposit(u2, refunded)
		r := must(t, s.do("POST", "/admin/v1/presales/double11/cancel", admin, nil), 200, "cancel campaign").data()
		if r["tradesEnded"] != float64(2) || r["campaign"].(map[string]any)["status"] != "cancelled" {
			t.Fatalf("campaign cancel: %v", r)
		}
		if st, dep, _ := view(u2, refunded); st != "cancelled" || dep != "refunded" {
			t.Fatalf("a deposit when the campaign was called off: %s %s", st, dep)
		}
		if st, dep, _ := view(u3, waiting); st != "cancelled" || dep != "cancelled" {
			t.Fatalf("an order awaiting its deposit when the campaign was called off: %s %s", st, dep)
		}
		if r := s.do("POST", "/app/v1/orders", u3, map[string]any{"flow": "presale", "presaleId": "double11",
			"items": []any{item("tea", 1)}, "address": address}); r.status != 409 || r.body["code"] != "presale.campaign_cancelled" {
			t.Fatalf("an order in a cancelled campaign: %d %s", r.status, r.raw)
		}
		if st := s.stock(admin, "tea"); st["available"] != 10 {
			t.Fatalf("stock after the campaign was called off: %v", st)
		}
		conn := openDB(t, s.db)
		defer conn.Close()
		var n int
		var amount int64
		if err := conn.Primary().QueryRow(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM payment_refunds WHERE tenant = 'acme' AND status = 'succeeded'`).Scan(&n, &amount); err != nil || n != 1 || amount != 1000 {
			t.Fatalf("%d refunds of %d accepted (%v); want the one 10.00 deposit", n, amount, err)
		}
	})
}

// TestDepositCreditScript: a business computes the deposit's credit with presale.deposit_credit
// (here: a deposit for two or more units counts four times over); the quote, the order and the
// balance follow it. A script whose credit is out of bounds falls back to the campaign's.
func TestDepositCreditScript(t *testing.T) {
	s, admin := presaleStack(t, sqliteConfig(t))
	buyer := s.token("acme", "u1", "app", "buyer")
	quote := func(qty int) map[string]any {
		q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"flow": "presale", "presaleId": "double11",
			"items": []any{item("tea", qty)}}), 200, "quote").data()
		return q["presale"].(map[string]any)
	}
	s.publish(admin, "tiered-credit", `-- point: presale.deposit_credit
function run(input)
  local out = {}
  for i, l in ipairs(input.lines) do
    local credit = l.credit
    if l.quantity >= 2 then credit = math.min(l.price, l.deposit * 4) end
    out[i] = {skuId = l.skuId, credit = credit}
  end
  return {lines = out}
end
`, "acme/*")
	eventually(t, 2*time.Second, "the credit script in force", func() bool { return quote(2)["credit"] == "80.00" })
	if q := quote(2); q["balanceDue"] != "120.00" || q["deposit"] != "20.00" {
		t.Fatalf("two units under the script: %v", q)
	}
	if q := quote(1); q["credit"] != "30.00" || q["balanceDue"] != "70.00" {
		t.Fatalf("one unit under the script: %v", q)
	}
	tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"flow": "presale", "presaleId": "double11",
		"items": []any{item("tea", 2)}, "address": address}), 201, "place").data()
	if p := tr["presale"].(map[string]any); p["credit"] != "80.00" || p["balanceDue"] != "120.00" {
		t.Fatalf("the order's terms: %v", p)
	}
	s.publish(admin, "broken-credit", `-- point: presale.deposit_credit
function run(input)
  local out = {}
  for i, l in ipairs(input.lines) do out[i] = {skuId = l.skuId, credit = 1} end
  return {lines = out}
end
`, "acme/*")
	eventually(t, 2*time.Second, "the broken script in force, falling back", func() bool { return quote(2)["credit"] == "60.00" })
}

// TestPresaleCreditAboveDepositWithDiscount: a cart over two sellers in one campaign, each line's
// deposit counting for more than it cost, with 10% off the whole cart. The quote's groups and the
// placed orders each show their share of the deposit and of the credit, and the balance they
// leave; the shares add up to the trade's to the minor unit; the buyer pays exactly the deposit,
// then exactly the balance; and when the campaign is called off each order gets back its own
// deposit share and its own balance share, which add up to the two payments.
func TestPresaleCreditAboveDepositWithDiscount(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s, admin := presaleStack(t, db)
		s.seed(admin, "mug", "s2", 400, 10)
		body := presaleBody(s.clock.Now())
		body["skus"] = []any{map[string]any{"skuId": "tea", "price": 10000, "deposit": 1000, "depositCredit": 3000},
			map[string]any{"skuId": "mug", "price": 333, "deposit": 100, "depositCredit": 250}}
		body["perUser"] = 3
		must(t, s.do("PUT", "/admin/v1/presales/split11", admin, body), 200, "campaign")
		must(t, s.do("PUT", "/admin/v1/promotions/ten-off", admin, map[string]any{"name": "10% off", "kind": "percent_off",
			"currency": "CNY", "percent": 1000}), 200, "promotion")
		buyer := s.token("acme", "u1", "app", "buyer")
		cart := map[string]any{"flow": "presale", "presaleId": "split11", "items": []any{item("tea", 2), item("mug", 1)}}

		q := must(t, s.do("POST", "/app/v1/quotes", buyer, cart), 200, "quote").data()
		terms := q["presale"].(map[string]any)
		payable := minorOf(t, q["payable"])
		if minorOf(t, q["discount"]) == 0 || minorOf(t, terms["deposit"]) != 2100 || minorOf(t, terms["credit"]) != 6250 ||
			minorOf(t, terms["balanceDue"]) != payable-6250 {
			t.Fatalf("quote: %v", q)
		}
		type share struct{ deposit, credit, balance, payable int64 }
		sum := func(shares []share) (out share) {
			for _, s := range shares {
				out.deposit, out.credit, out.balance, out.payable = out.deposit+s.deposit, out.credit+s.credit, out.balance+s.balance, out.payable+s.payable
			}
			return out
		}
		var quoted []share
		for _, g := range q["groups"].([]any) {
			g := g.(map[string]any)
			p := g["presale"].(map[string]any)
			sh := share{minorOf(t, p["deposit"]), minorOf(t, p["credit"]), minorOf(t, p["balanceDue"]), minorOf(t, g["payable"])}
			if sh.balance != sh.payable-sh.credit {
				t.Fatalf("group %v: balance is not payable less credit", g)
			}
			quoted = append(quoted, sh)
		}
		t.Logf("payable %d, groups (deposit, credit, balance, payable): %v", payable, quoted)
		if len(quoted) != 2 || sum(quoted) != (share{2100, 6250, payable - 6250, payable}) {
			t.Fatalf("the groups' shares %v do not add up to the quote %v", quoted, terms)
		}

		cart["address"] = address
		tr := must(t, s.do("POST", "/app/v1/orders", buyer, cart, "Idempotency-Key", "split-1"), 201, "place").data()
		tradeID := str(tr["tradeId"])
		var placed []share
		for _, o := range tr["orders"].([]any) {
			o := o.(map[string]any)
			p := o["presale"].(map[string]any)
			placed = append(placed, share{minorOf(t, p["deposit"]), minorOf(t, p["credit"]), minorOf(t, p["balanceDue"]), minorOf(t, o["total"])})
		}
		if fmt.Sprint(placed) != fmt.Sprint(quoted) {
			t.Fatalf("the orders' shares %v are not the quote's %v", placed, quoted)
		}
		pay := func(purpose string, want int64) string {
			t.Helper()
			p := must(t, s.payPurpose(buyer, "/app/v1", tradeID, purpose), 201, purpose).data()
			if minorOf(t, p["amount"]) != want {
				t.Fatalf("%s: %v; want %d", purpose, p, want)
			}
			must(t, s.do("POST", "/admin/v1/payments/"+str(p["paymentId"])+"/simulate", admin, map[string]any{"outcome": "succeeded"}), 200, "paid")
			return str(p["paymentId"])
		}
		depositID := pay("deposit", 2100)
		s.clock.Advance(time.Hour) // the balance window opens
		balanceID := pay("balance", payable-6250)

		must(t, s.do("POST", "/admin/v1/presales/split11/cancel", admin, nil), 200, "call the campaign off")
		got := must(t, s.do("GET", "/app/v1/trades/"+tradeID, buyer, nil), 200, "trade").data()
		back := map[string]int64{}
		for i, o := range got["orders"].([]any) {
			o := o.(map[string]any)
			rs, _ := o["refunds"].([]any)
			if o["status"] != "refunded" || len(rs) != 2 {
				t.Fatalf("order %d after the campaign was called off: %v", i, o)
			}
			mine := map[string]int64{}
			for _, r := range rs {
				r := r.(map[string]any)
				mine[str(r["paymentId"])] += minorOf(t, r["amount"])
				back[str(r["paymentId"])] += minorOf(t, r["amount"])
			}
			if mine[depositID] != placed[i].deposit || mine[balanceID] != placed[i].balance {
				t.Fatalf("order %d got back %v; its shares are %+v", i, mine, placed[i])
			}
		}
		if back[depositID] != 2100 || back[balanceID] != payable-6250 {
			t.Fatalf("refunds %v do not add up to the payments", back)
		}
	})
}
