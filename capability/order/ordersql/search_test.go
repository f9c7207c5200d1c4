package ordersql_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

// placed is what a search test places: one trade with one order.
type placed struct {
	tenant, user, seller, scenario, status string
	skus                                   []string
}

// placer places orders with time-ordered ids, as the platform makes them.
type placer struct {
	t    *testing.T
	db   *dal.DB
	repo *ordersql.Repo
	ids  *idgen.Generator
}

func newPlacer(t *testing.T, db *dal.DB) *placer {
	ids, err := idgen.New(7)
	if err != nil {
		t.Fatal(err)
	}
	return &placer{t: t, db: db, repo: ordersql.New(db), ids: ids}
}

// place stores p and returns its order id.
func (pl *placer) place(p placed) string {
	pl.t.Helper()
	ctx := context.Background()
	if p.tenant == "" {
		p.tenant = "t1"
	}
	if p.scenario == "" {
		p.scenario = "fixed_price"
	}
	ident, err := identity.New(p.tenant, p.tenant+".main", identity.Scenario(p.scenario))
	if err != nil {
		pl.t.Fatal(err)
	}
	var lines []order.Line
	for _, sku := range p.skus {
		lines = append(lines, order.Line{SKUID: sku, Title: "Tea", WarehouseID: "w1", Quantity: 1, UnitPrice: money.New(100, cny), Total: money.New(100, cny)})
	}
	tradeID, orderID := pl.ids.NextString("T"), pl.ids.NextString("O")
	at := time.Now()
	tr, err := order.NewTrade(tradeID, ident, p.user, order.Address{Name: "A", Phone: "138", Country: "CN", City: "杭州", Detail: "1 号"},
		[]order.NewOrderSpec{{ID: orderID, SellerID: p.seller, Lines: lines}}, at, at.Add(30*time.Minute))
	if err != nil {
		pl.t.Fatal(err)
	}
	if err := pl.repo.CreateTrade(ctx, tr); err != nil {
		pl.t.Fatal(err)
	}
	if p.status != "" {
		if _, err := pl.db.Primary().ExecContext(ctx, `UPDATE orders SET status = ? WHERE tenant = ? AND order_id = ?`, p.status, p.tenant, orderID); err != nil {
			pl.t.Fatal(err)
		}
	}
	return orderID
}

// all pages through a search with limit per page, calling between after each page but the last.
func all(t *testing.T, repo *ordersql.Repo, tenant string, f order.Filter, limit int, between func()) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := repo.Search(context.Background(), tenant, f, limit, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Orders) > limit {
			t.Fatalf("a page of %d orders; the limit is %d", len(p.Orders), limit)
		}
		for _, o := range p.Orders {
			ids = append(ids, o.ID())
		}
		if p.Next == "" {
			return ids
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		cursor = p.Next
		if between != nil {
			between()
		}
	}
}

