package aftersale_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/kernel/money"
)

var cny = money.MustCurrency("CNY")

func amt(n int64) money.Amount { return money.New(n, cny) }

func line(no int, qty, paid, discount int64) aftersale.OrderLine {
	return aftersale.OrderLine{LineNo: no, SKUID: fmt.Sprintf("sku%d", no), WarehouseID: "wh1", Quantity: qty, Paid: amt(paid), Discount: amt(discount)}
}

// request quotes asks against the book and records the request as the flow would.
func request(t *testing.T, b *aftersale.Book, id string, kind aftersale.Kind, rule aftersale.ShippingRule, asks ...aftersale.Ask) (*aftersale.AfterSale, error) {
	t.Helper()
	q, err := b.Quote(asks, rule)
	if err != nil {
		return nil, err
	}
	a, err := aftersale.New(aftersale.Spec{ID: id, Tenant: "t1", TradeID: "T1", OrderID: "O1", UserID: "u1", Kind: kind,
		Lines: q.Lines, Shipping: q.Shipping, Reason: "damaged"}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	b.Earlier = append(b.Earlier, a)
	return a, nil
}

func TestQuoteThreeCupsInEverySplit(t *testing.T) {
	// Three cups for 100.00 after discounts (33.33...): 1+1+1, 2+1, 1+2 and 3 all give back 100.00.
	for _, split := range [][]int64{{1, 1, 1}, {2, 1}, {1, 2}, {3}} {
		b := &aftersale.Book{Lines: []aftersale.OrderLine{line(1, 3, 10000, 500)}, ShippingFee: amt(0)}
		var got []int64
		var sum, disc int64
		for i, k := range split {
			a, err := request(t, b, fmt.Sprint("A", i), aftersale.RefundOnly, aftersale.ShipWholeOrder, aftersale.Ask{LineNo: 1, Quantity: k})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, a.Amount().Minor())
			sum += a.Amount().Minor()
			disc += a.Lines()[0].Discount.Minor()
		}
		if sum != 10000 || disc != 500 {
			t.Fatalf("split %v gave back %v (sum %d, discount %d); want 10000 and 500", split, got, sum, disc)
		}
	}
}

func TestQuoteRefusesWhatTheOrderDoesNotHave(t *testing.T) {
	b := &aftersale.Book{Lines: []aftersale.OrderLine{line(1, 2, 2000, 0), line(2, 1, 500, 0)}, ShippingFee: amt(800)}
	if _, err := request(t, b, "A1", aftersale.RefundOnly, aftersale.ShipWholeOrder, aftersale.Ask{LineNo: 1, Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		asks []aftersale.Ask
		want error
	}{
		{[]aftersale.Ask{{LineNo: 1, Quantity: 2}}, aftersale.ErrTooManyUnits},
		{[]aftersale.Ask{{LineNo: 3, Quantity: 1}}, aftersale.ErrUnknownLine},
		{[]aftersale.Ask{{LineNo: 2, Quantity: 0}}, aftersale.ErrInvalidRequest},
		{[]aftersale.Ask{{LineNo: 2, Quantity: -1}}, aftersale.ErrInvalidRequest},
		{[]aftersale.Ask{{LineNo: 2, Quantity: 1}, {LineNo: 2, Quantity: 1}}, aftersale.ErrInvalidRequest},
		{nil, aftersale.ErrInvalidRequest},
	} {
		if _, err := b.Quote(c.asks, aftersale.ShipWholeOrder); !errors.Is(err, c.want) {
			t.Errorf("Quote(%v): %v; want %v", c.asks, err, c.want)
		}
	}
	// A rejected request frees its units.
	if err := b.Earlier[0].Reject("not damaged", "ops", time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	q, err := b.Quote([]aftersale.Ask{{LineNo: 1, Quantity: 2}, {LineNo: 2, Quantity: 1}}, aftersale.ShipNever)
	if err != nil || q.Lines[0].Amount.Minor() != 2000 || !q.Whole || q.Shipping.Minor() != 800 {
		t.Fatalf("after the rejection: %+v %v; want both lines whole, with the unshipped order's shipping", q, err)
	}
}

func TestQuoteShippingRules(t *testing.T) {
	lines := []aftersale.OrderLine{line(1, 2, 3000, 0), line(2, 1, 1000, 0)}
	for _, c := range []struct {
		rule    aftersale.ShippingRule
		shipped bool
		first   int64 // shipping with line 1's two units
		last    int64 // shipping with line 2's unit, the order's last
	}{
		{aftersale.ShipNever, true, 0, 0},
		{aftersale.ShipNever, false, 0, 1000},
		{aftersale.ShipWholeOrder, true, 0, 1000},
		{aftersale.ShipAlways, true, 750, 250},
	} {
		b := &aftersale.Book{Lines: lines, ShippingFee: amt(1000), Shipped: c.shipped}
		a1, _ := request(t, b, "A1", aftersale.ReturnRefund, c.rule, aftersale.Ask{LineNo: 1, Quantity: 2})
		a2, _ := request(t, b, "A2", aftersale.ReturnRefund, c.rule, aftersale.Ask{LineNo: 2, Quantity: 1})
		if a1.Shipping().Minor() != c.first || a2.Shipping().Minor() != c.last {
			t.Errorf("%s (shipped %v): shipping %d then %d; want %d then %d", c.rule, c.shipped, a1.Shipping().Minor(), a2.Shipping().Minor(), c.first, c.last)
		}
	}
}

// TestRefundsNeverExceedAndEndExact runs refundTrial 3,000 times from a fixed seed.
func TestRefundsNeverExceedAndEndExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261205, 13))
	rules := []aftersale.ShippingRule{aftersale.ShipNever, aftersale.ShipAlways, aftersale.ShipWholeOrder}
	for trial := 0; trial < 3000; trial++ {
		refundTrial(t, fmt.Sprint("trial ", trial), rng, rules[trial%3])
	}
}

