package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
)

var address = map[string]any{"name": "Chaos Buyer", "phone": "13800000000", "country": "CN", "province": "Zhejiang",
	"city": "Hangzhou", "district": "Xihu", "detail": "1 Chaos Rd", "postalCode": "310000"}

// workload is the campaign's trading: what the operator set up and the buyers.
type workload struct {
	cp     *campaign
	admin  string
	buyers []*buyer
	// the pre-sale's windows and the auctions' schedule
	depositEnds, balanceStarts, balanceEnds time.Time
	auctions                                []auctionSlot
	hogVersion                              int
	buyerOf                                 map[string]*buyer // by id
	// late is work that outlives a buyer's turn: delayed callbacks, balances paid when their
	// window opens, auction winners paying.
	late sync.WaitGroup
}

type auctionSlot struct {
	id         string
	start, end time.Time
}

type buyer struct {
	id      string
	channel string // app or mp
	token   string
	rng     *rand.Rand
	n       int // operations so far, for keys
}

// path is a buyer route on the buyer's channel.
func (b *buyer) path(p string) string { return "/" + b.channel + "/v1" + p }

// body is a request body spelled the buyer's channel's way.
func (b *buyer) body(v map[string]any) any {
	if b.channel == "mp" {
		return toMP(v)
	}
	return v
}