func newestFirst(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// TestSearchFilters: each filter alone and together finds exactly its orders, newest first, and
// never another tenant's.
func TestSearchFilters(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		pl := newPlacer(t, db)
		a1 := pl.place(placed{user: "u1", seller: "s1", skus: []string{"tea"}, status: "paid"})
		a2 := pl.place(placed{user: "u2", seller: "s1", skus: []string{"cup", "tea"}})
		a3 := pl.place(placed{user: "u1", seller: "s2", skus: []string{"cup"}, status: "paid", scenario: "auction"})
		a4 := pl.place(placed{user: "u1", seller: "s2", skus: []string{"tea", "tea"}, status: "shipped"})
		other := pl.place(placed{tenant: "t2", user: "u1", seller: "s1", skus: []string{"tea"}, status: "paid"})
		var tradeOfA2 string
		if o, err := pl.repo.Order(context.Background(), "t1", a2); err == nil {
			tradeOfA2 = o.TradeID()
		} else {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			f    order.Filter
			want []string
		}{
			{"none", order.Filter{}, newestFirst(a1, a2, a3, a4)},
			{"buyer", order.Filter{UserID: "u1"}, newestFirst(a1, a3, a4)},
			{"seller", order.Filter{SellerID: "s1"}, newestFirst(a1, a2)},
			{"sku (an order holding it twice comes once)", order.Filter{SKUID: "tea"}, newestFirst(a1, a2, a4)},
			{"status", order.Filter{Status: "paid"}, newestFirst(a1, a3)},
			{"flow", order.Filter{Scenario: "auction"}, []string{a3}},
			{"order", order.Filter{OrderID: a4}, []string{a4}},
			{"trade", order.Filter{TradeID: tradeOfA2}, []string{a2}},
			{"from", order.Filter{IDFrom: a2}, newestFirst(a2, a3, a4)},
			{"before", order.Filter{IDBefore: a3}, newestFirst(a1, a2)},
			{"window", order.Filter{IDFrom: a2, IDBefore: a4}, newestFirst(a2, a3)},
			{"buyer and status", order.Filter{UserID: "u1", Status: "paid"}, newestFirst(a1, a3)},
			{"sku and seller and status", order.Filter{SKUID: "tea", SellerID: "s2", Status: "shipped"}, []string{a4}},
			{"sku and buyer", order.Filter{SKUID: "cup", UserID: "u2"}, []string{a2}},
			{"nothing", order.Filter{UserID: "u1", SellerID: "s1", Status: "shipped"}, nil},
		} {
			for _, limit := range []int{1, 2, 100} {
				if got := all(t, pl.repo, "t1", c.f, limit, nil); !slices.Equal(got, c.want) {
					t.Errorf("%s, %d a page: got %v; want %v", c.name, limit, got, c.want)
				}
			}
		}
		if got := all(t, pl.repo, "t2", order.Filter{}, 10, nil); !slices.Equal(got, []string{other}) {
			t.Errorf("tenant t2: got %v; want only its own %s", got, other)
		}
		if got := all(t, pl.repo, "t2", order.Filter{OrderID: a1}, 10, nil); len(got) != 0 {
			t.Errorf("tenant t2 found t1's order %s by id: %v", a1, got)
		}
	})
}

// TestSearchPagesWhileOrdersArrive: orders placed while a client pages through a search come
// before its cursor: the pages hold exactly the orders there were, each once, in order.
func TestSearchPagesWhileOrdersArrive(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		pl := newPlacer(t, db)
		var before, paid []string
		for i := range 23 {
			st := ""
			if i%3 == 0 {
				st = "paid"
			}
			id := pl.place(placed{user: fmt.Sprint("u", i%2), seller: "s1", skus: []string{"tea"}, status: st})
			before = append(before, id)
			if st == "paid" {
				paid = append(paid, id)
			}
		}
		for _, c := range []struct {
			name string
			f    order.Filter
			want func() []string
		}{
			{"all", order.Filter{}, func() []string { return newestFirst(before...) }},
			{"paid", order.Filter{Status: "paid"}, func() []string { return newestFirst(paid...) }},
			{"sku", order.Filter{SKUID: "tea"}, func() []string { return newestFirst(before...) }},
		} {
			var arrived []string
			got := all(t, pl.repo, "t1", c.f, 4, func() {
				for range 2 {
					arrived = append(arrived, pl.place(placed{user: "u0", seller: "s1", skus: []string{"tea"}, status: "paid"}))
				}
			})
			if !slices.Equal(got, c.want()) {
				t.Errorf("%s with %d orders arriving between pages: got %v; want %v", c.name, len(arrived), got, c.want())
			}
			before, paid = append(before, arrived...), append(paid, arrived...) // each of them matches every case
		}
	})
}

func TestSearchCursors(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		pl := newPlacer(t, db)
		var ids []string
		for range 3 {
			ids = append(ids, pl.place(placed{user: "u1", seller: "s1", skus: []string{"tea"}}))
		}
		ctx := context.Background()
		for _, bad := range []string{"garbage", "%%%", strings.Repeat("A", 200)} {
			if _, err := pl.repo.Search(ctx, "t1", order.Filter{}, 3, bad); !errors.Is(err, order.ErrInvalidCursor) {
				t.Errorf("cursor %.20q: got %v; want order.ErrInvalidCursor", bad, err)
			}
		}
		// A cursor of the buyer list before searches ("<created ms>:<order id>") goes on from its order.
		p, err := pl.repo.Search(ctx, "t1", order.Filter{UserID: "u1"}, 3, "1700000000000:"+ids[2])
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Orders) != 2 || p.Orders[0].ID() != ids[1] || p.Orders[1].ID() != ids[0] || p.Next != "" {
			t.Fatalf("legacy cursor: got %d orders, next %q; want %s, %s and no next", len(p.Orders), p.Next, ids[1], ids[0])
		}
	})
}

