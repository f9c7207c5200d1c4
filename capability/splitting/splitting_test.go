package splitting_test

import (
	"testing"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/capability/splitting"
)

func TestSplitBySellerIsDeterministic(t *testing.T) {
	cny := money.MustCurrency("CNY")
	line := func(id, seller string) pricing.Line {
		sku, err := catalog.NewSKU("t1", id, id, seller, money.New(100, cny))
		if err != nil {
			t.Fatal(err)
		}
		return pricing.Line{SKU: sku, Quantity: 1}
	}
	a := splitting.Split([]pricing.Line{line("x", "s2"), line("y", "s1"), line("z", "s2")}, splitting.BySeller)
	b := splitting.Split([]pricing.Line{line("z", "s2"), line("y", "s1"), line("x", "s2")}, splitting.BySeller)
	if len(a) != 2 || a[0].Key != "s1" || a[1].Key != "s2" || len(a[1].Lines) != 2 {
		t.Fatalf("got %+v", a)
	}
	if b[0].Key != a[0].Key || b[1].Key != a[1].Key {
		t.Fatalf("group order depends on line order: %v vs %v", a, b)
	}
	if a[1].Lines[0].SKU.ID() != "x" || a[1].Lines[1].SKU.ID() != "z" {
		t.Fatalf("lines lost their order within a group: %+v", a[1].Lines)
	}
}