// setup creates the tenant's catalog and campaigns, and the buyers.
func (cp *campaign) setup(ctx context.Context) (*workload, error) {
	w := &workload{cp: cp, buyerOf: map[string]*buyer{}}
	token := func(user, channel, role string) (string, error) {
		a := cp.c.send(ctx, "setup", "POST", "/auth/v1/dev-token", "", map[string]string{"tenant": tenant, "userId": user, "channel": channel, "role": role})
		tok, _ := a.data()["token"].(string)
		if tok == "" {
			tok, _ = a.body["token"].(string)
		}
		if tok == "" {
			return "", fmt.Errorf("dev token: %d %s", a.status, a.raw)
		}
		return tok, nil
	}
	var err error
	if w.admin, err = token("ops", "", "admin"); err != nil {
		return nil, err
	}
	now := time.Now()
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	d := cp.o.Duration
	w.depositEnds = now.Add(d * 35 / 100)
	w.balanceStarts, w.balanceEnds = w.depositEnds, now.Add(d*70/100)
	put := []struct {
		path string
		body map[string]any
	}{
		{"/admin/v1/skus/tea", map[string]any{"title": "Tea", "sellerId": "s1", "currency": "CNY", "price": 5000}},
		{"/admin/v1/skus/tea/stock", map[string]any{"warehouseId": "wh1", "onHand": 1_000_000}},
		{"/admin/v1/skus/cup", map[string]any{"title": "Cup", "sellerId": "s2", "currency": "CNY", "price": 1200}},
		{"/admin/v1/skus/cup/stock", map[string]any{"warehouseId": "wh1", "onHand": 1_000_000}},
		{"/admin/v1/skus/hot", map[string]any{"title": "Flash tea", "sellerId": "s1", "currency": "CNY", "price": 990}},
		{"/admin/v1/skus/hot/stock", map[string]any{"warehouseId": "wh1", "onHand": 150}},
		{"/admin/v1/skus/vase", map[string]any{"title": "Vase", "sellerId": "s3", "currency": "CNY", "price": 100000}},
		{"/admin/v1/skus/vase/stock", map[string]any{"warehouseId": "wh1", "onHand": 100}},
		{"/admin/v1/shipping-templates/s2", map[string]any{"currency": "CNY", "fee": 600}},
		{"/admin/v1/campaigns/spring", map[string]any{"name": "Spring", "currency": "CNY", "budget": 300_000}},
		{"/admin/v1/promotions/ten-off", map[string]any{"name": "10% off tea", "kind": "percent_off", "currency": "CNY", "percent": 1000,
			"campaignId": "spring", "scope": map[string]any{"skus": []string{"tea"}}}},
		{"/admin/v1/promotions/vip", map[string]any{"name": "VIP 5 off", "kind": "amount_off", "currency": "CNY", "amount": 500,
			"couponOnly": true, "minSpend": 1000}},
		{"/admin/v1/coupons/CHAOS", map[string]any{"promotionId": "vip", "totalUses": 400, "perUser": 10}},
		{"/admin/v1/limits/hot-per-user", map[string]any{"name": "Flash tea per buyer", "kind": "per_user", "skus": []string{"hot"},
			"period": "lifetime", "max": 3}},
		{"/admin/v1/cod-rules", map[string]any{"enabled": true, "currency": "CNY", "maxRefusals": 1000}},
		{"/admin/v1/presales/pre", map[string]any{"name": "Chaos pre-sale", "currency": "CNY",
			"skus":            []any{map[string]any{"skuId": "tea", "price": 4000, "deposit": 500, "depositCredit": 1000}},
			"depositStartsAt": ms(now.Add(-time.Second)), "depositEndsAt": ms(w.depositEnds),
			"balanceStartsAt": ms(w.balanceStarts), "balanceEndsAt": ms(w.balanceEnds), "perUser": 100, "depositRefundable": true}},
		{"/admin/v1/groupbuys/gb", map[string]any{"name": "Tea together", "currency": "CNY", "skus": []any{map[string]any{"skuId": "tea", "price": 3000}},
			"groupSize": 3, "formationSeconds": 60, "startsAt": ms(now.Add(-time.Minute)), "endsAt": ms(now.Add(d)), "perUser": 100, "virtualFill": 0}},
	}
	// Auctions one after another over the first half, 20 s each.
	for i, at := 0, now.Add(time.Second); at.Add(20*time.Second).Before(now.Add(d/2)) || i == 0; i, at = i+1, at.Add(15*time.Second) {
		slot := auctionSlot{id: fmt.Sprint("auc-", i+1), start: at, end: at.Add(20 * time.Second)}
		w.auctions = append(w.auctions, slot)
		put = append(put, struct {
			path string
			body map[string]any
		}{"/admin/v1/auctions/" + slot.id, map[string]any{"skuId": "vase", "title": "Vase " + slot.id, "currency": "CNY", "startPrice": 10000,
			"increments": []any{map[string]any{"from": 0, "step": 500}}, "reservePrice": 10000, "deposit": 2000,
			"startsAt": ms(slot.start), "endsAt": ms(slot.end), "antiSnipeSeconds": 3, "extendSeconds": 5, "maxExtensions": 1, "payWindowSeconds": 60}})
	}
	for _, p := range put {
		if a := cp.c.send(ctx, "setup", "PUT", p.path, w.admin, p.body); !a.ok() {
			return nil, fmt.Errorf("setup: PUT %s: %d %s", p.path, a.status, a.raw)
		}
	}
	a := cp.c.send(ctx, "setup", "POST", "/admin/v1/extensions/scripts/chaos-hog/versions", w.admin, map[string]any{"source": hogScript, "notes": "chaos: spends its budget for some buyers"})
	version, _ := a.data()["version"].(float64)
	if !a.ok() || version < 1 {
		return nil, fmt.Errorf("setup: upload the budget hog: %d %s", a.status, a.raw)
	}
	w.hogVersion = int(version)
	// A third of the buyers are on the mini-program, the rest on the app.
	for i := range cp.o.Buyers {
		b := &buyer{id: fmt.Sprintf("b%03d", i), channel: "app", rng: rand.New(rand.NewPCG(cp.o.Seed, uint64(100+i)))}
		if i%3 == 2 {
			b.channel = "mp"
		}
		if b.token, err = token(b.id, b.channel, "buyer"); err != nil {
			return nil, err
		}
		w.buyerOf[b.id] = b
		w.buyers = append(w.buyers, b)
	}
	return w, nil
}

// hogScript prices as the list does, but spins for buyers whose id ends in 7: while it is
// published they meet the point's budget.
const hogScript = `-- point: pricing.unit_price
-- Chaos: a script that spends its whole budget for some buyers.
function run(input)
  if string.sub(input.buyer.userId or "", -1) == "7" then
    local n = 0
    while true do n = n + 1 end
  end
  local out = {}
  for i, line in ipairs(input.lines) do
    out[i] = {skuId = line.skuId, unitPrice = line.price}
  end
  return {lines = out}
end
`

