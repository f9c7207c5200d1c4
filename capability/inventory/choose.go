package inventory

import (
	"context"
	"fmt"
	"sort"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Proximity ranks how near a warehouse in region w is to destination d, by the address
// library's distance rank: 0 in the same district, 1 the same city, 2 the same province, 3 the
// same country, address.Far otherwise or when either is not known. Regions resolved in China are
// compared by GB/T 2260 code, others by name without case or level suffix.
func Proximity(w, d address.Place) int { return address.Distance(w, d) }

// WarehouseStock is a candidate warehouse for a line.
type WarehouseStock struct {
	WarehouseID string `json:"warehouseId"`
	Available   int64  `json:"available"`
	// Region is where the warehouse is (empty if it was never registered) and Proximity how
	// near that is to the destination (see Proximity).
	Region    address.Place `json:"region"`
	Proximity int           `json:"proximity"`
}

// ChooseLine is a line of the inventory.choose_warehouse input.
type ChooseLine struct {
	SKUID      string           `json:"skuId"`
	Quantity   int64            `json:"quantity"`
	Warehouses []WarehouseStock `json:"warehouses"`
}

// ChooseInput is the input of inventory.choose_warehouse.
type ChooseInput struct {
	Destination address.Place `json:"destination"`
	At          int64         `json:"at"`
	Lines       []ChooseLine  `json:"lines"`
}

// Part is a quantity of a line shipped from one warehouse.
type Part struct {
	WarehouseID string `json:"warehouseId"`
	Quantity    int64  `json:"quantity"`
}

// Chosen is a line of the output: the warehouse that ships the whole line, or the parts of a
// line spread over several warehouses.
type Chosen struct {
	SKUID       string `json:"skuId"`
	WarehouseID string `json:"warehouseId,omitempty"`
	Parts       []Part `json:"parts,omitempty"`
}

// ChooseOutput is the output of inventory.choose_warehouse.
type ChooseOutput struct {
	Lines []Chosen `json:"lines"`
}

// ChooseWarehousePoint lets a business choose which warehouses ship each line (the nearest to
// the buyer, the cheapest, one that keeps an order whole). A choice must fill its line from
// stock the warehouses have; any other is refused, and if a script fails the default applies.
var ChooseWarehousePoint = extensions.Declare(extensions.Spec[ChooseInput, ChooseOutput]{
	Name: "inventory.choose_warehouse",
	Doc: "The warehouse that ships each line, or parts over several. Default: the nearest warehouse to the buyer that can " +
		"fill the line (then one the cart already ships from, then the most stock); a line no single warehouse can fill " +
		"is spread over the nearest.",
	Policy:  extensions.FallBack,
	Mode:    extensions.Override,
	Default: chooseNearest,
	Check:   checkChoice,
})

func chooseNearest(_ context.Context, in ChooseInput) (ChooseOutput, error) {
	var levels []Level
	demands := make([]Demand, len(in.Lines))
	for i, l := range in.Lines {
		demands[i] = Demand{SKUID: l.SKUID, Quantity: l.Quantity}
		for _, w := range l.Warehouses {
			levels = append(levels, Level{SKUID: l.SKUID, WarehouseID: w.WarehouseID, Available: w.Available, Region: w.Region})
		}
	}
	parts, err := Allocate(in.Destination, levels, demands)
	if err != nil {
		return ChooseOutput{}, err
	}
	out := ChooseOutput{Lines: make([]Chosen, len(parts))}
	for i, ps := range parts {
		out.Lines[i] = Chosen{SKUID: in.Lines[i].SKUID}
		if len(ps) == 1 {
			out.Lines[i].WarehouseID = ps[0].WarehouseID
			continue
		}
		for _, p := range ps {
			out.Lines[i].Parts = append(out.Lines[i].Parts, Part{WarehouseID: p.WarehouseID, Quantity: p.Quantity})
		}
	}
	return out, nil
}

// parts is a choice as parts, whichever way it was given.
func (c Chosen) parts(quantity int64) []Part {
	if len(c.Parts) == 0 {
		return []Part{{WarehouseID: c.WarehouseID, Quantity: quantity}}
	}
	return c.Parts
}

func checkChoice(in ChooseInput, out ChooseOutput) error {
	if len(out.Lines) != len(in.Lines) {
		return errkind.Invalidf("%d choices for %d lines", len(out.Lines), len(in.Lines))
	}
	for i, c := range out.Lines {
		l := in.Lines[i]
		if c.SKUID != l.SKUID {
			return errkind.Invalidf("line %d is %q; want %q", i+1, c.SKUID, l.SKUID)
		}
		if (c.WarehouseID == "") == (len(c.Parts) == 0) {
			return errkind.Invalidf("line %d (%s) needs either warehouseId or parts", i+1, l.SKUID)
		}
		var sum int64
		seen := map[string]bool{}
		for _, p := range c.parts(l.Quantity) {
			if seen[p.WarehouseID] {
				return errkind.Invalidf("line %d (%s) names warehouse %q twice", i+1, l.SKUID, p.WarehouseID)
			}
			seen[p.WarehouseID] = true
			ok := false
			for _, w := range l.Warehouses {
				ok = ok || (w.WarehouseID == p.WarehouseID && p.Quantity >= 1 && w.Available >= p.Quantity)
			}
			if !ok {
				return errkind.Invalidf("warehouse %q cannot fill %d of %s", p.WarehouseID, p.Quantity, l.SKUID)
			}
			sum += p.Quantity
		}
		if sum != l.Quantity {
			return errkind.Invalidf("parts of %s add up to %d; the line has %d", l.SKUID, sum, l.Quantity)
		}
	}
	return nil
}

// Allocate chooses warehouses for each demand, nearest to dest first. A demand goes whole to the
// first warehouse that can fill it, in this order: nearest (see Proximity); one that an earlier
// demand of the cart already ships from, so the cart travels in fewer parcels; the most
// available; the lowest id, so the choice is deterministic. If no warehouse can fill it alone, it
// is spread over the warehouses in that order. If all of them together cannot, the result is
// ErrInsufficientStock. The result holds each demand's parts, in order.
func Allocate(dest address.Place, levels []Level, demands []Demand) ([][]Line, error) {
	bySKU := map[string][]Level{}
	for _, l := range levels {
		if l.Available > 0 {
			bySKU[l.SKUID] = append(bySKU[l.SKUID], l)
		}
	}
	used := map[string]bool{}
	out := make([][]Line, 0, len(demands))
	for _, d := range demands {
		cands := bySKU[d.SKUID]
		sort.SliceStable(cands, func(i, j int) bool {
			a, b := cands[i], cands[j]
			if pa, pb := Proximity(a.Region, dest), Proximity(b.Region, dest); pa != pb {
				return pa < pb
			}
			if used[a.WarehouseID] != used[b.WarehouseID] {
				return used[a.WarehouseID]
			}
			if a.Available != b.Available {
				return a.Available > b.Available
			}
			return a.WarehouseID < b.WarehouseID
		})
		parts, err := take(cands, d)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			used[p.WarehouseID] = true
		}
		out = append(out, parts)
	}
	return out, nil
}