// TestSearchPlansStayIndexed: each filter of a search walks the index that starts with it, in
// page order (no sort), on a tenant of thousands of orders among another tenant's; the filters
// together still read one index.
func TestSearchPlansStayIndexed(t *testing.T) {
	daltest.Each(t, []dal.Migrations{ordersql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		ids, err := idgen.New(3)
		if err != nil {
			t.Fatal(err)
		}
		const n = 3000
		var firstID string
		var orders, lines []string
		var oargs, largs []any
		flush := func() {
			for _, b := range []struct {
				q    string
				rows []string
				args []any
			}{
				{`INSERT INTO orders (tenant, order_id, trade_id, user_id, seller_id, status, scenario, currency, total, carrier, tracking_no,
					cancel_reason, created_at, updated_at, version, subtotal, discount, shipping_fee) VALUES `, orders, oargs},
				{`INSERT INTO order_lines (tenant, order_id, line_no, sku_id, title, warehouse_id, quantity, unit_price, total, discount) VALUES `, lines, largs},
			} {
				if _, err := db.Primary().ExecContext(ctx, b.q+strings.Join(b.rows, ","), b.args...); err != nil {
					t.Fatal(err)
				}
			}
			orders, lines, oargs, largs = nil, nil, nil, nil
		}
		for i := range n {
			tenant := "t1"
			if i%4 == 3 {
				tenant = "t2"
			}
			status, scenario := "completed", "fixed_price"
			switch {
			case i%20 == 0:
				status = "paid"
			case i%20 == 1:
				status = "cancelled"
			}
			if i%33 == 0 {
				scenario = "auction"
			}
			oid := ids.NextString("O")
			if i == 0 {
				firstID = oid
			}
			orders = append(orders, "(?, ?, ?, ?, ?, ?, ?, 'CNY', 100, '', '', '', 0, 0, 1, 100, 0, 0)")
			oargs = append(oargs, tenant, oid, ids.NextString("T"), fmt.Sprint("u", i%300), fmt.Sprint("s", i%60), status, scenario)
			lines = append(lines, "(?, ?, 1, ?, 'Tea', 'w1', 1, 100, 100, 0)")
			largs = append(largs, tenant, oid, fmt.Sprint("sku", i%200))
			if len(orders) == 200 {
				flush()
			}
		}
		if err := daltest.Analyze(ctx, db, []string{"orders", "order_lines"}); err != nil {
			t.Fatal(err)
		}
		repo := ordersql.New(db)
		for _, c := range []struct {
			name  string
			f     order.Filter
			table string
			keys  []string // any of
		}{
			{"buyer", order.Filter{UserID: "u7"}, "orders", []string{"user_id"}},
			{"seller", order.Filter{SellerID: "s7"}, "orders", []string{"seller_id"}},
			{"status", order.Filter{Status: "paid"}, "orders", []string{"status"}},
			{"flow", order.Filter{Scenario: "auction"}, "orders", []string{"scenario"}},
			{"sku", order.Filter{SKUID: "sku7"}, "order_lines", []string{"sku_id"}},
			// Without statistics (SQLite) the planner may walk either index; both are narrow.
			{"buyer, paid, in a window", order.Filter{UserID: "u7", Status: "paid", IDFrom: "O1"}, "orders", []string{"user_id", "status"}},
			{"order", order.Filter{OrderID: firstID}, "orders", []string{"order_id"}},
		} {
			var stmts daltest.Statements
			stmts.RecordOn(db)
			if _, err := repo.Search(ctx, "t1", c.f, 20, ""); err != nil {
				t.Fatal(err)
			}
			db.Record(nil)
			q, args := stmts.First()
			plan, err := daltest.Explain(ctx, db, q, args)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range plan {
				if a.Scan || a.Sort {
					t.Errorf("%s: %s reads %s by %s (scan %v, sort %v); want an index walk in page order", c.name, db.Dialect(), a.Table, a.Plan, a.Scan, a.Sort)
				}
				if a.Table == c.table && slices.ContainsFunc(c.keys, func(k string) bool { return slices.Contains(a.Keys, k) }) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: %s plans %v; want %s read by an index on one of %v", c.name, db.Dialect(), plan, c.table, c.keys)
			}
		}
	})
}