// run lets every buyer trade until the deadline, then waits for the late work.
func (w *workload) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, b := range w.buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(w.cp.deadline) && ctx.Err() == nil {
				w.turn(ctx, b)
			}
		}()
	}
	w.late.Add(1)
	go func() { defer w.late.Done(); w.auctioneer(ctx) }()
	wg.Wait()
	w.late.Wait()
}

// turn is one thing a buyer does, drawn from their own generator.
func (w *workload) turn(ctx context.Context, b *buyer) {
	b.n++
	now := time.Now()
	switch r := b.rng.IntN(100); {
	case r < 30:
		w.fixedPrice(ctx, b)
	case r < 40:
		w.flashSale(ctx, b)
	case r < 55:
		w.cod(ctx, b)
	case r < 70 && now.Before(w.depositEnds.Add(-2*time.Second)):
		w.presale(ctx, b)
	case r < 85:
		w.groupBuy(ctx, b)
	default:
		if !w.bid(ctx, b) {
			w.fixedPrice(ctx, b)
		}
	}
	time.Sleep(time.Duration(b.rng.IntN(300)) * time.Millisecond)
}

func (b *buyer) key(what string) string { return fmt.Sprintf("%s-%s-%d", what, b.id, b.n) }

func item(sku string, q int) map[string]any { return map[string]any{"skuId": sku, "quantity": q} }

// place places a trade and records it; it returns the trade and its orders, or "" when the
// platform refused it. Sometimes the buyer's app sends the same request again after it was
// answered (a double tap, a retry after a timeout it did not see end).
func (w *workload) place(ctx context.Context, b *buyer, op string, body map[string]any) (string, []map[string]any) {
	key := b.key(op)
	a := w.cp.c.send(ctx, "place."+op, "POST", b.path("/orders"), b.token, b.body(body), "Idempotency-Key", key)
	if !a.ok() {
		return "", nil
	}
	tradeID, orders := w.acknowledged(key, a)
	if b.rng.IntN(10) == 0 {
		w.cp.tally.fault("client.duplicate")
		if again := w.cp.c.send(ctx, "place."+op, "POST", b.path("/orders"), b.token, b.body(body), "Idempotency-Key", key); again.ok() {
			w.acknowledged(key, again)
		}
	}
	return tradeID, orders
}

func (w *workload) acknowledged(key string, a answer) (string, []map[string]any) {
	d := a.data()
	tradeID := fmt.Sprint(d["tradeId"])
	var orders []map[string]any
	var ids []string
	list, _ := d["orders"].([]any)
	for _, o := range list {
		if m, ok := o.(map[string]any); ok {
			orders = append(orders, m)
			ids = append(ids, fmt.Sprint(m["orderId"]))
		}
	}
	w.cp.ledger.answered(key, tradeID)
	w.cp.ledger.trade(tradeID, ids)
	return tradeID, orders
}

// pay creates a payment of purpose for a trade and has the provider report on it, the way this
// turn's draw says: at once, twice, late, or with a stale failure beside the success. It reports
// whether the payment was acknowledged as succeeded before it returned.
func (w *workload) pay(ctx context.Context, b *buyer, tradeID, purpose string) bool {
	key := b.key("pay-" + purpose + "-" + tradeID)
	body := map[string]any{"method": "sandbox"}
	if purpose != "" {
		body["purpose"] = purpose
	}
	a := w.cp.c.send(ctx, "payment.create", "POST", b.path("/trades/"+tradeID+"/payments"), b.token, b.body(body), "Idempotency-Key", key)
	if !a.ok() {
		return false
	}
	return w.report(ctx, b, key, tradeID, a.data())
}

