package auction

import (
	"slices"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Filter narrows an operator's list of auctions; its zero value matches every auction.
type Filter struct {
	SKUID string
	// Status keeps the auctions in that status at the moment of the list (StatusAt).
	Status Status
}

// Statuses are the statuses a list may be filtered by.
var Statuses = []Status{Scheduled, Running, Ended, Sold, Unsold, Cancelled}

// ErrInvalidCursor is a list cursor that this server did not hand out.
var ErrInvalidCursor = errkind.New(errkind.Invalid, "auction.invalid_cursor", "invalid page cursor")

// Validate refuses a filter naming a status that does not exist.
func (f Filter) Validate() error {
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return errkind.Invalidf("status must be one of %v", Statuses)
	}
	if len(f.SKUID) > 64 {
		return errkind.Invalidf("sku may be 64 bytes")
	}
	return nil
}
