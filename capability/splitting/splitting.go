// Package splitting divides a trade's priced lines into child orders. The default key is the
// seller: each seller ships and settles its own order. Groups come out sorted by key so the
// split of a cart is deterministic whatever order the lines arrived in; lines keep their order
// within a group.
package splitting

import (
	"sort"

	"github.com/atriumtrade/atrium/capability/pricing"
)

// Group is the lines of one child order.
type Group struct {
	Key   string
	Lines []pricing.Line
}

// KeyFunc names the child order a line belongs to.
type KeyFunc func(pricing.Line) string

// BySeller is the default key.
func BySeller(l pricing.Line) string { return l.SKU.SellerID() }

// Split groups lines by key.
func Split(lines []pricing.Line, key KeyFunc) []Group {
	idx := map[string]int{}
	var groups []Group
	for _, l := range lines {
		k := key(l)
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, Group{Key: k})
		}
		groups[i].Lines = append(groups[i].Lines, l)
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Key < groups[j].Key })
	return groups
}
