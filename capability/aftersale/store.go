package aftersale

import (
	"context"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Filter picks requests for a list: a buyer's own (UserID), or a tenant's by status (an
// operator's queue); empty fields do not filter.
type Filter struct {
	UserID string
	Status Status
}

// Page is a window of requests, newest first.
type Page struct {
	AfterSales []*AfterSale
	// Next is the cursor of the following page, empty at the end.
	Next string
}

// ErrInvalidCursor is a list cursor that this server did not hand out.
var ErrInvalidCursor = errkind.New(errkind.Invalid, "aftersale.invalid_cursor", "invalid page cursor")

// ErrConcurrentUpdate is a save over a request that changed since it was read.
var ErrConcurrentUpdate = errkind.New(errkind.Conflict, "aftersale.concurrent_update", "the after-sale request was changed concurrently, retry")

// Store is the persistence port. A request is created and moved inside the flow's transaction,
// with its order locked, so that two requests for the same units serialize on the order; Save
// fails with ErrConcurrentUpdate if the request changed since it was read.
type Store interface {
	Create(ctx context.Context, a *AfterSale) error
	Get(ctx context.Context, tenant, id string) (*AfterSale, error)
	// Lock reads the request for update inside the caller's transaction.
	Lock(ctx context.Context, tenant, id string) (*AfterSale, error)
	Save(ctx context.Context, a *AfterSale) error
	// OfOrder is every request made on an order, oldest first.
	OfOrder(ctx context.Context, tenant, orderID string) ([]*AfterSale, error)
	List(ctx context.Context, tenant string, f Filter, limit int, cursor string) (Page, error)
	// Policy is the tenant's policy, DefaultPolicy where it set none.
	Policy(ctx context.Context, tenant string) (Policy, error)
	PutPolicy(ctx context.Context, tenant string, p Policy) error
}
