package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
)

func newOrder(t *testing.T) *order.Order {
	t.Helper()
	ident, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
	cny := money.MustCurrency("CNY")
	tr, err := order.NewTrade("T1", ident, "u1", order.Address{}, []order.NewOrderSpec{{ID: "O1", SellerID: "s1",
		Lines: []order.Line{{SKUID: "a", Quantity: 2, UnitPrice: money.New(500, cny), Total: money.New(1000, cny)},
			{SKUID: "b", Quantity: 1, UnitPrice: money.New(250, cny), Total: money.New(250, cny)}}}}, time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tr.Total().Minor() != 1250 || tr.Orders()[0].Total().Minor() != 1250 {
		t.Fatalf("totals: trade %d order %d; want 1250", tr.Total().Minor(), tr.Orders()[0].Total().Minor())
	}
	return tr.Orders()[0]
}

func TestTransitions(t *testing.T) {
	now := time.Now()
	ship := func(o *order.Order) error { return o.Ship(order.Shipment{Carrier: "SF", TrackingNo: "1"}, now) }
	steps := map[string]func(*order.Order) error{
		"pay":      func(o *order.Order) error { return o.Pay(now) },
		"ship":     ship,
		"deliver":  func(o *order.Order) error { return o.Deliver(now) },
		"complete": func(o *order.Order) error { return o.Complete(now) },
		"cancel":   func(o *order.Order) error { return o.Cancel("x", now) },
		"refund":   func(o *order.Order) error { return o.Refund(now) },
	}
	// For each status reached by a path, which steps are allowed next.
	paths := []struct {
		path    []string
		allowed map[string]bool
	}{
		{nil, map[string]bool{"pay": true, "cancel": true}},
		{[]string{"pay"}, map[string]bool{"ship": true, "refund": true}},
		{[]string{"pay", "ship"}, map[string]bool{"deliver": true, "refund": true}},
		{[]string{"pay", "ship", "deliver"}, map[string]bool{"complete": true, "refund": true}},
		{[]string{"pay", "ship", "deliver", "complete"}, map[string]bool{"refund": true}},
		{[]string{"pay", "refund"}, map[string]bool{}},
		{[]string{"cancel"}, map[string]bool{}},
	}
	for _, p := range paths {
		for step, fn := range steps {
			o := newOrder(t)
			for _, s := range p.path {
				if err := steps[s](o); err != nil {
					t.Fatalf("path %v: %v", p.path, err)
				}
			}
			before := o.Status()
			err := fn(o)
			if p.allowed[step] && err != nil {
				t.Errorf("after %v, %s: got %v; want allowed", p.path, step, err)
			}
			if !p.allowed[step] {
				if !errors.Is(err, order.ErrInvalidTransition) {
					t.Errorf("after %v, %s: got %v; want ErrInvalidTransition", p.path, step, err)
				}
				if o.Status() != before {
					t.Errorf("a refused %s changed the status from %s to %s", step, before, o.Status())
				}
			}
		}
	}
}

func TestShipmentAndAddressValidation(t *testing.T) {
	o := newOrder(t)
	_ = o.Pay(time.Now())
	if err := o.Ship(order.Shipment{Carrier: "", TrackingNo: "1"}, time.Now()); !errors.Is(err, order.ErrInvalidShipment) {
		t.Fatalf("empty carrier: got %v", err)
	}
	if o.Status() != order.Paid {
		t.Fatalf("a refused shipment moved the order to %s", o.Status())
	}
	good := order.Address{Name: "A", Phone: "13800000000", Province: "Zhejiang", City: "杭州", District: "西湖区", Detail: "1 Wensan Rd"}
	want := order.Address{Name: "A", Phone: "+8613800000000", Country: "CN", Province: "浙江省", City: "杭州市", District: "西湖区",
		ProvinceCode: "33", CityCode: "3301", DistrictCode: "330106", Detail: "1 Wensan Rd"}
	if a, err := order.NormalizeAddress(good); err != nil || a != want {
		t.Fatalf("good address: %+v %v; want %+v", a, err, want)
	}
	// Each field at fault is named, as a form shows it.
	for _, c := range []struct {
		mutate      func(*order.Address)
		field, code string
	}{
		{func(a *order.Address) { a.District = "浦东新区" }, "address.district", "not_in_parent"},
		{func(a *order.Address) { a.District = "西湖去" }, "address.district", "unknown"},
		{func(a *order.Address) { a.District, a.DistrictCode = "", "310115" }, "address.district", "not_in_parent"},
		{func(a *order.Address) { a.DistrictCode = "310115" }, "address.district", "mismatch"},
		{func(a *order.Address) { a.CityCode = "3302" }, "address.city", "mismatch"},
		{func(a *order.Address) { a.District = "" }, "address.district", "required"},
		{func(a *order.Address) { a.Phone = "12345" }, "address.phone", "invalid"},
		{func(a *order.Address) { a.PostalCode = "31000" }, "address.postalCode", "invalid"},
	} {
		a := good
		c.mutate(&a)
		_, err := order.NormalizeAddress(a)
		fields := errkind.Fields(err)
		if !errors.Is(err, order.ErrInvalidAddress) || len(fields) == 0 || fields[0].Field != c.field || fields[0].Code != c.code {
			t.Errorf("%+v: %v %+v; want %s %s", a, err, fields, c.field, c.code)
		}
	}
	for name, mutate := range map[string]func(*order.Address){
		"no name":      func(a *order.Address) { a.Name = " " },
		"bad phone":    func(a *order.Address) { a.Phone = "call me" },
		"bad country":  func(a *order.Address) { a.Country = "China" },
		"CN no city":   func(a *order.Address) { a.City = "" },
		"long detail":  func(a *order.Address) { a.Detail = string(make([]rune, 201)) },
		"bad postcode": func(a *order.Address) { a.PostalCode = "<script>" },
	} {
		a := good
		mutate(&a)
		if _, err := order.NormalizeAddress(a); !errors.Is(err, order.ErrInvalidAddress) {
			t.Errorf("%s: got %v; want ErrInvalidAddress", name, err)
		}
	}
}

// TestLifecycles: a lifecycle is declared whole (every status reachable, closed ones in the
// table), a scenario has one lifecycle, and an order moves and reads as live by its own.
func TestLifecycles(t *testing.T) {
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		f()
	}
	mustPanic("an unreachable status", func() {
		order.NewLifecycle("bad", "a", map[order.Status][]order.Status{"a": {"b"}, "c": {"b"}})
	})
	mustPanic("a closed status outside the table", func() {
		order.NewLifecycle("bad", "a", map[order.Status][]order.Status{"a": {"b"}}, "z")
	})
	mustPanic("a scenario registered twice", func() { order.RegisterLifecycle(identity.Scenario("fixed_price"), order.Standard) })
	if _, err := order.LifecycleOf("barter"); err == nil {
		t.Error("a scenario without a lifecycle has one")
	}

	// A scenario of its own: confirmed without payment, then shipped, then paid on delivery or returned.
	lc := order.NewLifecycle("test-cod", "confirmed", map[order.Status][]order.Status{
		"confirmed":   {order.Shipped, order.Cancelled},
		order.Shipped: {order.Delivered, "returned"},
	}, order.Cancelled, "returned").WithPaid(order.Delivered)
	order.RegisterLifecycle(identity.Scenario("cod"), lc)
	mustPanic("a closed status declared paid", func() { lc.WithPaid("returned") })
	mustPanic("an unknown status declared paid", func() { lc.WithPaid("settled") })
	ident, _ := identity.New("t1", "", identity.Scenario("cod"))
	cny := money.MustCurrency("CNY")
	tr, err := order.NewTrade("T9", ident, "u1", order.Address{}, []order.NewOrderSpec{{ID: "O9", SellerID: "s1",
		Lines: []order.Line{{SKUID: "a", Quantity: 1, UnitPrice: money.New(500, cny), Total: money.New(500, cny)}}}}, time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	o := tr.Orders()[0]
	if o.Status() != "confirmed" || o.Lifecycle() != lc || !o.Live() || o.Paid() {
		t.Fatalf("a new order of the scenario: %s live=%v", o.Status(), o.Live())
	}
	if err := o.Pay(time.Now()); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("paying a confirmed order outside its lifecycle: %v", err)
	}
	if err := o.Ship(order.Shipment{Carrier: "SF", TrackingNo: "1"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if o.Paid() {
		t.Fatal("a shipped order whose cash is not collected reads as paid")
	}
	if err := o.Move("returned", time.Now()); err != nil || o.Live() || o.Paid() || !lc.Terminal("returned") {
		t.Fatalf("returned: %v live=%v", err, o.Live())
	}
	if !order.Standard.IsPaid(order.Shipped) || order.Standard.IsPaid(order.PendingPayment) || order.Standard.IsPaid(order.Refunded) {
		t.Error("the standard lifecycle's paid statuses")
	}
	if !order.Standard.Knows(order.Refunded) || order.Standard.Knows("confirmed") {
		t.Error("the standard lifecycle's statuses")
	}
}