// FuzzRefundSplits is the same property with the fuzzer choosing: its bytes are the random
// source of one trial (the lines, the discounts, the splits, which requests are cancelled,
// rejected or granted less), so coverage steers it to the rare splits.
func FuzzRefundSplits(f *testing.F) {
	for _, seed := range [][]byte{{}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte("three cups, one at a time, one rejected"),
		{255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 1}} {
		f.Add(seed, uint8(0))
		f.Add(seed, uint8(2))
	}
	rules := []aftersale.ShippingRule{aftersale.ShipNever, aftersale.ShipAlways, aftersale.ShipWholeOrder}
	f.Fuzz(func(t *testing.T, choices []byte, rule uint8) {
		refundTrial(t, "", rand.New(&byteSource{b: choices}), rules[int(rule)%len(rules)])
	})
}

// byteSource is a rand.Source that reads the fuzzer's bytes, eight at a time, then goes on
// with a generator seeded by them (zeros forever would cancel every request forever).
type byteSource struct {
	b    []byte
	rest *rand.PCG
}

func (s *byteSource) Uint64() uint64 {
	if len(s.b) == 0 {
		if s.rest == nil {
			s.rest = rand.NewPCG(0, 1)
		}
		return s.rest.Uint64()
	}
	var buf [8]byte
	n := copy(buf[:], s.b)
	s.b = s.b[n:]
	v := binary.LittleEndian.Uint64(buf[:])
	if len(s.b) == 0 {
		s.rest = rand.NewPCG(v, 1)
	}
	return v
}