// report makes the provider report on a payment the platform created (its view p).
func (w *workload) report(ctx context.Context, b *buyer, key, tradeID string, p map[string]any) bool {
	id, amount := fmt.Sprint(p["paymentId"]), minor(p["amount"])
	w.cp.ledger.answered(key, id)
	if b.rng.IntN(100) < 8 { // declined
		w.callback(ctx, id, tradeID, amount, payment.OutcomeFailed)
		return false
	}
	switch r := b.rng.IntN(100); {
	case r < 15:
		w.cp.tally.fault("callback.duplicated")
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() { defer wg.Done(); w.callback(ctx, id, tradeID, amount, payment.OutcomeSucceeded) }()
		}
		wg.Wait()
		return w.callback(ctx, id, tradeID, amount, payment.OutcomeSucceeded)
	case r < 30:
		w.cp.tally.fault("callback.delayed")
		delay := time.Duration(1000+b.rng.IntN(4000)) * time.Millisecond
		w.late.Add(1)
		go func() {
			defer w.late.Done()
			time.Sleep(delay)
			w.callback(ctx, id, tradeID, amount, payment.OutcomeSucceeded)
		}()
		return false
	case r < 40:
		w.cp.tally.fault("callback.reordered")
		failedFirst := b.rng.IntN(2) == 0
		if failedFirst {
			w.callback(ctx, id, tradeID, amount, payment.OutcomeFailed)
		}
		ok := w.callback(ctx, id, tradeID, amount, payment.OutcomeSucceeded)
		if !failedFirst {
			w.callback(ctx, id, tradeID, amount, payment.OutcomeFailed)
		}
		return ok && !failedFirst
	default:
		return w.callback(ctx, id, tradeID, amount, payment.OutcomeSucceeded)
	}
}

// callback sends the provider's signed report; a success the platform answered 200 is an
// acknowledged payment.
func (w *workload) callback(ctx context.Context, paymentID, tradeID string, amount int64, outcome payment.Outcome) bool {
	body, h := w.cp.sandbox.CallbackOf(tenant, paymentID, outcome, amount, "CNY")
	a := w.cp.c.send(ctx, "callback."+string(outcome), "POST", "/callbacks/v1/payments/sandbox", "", body,
		"X-Sandbox-Timestamp", h.Get("X-Sandbox-Timestamp"), "X-Sandbox-Signature", h.Get("X-Sandbox-Signature"))
	ok := a.ok()
	if ok && outcome == payment.OutcomeSucceeded {
		w.cp.ledger.payment(paymentID, tradeID, amount)
	}
	return ok
}

func orderID(o map[string]any) string { return fmt.Sprint(o["orderId"]) }

// fixedPrice: a cart of tea and cups, a coupon sometimes; paid, cancelled or left unpaid; once
// paid, refunded, partly refunded, or shipped and received (and sometimes sent back).
func (w *workload) fixedPrice(ctx context.Context, b *buyer) {
	items := []any{item("tea", 1+b.rng.IntN(2))}
	if b.rng.IntN(2) == 0 {
		items = append(items, item("cup", 1+b.rng.IntN(3)))
	}
	body := map[string]any{"items": items, "address": address}
	if b.rng.IntN(4) == 0 {
		body["coupons"] = []string{"CHAOS"}
	}
	tradeID, orders := w.place(ctx, b, "fixed", body)
	if tradeID == "" {
		return
	}
	switch r := b.rng.IntN(100); {
	case r < 10:
		for _, o := range orders {
			w.cp.c.send(ctx, "order.cancel", "POST", b.path("/orders/"+orderID(o)+"/cancel"), b.token, nil)
		}
		return
	case r < 25:
		return // left unpaid: the unpaid window cancels it
	}
	if !w.pay(ctx, b, tradeID, "") {
		return
	}
	for _, o := range orders {
		w.afterPaid(ctx, b, orderID(o))
	}
}

