package discount

import (
	"slices"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// States of a promotion or a coupon as an operator sees them at a moment: running (active),
// not yet started (scheduled), past its end (ended), switched off (disabled), and for a coupon
// redeemed as often as its cap allows (used_up). A disabled one is disabled whatever its dates.
const (
	StateActive    = "active"
	StateScheduled = "scheduled"
	StateEnded     = "ended"
	StateDisabled  = "disabled"
	StateUsedUp    = "used_up"
)

// PromotionStates and CouponStates are the states a list may be filtered by.
var (
	PromotionStates = []string{StateActive, StateScheduled, StateEnded, StateDisabled}
	CouponStates    = []string{StateActive, StateScheduled, StateEnded, StateDisabled, StateUsedUp}
)

// ErrInvalidCursor is a list cursor that this server did not hand out.
var ErrInvalidCursor = errkind.New(errkind.Invalid, "discount.invalid_cursor", "invalid page cursor")

// StateAt is the promotion's state at now.
func (p Promotion) StateAt(now time.Time) string {
	ms := now.UnixMilli()
	switch {
	case p.Disabled:
		return StateDisabled
	case p.StartsAt > ms:
		return StateScheduled
	case p.EndsAt != 0 && p.EndsAt <= ms:
		return StateEnded
	}
	return StateActive
}

// StateAt is the coupon's state at now.
func (c Coupon) StateAt(now time.Time) string {
	ms := now.UnixMilli()
	switch {
	case c.DisabledAt != 0:
		return StateDisabled
	case c.ValidFrom > ms:
		return StateScheduled
	case c.ValidTo != 0 && c.ValidTo <= ms:
		return StateEnded
	case c.TotalUses > 0 && c.Used >= c.TotalUses:
		return StateUsedUp
	}
	return StateActive
}

// CouponFilter narrows a list of a tenant's coupons; its zero value matches every coupon.
type CouponFilter struct {
	PromotionID string
	// State keeps the coupons in that state at the moment of the list.
	State string
}

// Validate refuses a filter naming a state that does not exist.
func (f CouponFilter) Validate() error {
	if f.State != "" && !slices.Contains(CouponStates, f.State) {
		return errkind.Invalidf("state must be one of %v", CouponStates)
	}
	if len(f.PromotionID) > 64 {
		return errkind.Invalidf("promotion may be 64 bytes")
	}
	return nil
}

// CouponPage is a page of coupons, newest first.
type CouponPage struct {
	Coupons []Coupon
	// Next is the cursor of the following page, empty at the end.
	Next string
}
