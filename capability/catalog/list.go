package catalog

import (
	"context"
	"strings"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Filter narrows a list of a tenant's SKUs; its zero value matches every SKU.
type Filter struct {
	SellerID string
	// Tag keeps SKUs carrying it; Title those whose title contains it (ASCII letters in any case).
	Tag   string
	Title string
}

// Page is a page of SKUs, newest first.
type Page struct {
	SKUs []SKU
	// Next is the cursor of the following page, empty at the end.
	Next string
}

// Lister lists a tenant's SKUs for its operators, newest first by when each was created.
type Lister interface {
	List(ctx context.Context, tenant string, f Filter, limit int, cursor string) (Page, error)
}

// ErrInvalidCursor is a list cursor that this server did not hand out.
var ErrInvalidCursor = errkind.New(errkind.Invalid, "catalog.invalid_cursor", "invalid page cursor")

// Validate refuses a filter that cannot match: a malformed tag, an overlong title or seller.
func (f Filter) Validate() error {
	if f.Tag != "" && !tagRe.MatchString(f.Tag) {
		return errkind.Invalidf("tag must be 1-32 lowercase letters, digits, '_' or '-'")
	}
	if len(f.Title) > 200 || len(f.SellerID) > 64 || strings.ContainsRune(f.Title, 0) {
		return errkind.Invalidf("title may be 200 bytes and seller 64")
	}
	return nil
}