// afterPaid is what happens to a paid order of the fixed-price kind.
func (w *workload) afterPaid(ctx context.Context, b *buyer, id string) {
	c := w.cp.c
	switch r := b.rng.IntN(100); {
	case r < 15:
		c.send(ctx, "order.refund", "POST", b.path("/orders/"+id+"/refund"), b.token, nil, "Idempotency-Key", b.key("refund-"+id))
	case r < 30:
		c.send(ctx, "aftersale.refund_only", "POST", b.path("/orders/"+id+"/aftersales"), b.token,
			b.body(map[string]any{"kind": "refund_only", "lines": []any{map[string]any{"lineNo": 1, "quantity": 1}}, "reason": "changed my mind"}),
			"Idempotency-Key", b.key("as-"+id))
	case r < 80:
		if a := c.send(ctx, "order.ship", "POST", "/admin/v1/orders/"+id+"/shipments", w.admin, map[string]any{"carrier": "SF", "trackingNo": "SF" + id}); !a.ok() {
			return
		}
		c.send(ctx, "order.delivered", "POST", "/admin/v1/orders/"+id+"/delivery", w.admin, map[string]any{"outcome": "delivered"})
		if b.rng.IntN(3) > 0 {
			c.send(ctx, "order.complete", "POST", b.path("/orders/"+id+"/complete"), b.token, nil)
			return
		}
		as := c.send(ctx, "aftersale.return", "POST", b.path("/orders/"+id+"/aftersales"), b.token,
			b.body(map[string]any{"kind": "return_refund", "lines": []any{map[string]any{"lineNo": 1, "quantity": 1}}, "reason": "damaged"}),
			"Idempotency-Key", b.key("ret-"+id))
		if !as.ok() {
			return
		}
		asID := fmt.Sprint(as.data()["afterSaleId"])
		if a := c.send(ctx, "aftersale.approve", "POST", "/admin/v1/aftersales/"+asID+"/approve", w.admin, map[string]any{}); !a.ok() {
			return
		}
		c.send(ctx, "aftersale.ship_back", "POST", b.path("/aftersales/"+asID+"/return-shipment"), b.token, b.body(map[string]any{"carrier": "SF", "trackingNo": "RT" + asID}))
		cond := "sellable"
		if b.rng.IntN(3) == 0 {
			cond = "damaged"
		}
		c.send(ctx, "aftersale.receive", "POST", "/admin/v1/aftersales/"+asID+"/receive", w.admin, map[string]any{"condition": cond})
	}
}

// flashSale: the SKU with little stock and a per-buyer limit.
func (w *workload) flashSale(ctx context.Context, b *buyer) {
	tradeID, orders := w.place(ctx, b, "flash", map[string]any{"items": []any{item("hot", 1+b.rng.IntN(2))}, "address": address})
	if tradeID == "" || b.rng.IntN(5) == 0 {
		return
	}
	if w.pay(ctx, b, tradeID, "") && b.rng.IntN(4) == 0 {
		w.afterPaid(ctx, b, orderID(orders[0]))
	}
}

// cod: cash on delivery, cancelled, collected at the door, or refused.
func (w *workload) cod(ctx context.Context, b *buyer) {
	tradeID, orders := w.place(ctx, b, "cod", map[string]any{"flow": "cod", "items": []any{item("cup", 1+b.rng.IntN(2)), item("tea", 1)}, "address": address})
	if tradeID == "" {
		return
	}
	c := w.cp.c
	for _, o := range orders {
		id := orderID(o)
		if b.rng.IntN(6) == 0 {
			c.send(ctx, "order.cancel", "POST", b.path("/orders/"+id+"/cancel"), b.token, nil)
			continue
		}
		if a := c.send(ctx, "order.ship", "POST", "/admin/v1/orders/"+id+"/shipments", w.admin, map[string]any{"carrier": "SF", "trackingNo": "SF" + id}); !a.ok() {
			continue
		}
		outcome := map[string]any{"outcome": "delivered", "collected": minor(o["total"])}
		if b.rng.IntN(3) == 0 {
			outcome = map[string]any{"outcome": "refused"}
		}
		c.send(ctx, "cod.delivery", "POST", "/admin/v1/orders/"+id+"/delivery", w.admin, outcome)
	}
}

// presale: a deposit now and the balance when its window opens; some never pay the deposit,
// some change their mind (refunded), some never pay the balance (forfeited).
func (w *workload) presale(ctx context.Context, b *buyer) {
	tradeID, orders := w.place(ctx, b, "presale", map[string]any{"flow": "presale", "presaleId": "pre", "items": []any{item("tea", 1)}, "address": address})
	if tradeID == "" {
		return
	}
	r := b.rng.IntN(100)
	if r < 15 || !w.pay(ctx, b, tradeID, "deposit") {
		return
	}
	switch {
	case r < 30:
		w.cp.c.send(ctx, "order.cancel", "POST", b.path("/orders/"+orderID(orders[0])+"/cancel"), b.token, nil)
		return
	case r < 45:
		return // the balance is never paid
	}
	at := w.balanceStarts.Add(time.Duration(500+b.rng.IntN(int(w.balanceEnds.Sub(w.balanceStarts)/time.Millisecond)/2)) * time.Millisecond)
	late := &buyer{id: b.id, channel: b.channel, token: b.token, rng: rand.New(rand.NewPCG(w.cp.o.Seed, uint64(b.rng.Int64()))), n: b.n}
	w.late.Add(1)
	go func() {
		defer w.late.Done()
		time.Sleep(time.Until(at))
		w.pay(ctx, late, tradeID, "balance")
	}()
}

