package inventory

import (
	"context"
	"fmt"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/extensions"
)

// Region is where goods go, as far as choosing a warehouse cares.
type Region struct {
	Country  string `json:"country"`
	Province string `json:"province"`
	City     string `json:"city"`
	District string `json:"district"`
}

// WarehouseStock is a candidate warehouse for a line.
type WarehouseStock struct {
	WarehouseID string `json:"warehouseId"`
	Available   int64  `json:"available"`
}

// ChooseLine is a line of the inventory.choose_warehouse input.
type ChooseLine struct {
	SKUID      string           `json:"skuId"`
	Quantity   int64            `json:"quantity"`
	Warehouses []WarehouseStock `json:"warehouses"`
}

// ChooseInput is the input of inventory.choose_warehouse.
type ChooseInput struct {
	Destination Region       `json:"destination"`
	At          int64        `json:"at"`
	Lines       []ChooseLine `json:"lines"`
}

// Chosen is a line of the output: the warehouse that ships it.
type Chosen struct {
	SKUID       string `json:"skuId"`
	WarehouseID string `json:"warehouseId"`
}

// ChooseOutput is the output of inventory.choose_warehouse.
type ChooseOutput struct {
	Lines []Chosen `json:"lines"`
}

// ChooseWarehousePoint lets a business choose which warehouse ships each line (the nearest to
// the buyer, the cheapest, one that keeps an order whole). A line is never split across
// warehouses; a choice that cannot fill its line is refused, so a script can only choose among
// warehouses that can. If a script fails, the default choice applies.
var ChooseWarehousePoint = extensions.Declare(extensions.Spec[ChooseInput, ChooseOutput]{
	Name:    "inventory.choose_warehouse",
	Doc:     "The warehouse that ships each line. Default: the one with the most available stock that can fill the line.",
	Policy:  extensions.FallBack,
	Mode:    extensions.Override,
	Default: chooseMostAvailable,
	Check:   checkChoice,
})

func chooseMostAvailable(_ context.Context, in ChooseInput) (ChooseOutput, error) {
	var levels []Level
	demands := make([]Demand, len(in.Lines))
	for i, l := range in.Lines {
		demands[i] = Demand{SKUID: l.SKUID, Quantity: l.Quantity}
		for _, w := range l.Warehouses {
			levels = append(levels, Level{SKUID: l.SKUID, WarehouseID: w.WarehouseID, Available: w.Available})
		}
	}
	lines, err := Allocate(levels, demands)
	if err != nil {
		return ChooseOutput{}, err
	}
	out := ChooseOutput{Lines: make([]Chosen, len(lines))}
	for i, l := range lines {
		out.Lines[i] = Chosen{SKUID: l.SKUID, WarehouseID: l.WarehouseID}
	}
	return out, nil
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
		ok := false
		for _, w := range l.Warehouses {
			ok = ok || (w.WarehouseID == c.WarehouseID && w.Available >= l.Quantity)
		}
		if !ok {
			return errkind.Invalidf("warehouse %q cannot fill %d of %s", c.WarehouseID, l.Quantity, l.SKUID)
		}
	}
	return nil
}

// Choose picks a warehouse for every demand from current stock, through the point. Demands of
// one SKU must be merged first (a cart holds each SKU once).
func (s *Service) Choose(ctx context.Context, rt extensions.Runtime, call extensions.Call, dest Region, atMillis int64, demands []Demand) ([]Line, error) {
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
				in.Lines[i].Warehouses = append(in.Lines[i].Warehouses, WarehouseStock{WarehouseID: l.WarehouseID, Available: l.Available})
			}
		}
	}
	out, err := ChooseWarehousePoint.Run(ctx, rt, call, in)
	if err != nil {
		return nil, err
	}
	lines := make([]Line, len(out.Lines))
	for i, c := range out.Lines {
		lines[i] = Line{SKUID: c.SKUID, WarehouseID: c.WarehouseID, Quantity: demands[i].Quantity}
		for _, l := range levels {
			if l.SKUID == c.SKUID && l.WarehouseID == c.WarehouseID {
				lines[i].Hot = l.Hot
			}
		}
	}
	return lines, nil
}

func tenantOf(call extensions.Call) string { return call.Identity.Tenant() }

// Reserve reserves lines whose warehouses are already chosen, all or nothing.
func (s *Service) Reserve(ctx context.Context, tenant, reservationID string, lines []Line) error {
	return s.store.Reserve(ctx, tenant, reservationID, lines)
}