// refundTrial: one random order of several lines with discounts and shipping, every unit asked
// for in random splits and random order, some requests rejected or cancelled and asked again,
// some granted less by an operator. After every request no line has given back more than it paid
// and the order no more than its total; once every unit is refunded at the computed amount, each
// line gave back exactly what it paid, the discounts came back whole to the budgets, and the
// shipping as the rule says.
func refundTrial(t *testing.T, trial string, rng *rand.Rand, rule aftersale.ShippingRule) {
	t.Helper()
	n := 1 + rng.IntN(5)
	var lines []aftersale.OrderLine
	var orderPaid, orderDiscount int64
	for i := 1; i <= n; i++ {
		qty := 1 + rng.Int64N(7)
		gross := qty * (1 + rng.Int64N(50000))
		discount := rng.Int64N(gross + 1)
		lines = append(lines, line(i, qty, gross-discount, discount))
		orderPaid += gross - discount
		orderDiscount += discount
	}
	fee := rng.Int64N(2000)
	b := &aftersale.Book{Lines: lines, ShippingFee: amt(fee), Shipped: true}
	campaigns := map[string]int64{"c1": orderDiscount / 3, "c2": orderDiscount - orderDiscount/3}
	budget := map[string]int64{}
	exact := true // every refund granted in full
	var refundedDiscount, given int64
	lineGiven := map[int]int64{}
	for id := 0; ; id++ {
		left := b.Remaining()
		var open []int
		for _, l := range lines {
			if left[l.LineNo] > 0 {
				open = append(open, l.LineNo)
			}
		}
		if len(open) == 0 {
			break
		}
		rng.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
		var asks []aftersale.Ask
		for _, no := range open[:1+rng.IntN(len(open))] {
			asks = append(asks, aftersale.Ask{LineNo: no, Quantity: 1 + rng.Int64N(left[no])})
		}
		a, err := request(t, b, fmt.Sprint("A", id), aftersale.RefundOnly, rule, asks...)
		if err != nil {
			t.Fatalf("%s: %v", trial, err)
		}
		now := time.Unix(int64(id), 0)
		switch rng.IntN(10) {
		case 0:
			if err := a.Cancel(now); err != nil {
				t.Fatal(err)
			}
			continue
		case 1:
			if err := a.Reject("no", "ops", now); err != nil {
				t.Fatal(err)
			}
			continue
		case 2:
			if a.Computed().Minor() > 1 {
				less := amt(1 + rng.Int64N(a.Computed().Minor()-1))
				if err := a.Approve(&less, "scratched", "ops", now); err != nil {
					t.Fatal(err)
				}
				exact = false
				break
			}
			fallthrough
		default:
			if err := a.Approve(nil, "", "ops", now); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.StartRefund([]string{"R" + a.ID()}, now); err != nil {
			t.Fatal(err)
		}
		var disc int64
		for _, l := range a.Lines() {
			lineGiven[l.LineNo] += l.Amount.Minor()
			disc += l.Discount.Minor()
		}
		back, err := aftersale.Budgets(campaigns, orderDiscount, refundedDiscount, disc)
		if err != nil {
			t.Fatal(err)
		}
		for c, v := range back {
			budget[c] += v
		}
		refundedDiscount += disc
		given += a.Amount().Minor()
		for _, l := range lines {
			if lineGiven[l.LineNo] > l.Paid.Minor() {
				t.Fatalf("%s: line %d gave back %d of %d", trial, l.LineNo, lineGiven[l.LineNo], l.Paid.Minor())
			}
		}
		if given > orderPaid+fee {
			t.Fatalf("%s: the order gave back %d of %d", trial, given, orderPaid+fee)
		}
		for c, v := range budget {
			if v > campaigns[c] {
				t.Fatalf("%s: campaign %s got back %d of %d", trial, c, v, campaigns[c])
			}
		}
	}
	for _, l := range lines {
		if lineGiven[l.LineNo] != l.Paid.Minor() {
			t.Fatalf("%s (%s): line %d gave back %d; it paid %d", trial, rule, l.LineNo, lineGiven[l.LineNo], l.Paid.Minor())
		}
	}
	if refundedDiscount != orderDiscount || budget["c1"] != campaigns["c1"] || budget["c2"] != campaigns["c2"] {
		t.Fatalf("%s: discounts back %d of %d, budgets %v of %v", trial, refundedDiscount, orderDiscount, budget, campaigns)
	}
	wantShip := fee
	if rule == aftersale.ShipNever {
		wantShip = 0
	}
	if exact && given != orderPaid+wantShip {
		t.Fatalf("%s (%s): the order gave back %d; want %d paid + %d shipping", trial, rule, given, orderPaid, wantShip)
	}
}

func TestLifecycle(t *testing.T) {
	now := time.Unix(100, 0)
	mk := func(kind aftersale.Kind) *aftersale.AfterSale {
		a, err := aftersale.New(aftersale.Spec{ID: "A1", Tenant: "t1", TradeID: "T1", OrderID: "O1", UserID: "u1", Kind: kind,
			Lines: []aftersale.Line{{LineNo: 1, Quantity: 1, Amount: amt(1000), Discount: amt(0)}}, Shipping: amt(0), Reason: "broken"}, now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ret := mk(aftersale.ReturnRefund)
	if err := ret.Approve(nil, "", "ops", now); err != nil {
		t.Fatal(err)
	}
	if err := ret.StartRefund(nil, now); !errors.Is(err, aftersale.ErrInvalidTransition) {
		t.Fatalf("refund of a return not received: %v", err)
	}
	if err := ret.ShipBack(aftersale.Shipment{Carrier: "sf", TrackingNo: "SF1"}, now); err != nil {
		t.Fatal(err)
	}
	if err := ret.Receive("lost", "ops", now); !errors.Is(err, aftersale.ErrInvalidRequest) {
		t.Fatalf("unknown condition: %v", err)
	}
	for _, step := range []func() error{
		func() error { return ret.Receive(aftersale.Damaged, "ops", now) },
		func() error { return ret.StartRefund([]string{"R1"}, now) },
		func() error { return ret.Finish(now) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if ret.Status() != aftersale.Refunded || ret.Condition() != aftersale.Damaged || ret.RefundIDs()[0] != "R1" {
		t.Fatalf("return ended %s %s %v", ret.Status(), ret.Condition(), ret.RefundIDs())
	}

	ro := mk(aftersale.RefundOnly)
	if err := ro.ShipBack(aftersale.Shipment{Carrier: "sf", TrackingNo: "SF1"}, now); !errors.Is(err, aftersale.ErrInvalidTransition) {
		t.Fatalf("ship back a refund only: %v", err)
	}
	for _, bad := range []*money.Amount{ptr(amt(0)), ptr(amt(1001)), ptr(amt(-5)), ptr(money.New(500, money.MustCurrency("USD")))} {
		if err := ro.Approve(bad, "partial", "ops", now); !errors.Is(err, aftersale.ErrInvalidAmount) || ro.Status() != aftersale.Requested {
			t.Fatalf("approve %v: %v, %s", bad, err, ro.Status())
		}
	}
	if err := ro.Approve(ptr(amt(600)), "", "ops", now); !errors.Is(err, aftersale.ErrInvalidRequest) {
		t.Fatalf("partial without a reason: %v", err)
	}
	if err := ro.Reject("", "ops", now); !errors.Is(err, aftersale.ErrInvalidRequest) {
		t.Fatalf("reject without a reason: %v", err)
	}
	if err := ro.Reject("not eligible", "ops", now); err != nil {
		t.Fatal(err)
	}
	if err := ro.Approve(nil, "", "ops", now); !errors.Is(err, aftersale.ErrInvalidTransition) {
		t.Fatalf("approving a rejected request: %v", err)
	}
	if ro.Status().Active() {
		t.Fatal("a rejected request still holds its units")
	}
	partial := mk(aftersale.RefundOnly)
	if err := partial.Approve(ptr(amt(600)), "scratched", "ops", now); err != nil || partial.Amount().Minor() != 600 || partial.Computed().Minor() != 1000 {
		t.Fatalf("partial approval: %v, amount %s of %s", err, partial.Amount(), partial.Computed())
	}
}

func ptr[T any](v T) *T { return &v }

func TestEligibility(t *testing.T) {
	p := aftersale.DefaultPolicy()
	p.TagWindows = map[string]time.Duration{"fresh": 0, "electronics": 15 * 24 * time.Hour, "sale": 3 * 24 * time.Hour}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	delivered := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		name string
		kind aftersale.Kind
		g    aftersale.Goods
		at   time.Time
		want error
	}{
		{"refund before shipping", aftersale.RefundOnly, aftersale.Goods{Stage: aftersale.NotShipped}, delivered, nil},
		{"refund in transit", aftersale.RefundOnly, aftersale.Goods{Stage: aftersale.InTransit}, delivered, nil},
		{"refund only after delivery", aftersale.RefundOnly, aftersale.Goods{Stage: aftersale.DeliveredStage}, delivered, aftersale.ErrNotEligible},
		{"return before delivery", aftersale.ReturnRefund, aftersale.Goods{Stage: aftersale.InTransit}, delivered, aftersale.ErrNotEligible},
		{"return on day 7", aftersale.ReturnRefund, aftersale.Goods{Stage: aftersale.DeliveredStage, DeliveredAt: delivered, Tags: map[int][]string{1: nil}}, delivered.Add(7 * day), nil},
		{"return on day 8", aftersale.ReturnRefund, aftersale.Goods{Stage: aftersale.DeliveredStage, DeliveredAt: delivered, Tags: map[int][]string{1: nil}}, delivered.Add(7*day + time.Second), aftersale.ErrWindowPassed},
		{"fresh", aftersale.ReturnRefund, aftersale.Goods{Stage: aftersale.DeliveredStage, DeliveredAt: delivered, Tags: map[int][]string{1: nil, 2: {"fresh"}}}, delivered, aftersale.ErrNotReturnable},
		{"electronics on day 10", aftersale.ReturnRefund, aftersale.Goods{Stage: aftersale.DeliveredStage, DeliveredAt: delivered, Tags: map[int][]string{1: {"electronics"}}}, delivered.Add(10 * day), nil},
		{"electronics on sale: the shorter", aftersale.ReturnRefund, aftersale.Goods{Stage: aftersale.DeliveredStage, DeliveredAt: delivered, Tags: map[int][]string{1: {"sale", "electronics"}}}, delivered.Add(4 * day), aftersale.ErrWindowPassed},
	} {
		if err := p.Eligible(c.kind, c.g, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
	}
	for _, bad := range []aftersale.Policy{
		{ReturnWindow: -time.Second, Shipping: aftersale.ShipNever, ShipBackWindow: day},
		{ReturnWindow: day, Shipping: "sometimes", ShipBackWindow: day},
		{ReturnWindow: day, Shipping: aftersale.ShipNever, ShipBackWindow: time.Minute},
		{ReturnWindow: day, Shipping: aftersale.ShipNever, ShipBackWindow: day, TagWindows: map[string]time.Duration{"bad tag": 0}},
		{ReturnWindow: 400 * day, Shipping: aftersale.ShipNever, ShipBackWindow: day},
	} {
		if err := bad.Validate(); !errors.Is(err, aftersale.ErrInvalidPolicy) {
			t.Errorf("Validate(%+v): %v; want invalid_policy", bad, err)
		}
	}
}
