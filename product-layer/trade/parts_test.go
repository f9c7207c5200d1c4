package trade

import (
	"math/rand/v2"
	"testing"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/kernel/money"
)

// TestPartsAddUpExactly: for random carts, discounts and spreads over warehouses, the parts of a
// line carry its total and discount exactly, each promotion's share of the line is divided
// exactly, and no part's discount is negative or over its own total.
func TestPartsAddUpExactly(t *testing.T) {
	cny := money.MustCurrency("CNY")
	r := rand.New(rand.NewPCG(4, 4))
	for run := 0; run < 5000; run++ {
		nLines, nPromos := 1+r.IntN(4), r.IntN(4)
		q := pricing.Quote{Currency: cny}
		disc := discount.Result{Lines: make([]int64, nLines)}
		for a := 0; a < nPromos; a++ {
			disc.Applied = append(disc.Applied, discount.Applied{PromotionID: "p", Lines: make([]int64, nLines)})
		}
		var chosen [][]inventory.Line
		for li := 0; li < nLines; li++ {
			qty, unit := 1+r.Int64N(20), r.Int64N(5000)
			sku, _ := catalog.NewSKU("t1", "s", "S", "x", money.New(unit, cny))
			q.Lines = append(q.Lines, pricing.Line{SKU: sku, Quantity: qty, UnitPrice: money.New(unit, cny), Total: money.New(unit*qty, cny)})
			left := unit * qty
			for a := range disc.Applied { // promotions that together take at most the line
				n := r.Int64N(left + 1)
				if r.IntN(3) == 0 {
					n = left // often the whole line: the tightest case
				}
				disc.Applied[a].Lines[li] = n
				disc.Lines[li] += n
				left -= n
			}
			var stock []inventory.Line
			for rest := qty; rest > 0; {
				n := 1 + r.Int64N(rest)
				stock = append(stock, inventory.Line{SKUID: "s", WarehouseID: "w", Quantity: n})
				rest -= n
			}
			chosen = append(chosen, stock)
		}
		parts, err := newParts(q, disc, chosen)
		if err != nil {
			t.Fatal(err)
		}
		for li, l := range q.Lines {
			var total, d, qty int64
			promo := make([]int64, len(disc.Applied))
			for _, pt := range parts {
				if pt.Line != li {
					continue
				}
				var fromPromos int64
				for a, n := range pt.Promos {
					if n < 0 {
						t.Fatalf("run %d: negative promotion share %d", run, n)
					}
					promo[a] += n
					fromPromos += n
				}
				if pt.Discount < 0 || pt.Discount > pt.Total || fromPromos != pt.Discount || pt.Total != l.UnitPrice.Minor()*pt.Stock.Quantity {
					t.Fatalf("run %d: part %+v of line %d (%d × %d)", run, pt, li, l.Quantity, l.UnitPrice.Minor())
				}
				total += pt.Total
				d += pt.Discount
				qty += pt.Stock.Quantity
			}
			if total != l.Total.Minor() || d != disc.Lines[li] || qty != l.Quantity {
				t.Fatalf("run %d: line %d parts sum to %d/%d/%d; want %d/%d/%d", run, li, total, d, qty, l.Total.Minor(), disc.Lines[li], l.Quantity)
			}
			for a := range promo {
				if promo[a] != disc.Applied[a].Lines[li] {
					t.Fatalf("run %d: promotion %d on line %d: parts %d; want %d", run, a, li, promo[a], disc.Applied[a].Lines[li])
				}
			}
		}
	}
}
