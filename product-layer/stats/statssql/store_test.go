package statssql_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/product-layer/stats"
	"github.com/atriumtrade/atrium/product-layer/stats/statssql"
)

type event struct {
	typ  string
	data []byte
}

func orderEvent(typ, order, flow, status string, at time.Time, lines ...stats.Line) event {
	var total int64
	for _, l := range lines {
		total += l.Paid
	}
	st := stats.OrderState{Tenant: "acme", OrderID: order, Flow: flow, Status: status, Total: total, Currency: "CNY", Lines: lines, At: at}
	if typ == stats.EventCreated {
		b, _ := json.Marshal(map[string]any{"tenant": "acme", "orders": []stats.OrderState{st}})
		return event{typ, b}
	}
	if typ == stats.EventRefunded { // as a refund event: what went back, no total
		st.Amount, st.Total = st.Total, 0
	}
	b, _ := json.Marshal(st)
	return event{typ, b}
}

// afterSaleEvent is aftersale.refunded as the after-sale flow writes it: the request's lines
// with what they paid, its shipping part and the amount that went back.
func afterSaleEvent(order string, at time.Time, goods, shipping, amount int64, sku string, qty int64) event {
	b, _ := json.Marshal(map[string]any{"tenant": "acme", "afterSaleId": "AS-" + order, "orderId": order, "status": "refunded", "currency": "CNY",
		"goods": goods, "shipping": shipping, "amount": amount, "at": at,
		"lines": []any{map[string]any{"lineNo": 1, "skuId": sku, "quantity": qty, "amount": goods}}})
	return event{stats.EventAfterSaleRefunded, b}
}

// history is a day of three orders: one paid and completed, one paid then refunded the next
// day, a pre-sale whose deposit was refunded (never sold), and a COD order paid and delivered at
// the door in one instant; and three teas given back the next day through two after-sale
// requests (one unit in full, two with the shipping part and a lower amount an operator granted).
func history() []event {
	d1 := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	d2 := d1.Add(2 * time.Hour) // 2026-12-01
	tea := stats.Line{SKUID: "tea", Quantity: 2, Paid: 3980}
	cup := stats.Line{SKUID: "cup", Quantity: 1, Paid: 500}
	teas := stats.Line{SKUID: "tea", Quantity: 3, Paid: 5970}
	refundedByAfterSale := func() event {
		st := stats.OrderState{Tenant: "acme", OrderID: "O5", Flow: "fixed_price", Status: "refunded", Total: 5970, Currency: "CNY",
			Lines: []stats.Line{teas}, At: d2.Add(time.Minute), AfterSaleID: "AS-O5"}
		b, _ := json.Marshal(st)
		return event{stats.EventRefunded, b}
	}()
	return []event{
		orderEvent(stats.EventCreated, "O1", "fixed_price", "pending_payment", d1, tea, cup),
		orderEvent(stats.EventPaid, "O1", "fixed_price", "paid", d1.Add(time.Minute), tea, cup),
		orderEvent("order.shipped", "O1", "fixed_price", "shipped", d2, tea, cup),
		orderEvent("order.completed", "O1", "fixed_price", "completed", d2.Add(time.Hour), tea, cup),
		orderEvent(stats.EventCreated, "O2", "fixed_price", "pending_payment", d1, tea),
		orderEvent(stats.EventPaid, "O2", "fixed_price", "paid", d1.Add(time.Minute), tea),
		orderEvent(stats.EventRefunded, "O2", "fixed_price", "refunded", d2, tea),
		orderEvent(stats.EventCreated, "O3", "presale", "awaiting_deposit", d1, cup),
		orderEvent("order.deposit_paid", "O3", "presale", "awaiting_balance", d1.Add(time.Minute), cup),
		orderEvent(stats.EventRefunded, "O3", "presale", "refunded", d2, cup),
		orderEvent(stats.EventCreated, "O4", "cod", "pending_collection", d1, cup),
		orderEvent(stats.EventPaid, "O4", "cod", "paid", d2, cup),
		orderEvent("order.delivered", "O4", "cod", "delivered", d2, cup),
		orderEvent(stats.EventCreated, "O5", "fixed_price", "pending_payment", d1, teas),
		orderEvent(stats.EventPaid, "O5", "fixed_price", "paid", d1.Add(time.Minute), teas),
		afterSaleEvent("O5", d2, 1990, 0, 1990, "tea", 1),
		afterSaleEvent("O5", d2.Add(time.Minute), 3980, 600, 3000, "tea", 2),
		refundedByAfterSale,
	}
}