// take fills d from cands, in their order: whole from the first that can, else spread. It takes
// what it uses from cands' available stock, so a later demand of the same SKU sees what is left.
func take(cands []Level, d Demand) ([]Line, error) {
	for i := range cands {
		if cands[i].Available >= d.Quantity {
			cands[i].Available -= d.Quantity
			return []Line{{SKUID: d.SKUID, WarehouseID: cands[i].WarehouseID, Quantity: d.Quantity}}, nil
		}
	}
	var parts []Line
	left := d.Quantity
	for i := 0; left > 0; i++ {
		if i == len(cands) {
			return nil, errkind.WithDetail(ErrInsufficientStock, "insufficient stock for sku %s", d.SKUID)
		}
		n := min(cands[i].Available, left)
		if n == 0 {
			continue
		}
		cands[i].Available -= n
		left -= n
		parts = append(parts, Line{SKUID: d.SKUID, WarehouseID: cands[i].WarehouseID, Quantity: n})
	}
	return parts, nil
}

// Choose picks warehouses for every demand from current stock, through the point: each demand's
// parts, in order (one part unless no single warehouse can fill it). Demands of one SKU must be
// merged first (a cart holds each SKU once).
func (s *Service) Choose(ctx context.Context, rt extensions.Runtime, call extensions.Call, dest address.Place, atMillis int64, demands []Demand) ([][]Line, error) {
	skus := make([]string, len(demands))
	for i, d := range demands {
		if d.Quantity <= 0 {
			return nil, errkind.WithDetail(ErrInvalidStockQuantity, "quantity must be positive")
		}
		skus[i] = d.SKUID
	}
	levels, err := s.store.Levels(ctx, tenantOf(call), skus)
	if err != nil {
		return nil, fmt.Errorf("inventory: read levels: %w", err)
	}
	in := ChooseInput{Destination: dest, At: atMillis, Lines: make([]ChooseLine, len(demands))}
	for i, d := range demands {
		in.Lines[i] = ChooseLine{SKUID: d.SKUID, Quantity: d.Quantity, Warehouses: []WarehouseStock{}}
		for _, l := range levels {
			if l.SKUID == d.SKUID && l.Available > 0 {
				in.Lines[i].Warehouses = append(in.Lines[i].Warehouses, WarehouseStock{WarehouseID: l.WarehouseID,
					Available: l.Available, Region: l.Region, Proximity: Proximity(l.Region, dest)})
			}
		}
	}
	out, err := ChooseWarehousePoint.Run(ctx, rt, call, in)
	if err != nil {
		return nil, err
	}
	lines := make([][]Line, len(out.Lines))
	for i, c := range out.Lines {
		for _, p := range c.parts(demands[i].Quantity) {
			line := Line{SKUID: c.SKUID, WarehouseID: p.WarehouseID, Quantity: p.Quantity}
			for _, l := range levels {
				if l.SKUID == c.SKUID && l.WarehouseID == p.WarehouseID {
					line.Hot = l.Hot
				}
			}
			lines[i] = append(lines[i], line)
		}
	}
	return lines, nil
}

func tenantOf(call extensions.Call) string { return call.Identity.Tenant() }

// Reserve reserves lines whose warehouses are already chosen, all or nothing.
func (s *Service) Reserve(ctx context.Context, tenant, reservationID string, lines []Line) error {
	return s.store.Reserve(ctx, tenant, reservationID, lines)
}
