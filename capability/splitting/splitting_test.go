package splitting_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/atriumtrade/atrium/capability/splitting"
)

func TestSplitBySellerIsDeterministic(t *testing.T) {
	ctx := context.Background()
	lines := func(order ...int) []splitting.Line {
		all := []splitting.Line{{SKUID: "x", SellerID: "s2"}, {SKUID: "y", SellerID: "s1"}, {SKUID: "z", SellerID: "s2"}}
		var out []splitting.Line
		for _, i := range order {
			out = append(out, all[i])
		}
		return out
	}
	describe := func(ls []splitting.Line, gs []splitting.Group) string {
		s := ""
		for _, g := range gs {
			s += g.SellerID + ":"
			for _, i := range g.Lines {
				s += ls[i].SKUID
			}
			s += " "
		}
		return s
	}
	a := lines(0, 1, 2)
	ga, err := splitting.Split(ctx, nil, defaultCall(), 0, a)
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(a, ga); got != "s1:y s2:xz " {
		t.Fatalf("got %q; want one child order per seller, sellers sorted, lines in order", got)
	}
	b := lines(2, 1, 0)
	gb, _ := splitting.Split(ctx, nil, defaultCall(), 0, b)
	if got := describe(b, gb); got != "s1:y s2:zx " {
		t.Fatalf("reordered cart: got %q", got)
	}
	if fmt.Sprint(ga[0].SellerID, ga[1].SellerID) != fmt.Sprint(gb[0].SellerID, gb[1].SellerID) {
		t.Fatal("group order depends on line order")
	}
}

func TestDefaultSplitsByWarehouseAndDeliveryType(t *testing.T) {
	ls := []splitting.Line{
		{SKUID: "tea", SellerID: "s1", WarehouseID: "hz", DeliveryType: "in_stock"},
		{SKUID: "cup", SellerID: "s1", WarehouseID: "bj", DeliveryType: "in_stock"},
		{SKUID: "mooncake", SellerID: "s1", WarehouseID: "hz", DeliveryType: "presale", ShipsAt: 2000},
		{SKUID: "lantern", SellerID: "s1", WarehouseID: "hz", DeliveryType: "presale", ShipsAt: 1000},
		{SKUID: "pot", SellerID: "s1", WarehouseID: "hz", DeliveryType: "in_stock"},
		{SKUID: "mooncake2", SellerID: "s1", WarehouseID: "hz", DeliveryType: "presale", ShipsAt: 2000},
		{SKUID: "tea", SellerID: "s2", WarehouseID: "hz", DeliveryType: "in_stock"},
	}
	gs, err := splitting.Split(context.Background(), nil, defaultCall(), 0, ls)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		got = append(got, fmt.Sprint(g.SellerID, "/", g.Key, g.Lines))
	}
	want := []string{"s1/bj[1]", "s1/hz[0 4]", "s1/hz:presale:1000[3]", "s1/hz:presale:2000[2 5]", "s2/hz[6]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}