// groupBuy: join a forming group, or open one; paid mostly.
func (w *workload) groupBuy(ctx context.Context, b *buyer) {
	body := map[string]any{"flow": "groupbuy", "groupBuyId": "gb", "items": []any{item("tea", 1)}, "address": address}
	if b.rng.IntN(4) > 0 {
		list := w.cp.c.send(ctx, "groupbuy.groups", "GET", b.path("/groupbuys/gb/groups?limit=20"), b.token, nil)
		groups, _ := list.data()["groups"].([]any)
		for _, g := range groups {
			if m, ok := g.(map[string]any); ok && m["status"] == "forming" && m["joined"] != true {
				body["groupId"] = m["groupId"]
				break
			}
		}
	}
	tradeID, _ := w.place(ctx, b, "groupbuy", body)
	if tradeID == "" || b.rng.IntN(8) == 0 {
		return
	}
	w.pay(ctx, b, tradeID, "")
}

// bid: on the auction running now, pay the deposit if not yet, then bid the next step. It
// reports false when no auction runs.
func (w *workload) bid(ctx context.Context, b *buyer) bool {
	now := time.Now()
	var slot *auctionSlot
	for i := range w.auctions {
		if s := &w.auctions[i]; now.After(s.start) && now.Before(s.end.Add(-time.Second)) {
			slot = s
		}
	}
	if slot == nil {
		return false
	}
	c := w.cp.c
	view := c.send(ctx, "auction.view", "GET", b.path("/auctions/"+slot.id), b.token, nil)
	if !view.ok() {
		return true
	}
	if view.data()["myDeposit"] == nil {
		key := b.key("deposit")
		a := c.send(ctx, "auction.deposit", "POST", b.path("/auctions/"+slot.id+"/deposit"), b.token, b.body(map[string]any{"method": "sandbox", "address": address}),
			"Idempotency-Key", key)
		p, _ := a.data()["payment"].(map[string]any)
		if !a.ok() || p == nil || !w.report(ctx, b, key, fmt.Sprint(p["tradeId"]), p) {
			return true
		}
		if view = c.send(ctx, "auction.view", "GET", b.path("/auctions/"+slot.id), b.token, nil); !view.ok() {
			return true
		}
	}
	c.send(ctx, "auction.bid", "POST", b.path("/auctions/"+slot.id+"/bids"), b.token, b.body(map[string]any{"amount": view.data()["minNextBid"]}),
		"Idempotency-Key", b.key("bid"))
	return true
}

// auctioneer follows the auctions: once one has settled, its winner pays the sale, mostly.
func (w *workload) auctioneer(ctx context.Context) {
	rng := rand.New(rand.NewPCG(w.cp.o.Seed, 7))
	for _, slot := range w.auctions {
		// The close may be extended once by a late bid, then the close timer fires.
		time.Sleep(time.Until(slot.end.Add(8 * time.Second)))
		var sales []any
		for range 30 {
			a := w.cp.c.send(ctx, "auction.admin_view", "GET", "/admin/v1/auctions/"+slot.id, w.admin, nil)
			if st := a.data()["status"]; st != "running" && st != "scheduled" && st != nil {
				sales, _ = a.data()["sales"].([]any)
				break
			}
			time.Sleep(time.Second)
		}
		for _, s := range sales {
			sale, _ := s.(map[string]any)
			who := w.buyerOf[fmt.Sprint(sale["bidder"])]
			if who == nil || rng.IntN(5) == 0 {
				continue // the winner does not pay: the deposit is forfeited when the pay window ends
			}
			winner := &buyer{id: who.id, channel: who.channel, token: who.token, rng: rand.New(rand.NewPCG(w.cp.o.Seed, rng.Uint64())), n: 1}
			w.pay(ctx, winner, fmt.Sprint(sale["tradeId"]), "")
		}
	}
}
