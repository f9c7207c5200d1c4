package delivery_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/extensions"
)

type memStore struct{ ts []delivery.Template }

func (m *memStore) Put(_ context.Context, _ string, t delivery.Template) error {
	m.ts = append(m.ts, t)
	return nil
}
func (m *memStore) Templates(context.Context, string) ([]delivery.Template, error) { return m.ts, nil }
func (m *memStore) ForSellers(_ context.Context, _, cur string, ids []string) ([]delivery.Template, error) {
	var out []delivery.Template
	for _, t := range m.ts {
		for _, id := range append(ids, delivery.AnySeller) {
			if t.SellerID == id && t.Currency == cur {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

func TestTemplateValidation(t *testing.T) {
	for _, c := range []struct {
		t  delivery.Template
		ok bool
	}{
		{delivery.Template{SellerID: "s1", Currency: "CNY", Fee: 1000, FreeOver: 9900}, true},
		{delivery.Template{SellerID: "*", Currency: "USD", Fee: 0}, true},
		{delivery.Template{SellerID: "s 1", Currency: "CNY", Fee: 1}, false},
		{delivery.Template{SellerID: "s1", Currency: "CNY", Fee: -1}, false},
		{delivery.Template{SellerID: "s1", Currency: "CNY", Fee: delivery.MaxFee + 1}, false},
		{delivery.Template{SellerID: "s1", Currency: "CNY", Fee: 1, FreeOver: -1}, false},
		{delivery.Template{SellerID: "s1", Currency: "XXX", Fee: 1}, false},
		{delivery.Template{SellerID: "", Currency: "CNY", Fee: 1}, false},
	} {
		err := c.t.Validate()
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, delivery.ErrInvalidTemplate)) {
			t.Errorf("%+v: %v; want ok=%v", c.t, err, c.ok)
		}
	}
}

func TestFeesPerSellerAllocatedToItsOrders(t *testing.T) {
	store := &memStore{ts: []delivery.Template{
		{SellerID: "s1", Currency: "CNY", Fee: 1000, FreeOver: 10000},
		{SellerID: "*", Currency: "CNY", Fee: 800},
		{SellerID: "s3", Currency: "USD", Fee: 5},
	}}
	svc := delivery.NewService(store)
	ident, _ := identity.New("t1", "", identity.FixedPrice)
	call := extensions.Call{Identity: ident}
	in := delivery.FeeInput{Currency: "CNY", Sellers: []delivery.Seller{
		{SellerID: "s1", Goods: 9999, Orders: []delivery.Order{{Key: "a", Goods: 3333}, {Key: "b", Goods: 6666}}},
		{SellerID: "s2", Goods: 0, Orders: []delivery.Order{{Key: "a"}, {Key: "b"}, {Key: "c"}}}, // the default; free goods: equal parts
		{SellerID: "s3", Goods: 100, Orders: []delivery.Order{{Key: "a", Goods: 100}}},           // its own template is in USD: the default applies
	}}
	got, err := svc.Fees(context.Background(), nil, call, in)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{333, 667}, {267, 267, 266}, {800}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	in.Sellers[0].Goods = 10000 // reaches the threshold
	got, _ = svc.Fees(context.Background(), nil, call, in)
	if got[0][0] != 0 || got[0][1] != 0 {
		t.Fatalf("over the threshold: %v; want free", got[0])
	}
}

func TestAllocateSumsExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for run := 0; run < 2000; run++ {
		var sellers []delivery.Seller
		var fees []int64
		for i := 0; i < 1+r.IntN(3); i++ {
			sl := delivery.Seller{SellerID: "s"}
			for j := 0; j < 1+r.IntN(4); j++ {
				sl.Orders = append(sl.Orders, delivery.Order{Goods: r.Int64N(3) * r.Int64N(100000)})
			}
			sellers = append(sellers, sl)
			fees = append(fees, r.Int64N(5000))
		}
		parts, err := delivery.Allocate(sellers, fees)
		if err != nil {
			t.Fatal(err)
		}
		for i, ps := range parts {
			var sum int64
			for _, p := range ps {
				if p < 0 {
					t.Fatalf("run %d: negative part %v", run, ps)
				}
				sum += p
			}
			if sum != fees[i] || len(ps) != len(sellers[i].Orders) {
				t.Fatalf("run %d: %v sums to %d; want %d", run, ps, sum, fees[i])
			}
		}
	}
}