func apply(t *testing.T, db *dal.DB, evs []event) *statssql.Store {
	t.Helper()
	s := statssql.New(db, func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) })
	p := stats.New(s)
	for _, e := range evs {
		if err := db.InTx(context.Background(), func(ctx context.Context) error { return p.Handle(ctx, e.typ, e.data) }); err != nil {
			t.Fatalf("%s: %v", e.typ, err)
		}
	}
	return s
}

func report(t *testing.T, s *statssql.Store, q stats.Query) stats.Report {
	t.Helper()
	r, err := s.Report(context.Background(), "acme", q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestProjectionIsOrderInsensitive: the history applied in order, reversed, and interleaved
// gives the same figures, and those are the ones the history means.
func TestProjectionIsOrderInsensitive(t *testing.T) {
	daltest.Each(t, []dal.Migrations{statssql.Migrations()}, func(t *testing.T, db *dal.DB) {
		h := history()
		want := stats.Report{From: "2026-11-02", To: "2026-12-01",
			ByStatus: []stats.StatusCount{
				{Flow: "cod", Status: "delivered", Currency: "CNY", Orders: 1, Amount: 500},
				{Flow: "fixed_price", Status: "completed", Currency: "CNY", Orders: 1, Amount: 4480},
				{Flow: "fixed_price", Status: "refunded", Currency: "CNY", Orders: 2, Amount: 9950},
				{Flow: "presale", Status: "refunded", Currency: "CNY", Orders: 1, Amount: 500},
			},
			SKUDaily: []stats.SKUDay{
				{Day: "2026-11-30", SKUID: "cup", Currency: "CNY", Orders: 1, Units: 1, Amount: 500},
				{Day: "2026-11-30", SKUID: "tea", Currency: "CNY", Orders: 3, Units: 7, Amount: 13930},
				{Day: "2026-12-01", SKUID: "cup", Currency: "CNY", Orders: 1, Units: 1, Amount: 500},
				// O2's two teas, and O5's three for 19.90 + (30.00 less 6.00 shipping).
				{Day: "2026-12-01", SKUID: "tea", Currency: "CNY", RefundedUnits: 5, RefundedAmount: 3980 + 1990 + 2400},
			}}
		orders := map[string][]event{
			"in order": h,
			"reversed": func() []event {
				r := make([]event, len(h))
				for i, e := range h {
					r[len(h)-1-i] = e
				}
				return r
			}(),
			"odd then even": func() []event {
				var r []event
				for i := 1; i < len(h); i += 2 {
					r = append(r, h[i])
				}
				for i := 0; i < len(h); i += 2 {
					r = append(r, h[i])
				}
				return r
			}(),
		}
		for name, evs := range orders {
			t.Run(name, func(t *testing.T) {
				if _, err := db.Primary().Exec(`DELETE FROM stats_orders`); err != nil {
					t.Fatal(err)
				}
				_, _ = db.Primary().Exec(`DELETE FROM stats_status_counts`)
				_, _ = db.Primary().Exec(`DELETE FROM stats_sku_daily`)
				s := apply(t, db, evs)
				if got := report(t, s, stats.Query{}); !reflect.DeepEqual(got, want) {
					t.Errorf("got\n%+v\nwant\n%+v", got, want)
				}
			})
		}
		s := statssql.New(db, nil)
		if got := report(t, s, stats.Query{From: "2026-12-01", To: "2026-12-01", Flow: "cod", SKUID: "cup"}); len(got.ByStatus) != 1 ||
			len(got.SKUDaily) != 1 || got.SKUDaily[0].Units != 1 {
			t.Errorf("filtered: %+v", got)
		}
	})
}

func TestReportRange(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		q        stats.Query
		from, to string
		bad      bool
	}{
		{stats.Query{}, "2026-11-02", "2026-12-01", false},
		{stats.Query{To: "2026-06-30"}, "2026-06-01", "2026-06-30", false},
		{stats.Query{From: "2026-01-01", To: "2026-12-31"}, "2026-01-01", "2026-12-31", false},
		{stats.Query{From: "2025-01-01", To: "2026-12-31"}, "", "", true},
		{stats.Query{From: "2026-12-02", To: "2026-12-01"}, "", "", true},
		{stats.Query{From: "12/01/2026"}, "", "", true},
		{stats.Query{To: "2026-13-01"}, "", "", true},
	} {
		from, to, err := c.q.Range(now)
		if (err != nil) != c.bad || (!c.bad && (stats.Day(from) != c.from || stats.Day(to) != c.to)) {
			t.Errorf("%+v: %s..%s %v", c.q, stats.Day(from), stats.Day(to), err)
		}
	}
}
