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
