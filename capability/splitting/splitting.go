// Package splitting divides a trade's lines into child orders. A child order belongs to one
// seller, who ships and settles it. Within a seller, lines split by a key per line: by default
// the warehouse that ships the line and its delivery type, so each child order is one parcel
// from one warehouse and pre-sale goods (by ship date) never hold back goods in stock. The
// extension point splitting.split_key may key lines any other way (keep a seller's order whole,
// split fragile goods out, ...). Groups come out sorted by seller and key, so the split of a cart
// is deterministic whatever order its lines arrived in; lines keep their order within a group.
package splitting

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Line is what the split sees of a cart line.
type Line struct {
	SKUID       string   `json:"skuId"`
	SellerID    string   `json:"sellerId"`
	WarehouseID string   `json:"warehouseId"`
	Tags        []string `json:"tags"`
	Quantity    int64    `json:"quantity"`
	UnitPrice   int64    `json:"unitPrice"`
	// DeliveryType is "in_stock" or "presale"; a pre-sale line ships at ShipsAt (unix ms).
	DeliveryType string `json:"deliveryType"`
	ShipsAt      int64  `json:"shipsAt,omitempty"`
}

// KeyInput is the input of splitting.split_key.
type KeyInput struct {
	At    int64  `json:"at"`
	Lines []Line `json:"lines"`
}

// KeyOutput is its output: a key per line, in order. Lines of one seller with the same key
// ship as one child order.
type KeyOutput struct {
	Keys []string `json:"keys"`
}

var keyRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{0,64}$`)

// Presale is the delivery type of a line that ships later than the order (see catalog.Presale).
const Presale = "presale"

// defaultKeys keys each line by warehouse, and a pre-sale line by its ship date as well.
func defaultKeys(_ context.Context, in KeyInput) (KeyOutput, error) {
	out := KeyOutput{Keys: make([]string, len(in.Lines))}
	for i, l := range in.Lines {
		out.Keys[i] = DefaultKey(l)
	}
	return out, nil
}

// DefaultKey is the key the default split gives a line: "wh-1", or "wh-1:presale:1790000000000".
func DefaultKey(l Line) string {
	if l.DeliveryType == Presale {
		return fmt.Sprintf("%s:presale:%d", l.WarehouseID, l.ShipsAt)
	}
	return l.WarehouseID
}

// SplitKeyPoint lets a business split a seller's lines its own way. If a script fails, the
// default split applies.
var SplitKeyPoint = extensions.Declare(extensions.Spec[KeyInput, KeyOutput]{
	Name: "splitting.split_key",
	Doc: "A key per line; a seller's lines with the same key form one child order. Default: the line's warehouse, " +
		"and for a pre-sale line its ship date too.",
	Policy:  extensions.FallBack,
	Mode:    extensions.Override,
	Default: defaultKeys,
	Check: func(in KeyInput, out KeyOutput) error {
		if len(out.Keys) != len(in.Lines) {
			return errkind.Invalidf("%d keys for %d lines", len(out.Keys), len(in.Lines))
		}
		for _, k := range out.Keys {
			if !keyRe.MatchString(k) {
				return errkind.Invalidf("key %q must be at most 64 letters, digits, '.', '_', ':' or '-'", k)
			}
		}
		return nil
	},
})

// Group is the lines of one child order, by index into the split's input.
type Group struct {
	SellerID string
	Key      string
	Lines    []int
}

// Split groups lines by seller and by the key the point gives each line.
func Split(ctx context.Context, rt extensions.Runtime, call extensions.Call, atMillis int64, lines []Line) ([]Group, error) {
	out, err := SplitKeyPoint.Run(ctx, rt, call, KeyInput{At: atMillis, Lines: lines})
	if err != nil {
		return nil, err
	}
	idx := map[[2]string]int{}
	var groups []Group
	for i, l := range lines {
		k := [2]string{l.SellerID, out.Keys[i]}
		g, ok := idx[k]
		if !ok {
			g = len(groups)
			idx[k] = g
			groups = append(groups, Group{SellerID: l.SellerID, Key: out.Keys[i]})
		}
		groups[g].Lines = append(groups[g].Lines, i)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].SellerID != groups[j].SellerID {
			return groups[i].SellerID < groups[j].SellerID
		}
		return groups[i].Key < groups[j].Key
	})
	return groups, nil
}
