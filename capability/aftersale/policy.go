package aftersale

import (
	"regexp"
	"sort"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// ShippingRule says when a refund gives the order's shipping fee back.
type ShippingRule string

// The shipping rules.
const (
	// ShipNever keeps the shipping fee, except for an order refunded whole before it shipped.
	ShipNever ShippingRule = "never"
	// ShipAlways gives the fee back in step with the goods' money: each refund its share.
	ShipAlways ShippingRule = "always"
	// ShipWholeOrder gives the fee back with the refund that takes the order's last units.
	ShipWholeOrder ShippingRule = "whole_order"
)

// Policy is a tenant's after-sale rules. Every window is measured on the server's clock and
// enforced by durable timers, not by the next request that happens to look.
type Policy struct {
	// ReturnWindow is how long after delivery a buyer may ask to return goods.
	ReturnWindow time.Duration
	// TagWindows overrides ReturnWindow for SKUs with a tag (the shortest applies where a SKU has
	// several); zero means no returns at all (fresh food, opened software).
	TagWindows map[string]time.Duration
	// Shipping is when the shipping fee goes back.
	Shipping ShippingRule
	// AutoApproveUnshipped approves refund-only requests on orders that have not shipped at once.
	AutoApproveUnshipped bool
	// SellerWindow approves a request nobody answered within it; zero: never on its own.
	SellerWindow time.Duration
	// ShipBackWindow closes an approved return the buyer did not ship back within it.
	ShipBackWindow time.Duration
}

// DefaultPolicy is the platform's: seven days to return after delivery, shipping back with the
// whole order, unshipped refunds approved at once, two days for the seller to answer, seven days
// to ship a return back.
func DefaultPolicy() Policy {
	return Policy{ReturnWindow: 7 * 24 * time.Hour, Shipping: ShipWholeOrder, AutoApproveUnshipped: true,
		SellerWindow: 48 * time.Hour, ShipBackWindow: 7 * 24 * time.Hour}
}

// MaxWindow bounds every window: a year.
const MaxWindow = 366 * 24 * time.Hour

var tagRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// Validate reports what is wrong with the policy, as aftersale.invalid_policy.
func (p Policy) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidPolicy, format, args...) }
	for what, w := range map[string]time.Duration{"returnWindow": p.ReturnWindow, "sellerWindow": p.SellerWindow,
		"shipBackWindow": p.ShipBackWindow} {
		if w < 0 || w > MaxWindow || w%time.Second != 0 {
			return bad("%s must be whole seconds between 0 and %s", what, MaxWindow)
		}
	}
	if p.ShipBackWindow < time.Hour {
		return bad("shipBackWindow must be at least an hour")
	}
	if len(p.TagWindows) > 50 {
		return bad("at most 50 tag windows")
	}
	for tag, w := range p.TagWindows {
		if !tagRe.MatchString(tag) {
			return bad("tag %q must be 1-32 letters, digits, '_', '.' or '-'", tag)
		}
		if w < 0 || w > MaxWindow || w%time.Second != 0 {
			return bad("the window of tag %s must be whole seconds between 0 and %s", tag, MaxWindow)
		}
	}
	switch p.Shipping {
	case ShipNever, ShipAlways, ShipWholeOrder:
	default:
		return bad("shipping must be never, always or whole_order")
	}
	return nil
}

// Stage is how far the order's goods have got.
type Stage int

// The stages an order's goods go through.
const (
	// NotShipped: paid (or confirmed), still in the warehouse.
	NotShipped Stage = iota
	// InTransit: shipped, not delivered: the buyer may not have the goods.
	InTransit
	// DeliveredStage: delivered (or completed).
	DeliveredStage
)

// Goods is what eligibility needs to know of the order.
type Goods struct {
	Stage       Stage
	DeliveredAt time.Time
	// Tags are the SKU tags of each asked line, by line number.
	Tags map[int][]string
}

// windowFor is the return window of a line with tags: the shortest tag window among them, with
// the tag that set it, else the policy's window and no tag.
func (p Policy) windowFor(tags []string) (time.Duration, string) {
	w, by := p.ReturnWindow, ""
	sorted := append([]string(nil), tags...)
	sort.Strings(sorted)
	for _, t := range sorted {
		if tw, ok := p.TagWindows[t]; ok && (by == "" || tw < w) {
			w, by = tw, t
		}
	}
	return w, by
}

// Eligible says whether kind may be asked for now: refund only before shipment or while the goods
// are on their way (not received); return and refund after delivery, within the return window of
// every asked line's SKU (a tag window of zero: never).
func (p Policy) Eligible(kind Kind, g Goods, now time.Time) error {
	switch kind {
	case RefundOnly:
		if g.Stage == DeliveredStage {
			return errkind.WithDetail(ErrNotEligible, "the goods were delivered: ask for return_refund")
		}
		return nil
	case ReturnRefund:
		if g.Stage != DeliveredStage {
			return errkind.WithDetail(ErrNotEligible, "goods can be returned once delivered; before that, ask for refund_only")
		}
		lines := make([]int, 0, len(g.Tags))
		for n := range g.Tags {
			lines = append(lines, n)
		}
		sort.Ints(lines)
		for _, n := range lines {
			w, tag := p.windowFor(g.Tags[n])
			if tag != "" && w == 0 {
				return errkind.WithDetail(ErrNotReturnable, "line %d is %s: it cannot be returned", n, tag)
			}
			if now.After(g.DeliveredAt.Add(w)) {
				return errkind.WithDetail(ErrWindowPassed, "line %d could be returned until %s", n, g.DeliveredAt.Add(w).UTC().Format(time.RFC3339))
			}
		}
		return nil
	}
	return invalid("kind must be refund_only or return_refund")
}
