package delivery_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
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
		_, err := c.t.Normalize()
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
	ident, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
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

// TestRegionRules: a template's first rule whose regions hold the destination sets the fee and
// threshold (resolved places compare by code, however they were written); a destination it does
// not deliver to is refused; a trade with no destination pays the template's own fee; rules that
// name no region, a region that does not exist, or one twice are refused.
func TestRegionRules(t *testing.T) {
	place := func(province, city string) address.Place { return address.Place{Province: province, City: city} }
	tmpl, err := delivery.Template{SellerID: "s1", Currency: "CNY", Fee: 600, FreeOver: 9900, Regions: []delivery.RegionRule{
		{Regions: address.Set{place("Xinjiang", ""), place("西藏", "")}, Fee: 2500},
		{Regions: address.Set{place("Zhejiang", "Hangzhou")}, Fee: 0},
		{Regions: address.Set{{ProvinceCode: "81"}}, NoDelivery: true},
		{Regions: address.Set{place("浙江", "")}, Fee: 300, FreeOver: 5000},
	}}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if r := tmpl.Regions[0].Regions[0]; r.ProvinceCode != "65" || r.Province != "新疆维吾尔自治区" {
		t.Fatalf("not resolved: %+v", r)
	}
	store := &memStore{ts: []delivery.Template{tmpl}}
	svc := delivery.NewService(store)
	ident, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
	fee := func(dest address.Place, goods int64) (int64, error) {
		t.Helper()
		tree, _ := address.China()
		if dest != (address.Place{}) {
			dest, _ = tree.Resolve(dest)
		}
		got, err := svc.Fees(context.Background(), nil, extensions.Call{Identity: ident}, delivery.FeeInput{Currency: "CNY", Destination: dest,
			Sellers: []delivery.Seller{{SellerID: "s1", Goods: goods, Orders: []delivery.Order{{Key: "a", Goods: goods}}}}})
		if err != nil {
			return 0, err
		}
		return got[0][0], nil
	}
	for _, c := range []struct {
		dest  address.Place
		goods int64
		want  int64
	}{
		{place("新疆", "乌鲁木齐"), 20000, 2500}, // the rule has no threshold
		{place("Tibet", ""), 100, 2500},
		{place("浙江省", "杭州市"), 100, 0},   // the first rule that holds it
		{place("浙江省", "宁波市"), 100, 300}, // the province's rule
		{place("浙江省", "宁波市"), 5000, 0},  // ... and its threshold
		{place("江苏省", "南京市"), 100, 600},
		{place("江苏省", "南京市"), 9900, 0},
		{address.Place{}, 100, 600}, // no destination yet
	} {
		if got, err := fee(c.dest, c.goods); err != nil || got != c.want {
			t.Errorf("%+v, goods %d: %d %v; want %d", c.dest, c.goods, got, err, c.want)
		}
	}
	if _, err := fee(place("Hong Kong", ""), 100); !errors.Is(err, delivery.ErrNotDelivered) {
		t.Errorf("Hong Kong: %v; want delivery.region_not_delivered", err)
	}
	for name, rules := range map[string][]delivery.RegionRule{
		"no regions":      {{Fee: 100}},
		"unknown region":  {{Regions: address.Set{place("Atlantis", "")}, Fee: 100}},
		"city elsewhere":  {{Regions: address.Set{place("浙江", "南京")}, Fee: 100}},
		"listed twice":    {{Regions: address.Set{place("浙江", "")}}, {Regions: address.Set{place("Zhejiang", "")}}},
		"negative fee":    {{Regions: address.Set{place("浙江", "")}, Fee: -1}},
		"a country alone": {{Regions: address.Set{{Country: "CN"}}}},
	} {
		_, err := delivery.Template{SellerID: "s1", Currency: "CNY", Fee: 1, Regions: rules}.Normalize()
		if !errors.Is(err, delivery.ErrInvalidTemplate) {
			t.Errorf("%s: %v; want delivery.invalid_template", name, err)
		}
	}
}
