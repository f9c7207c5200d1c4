package trade

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// OrderSearch is a search of a tenant's orders as a person asks it: by what they know of the
// orders (the Filter's buyer, seller, SKU, status and scenario), by any id they hold, and by
// when the orders were placed.
type OrderSearch struct {
	order.Filter
	// Q is an id the person holds: an order's, a trade's (its orders), a payment's (its trade's
	// orders) or a refund's (its order).
	Q string
	// From (inclusive) and To (exclusive) bound when the orders were placed; zero is open.
	From, To time.Time
	// Limit is the page size, 1-100 (0: 20).
	Limit  int
	Cursor string
}

var searchIDRe = regexp.MustCompile(`^[\x21-\x7e]{1,64}$`)

// SearchOrders returns a page of the tenant's orders that match s, newest first. A buyer
// searches their own orders only, whatever buyer s names; an operator searches the tenant's.
// An id in Q that names nothing of the tenant matches no order (it is not an error: the person
// asked whether there was one).
func (c *Core) SearchOrders(ctx context.Context, tenant string, a Actor, s OrderSearch) (order.Page, error) {
	if err := a.Validate(); err != nil {
		return order.Page{}, err
	}
	f := s.Filter
	if a.Kind == ActorBuyer {
		f.UserID = a.ID
	}
	if err := s.validate(); err != nil {
		return order.Page{}, err
	}
	limit, _ := PageSize(s.Limit) // validated above
	if !s.From.IsZero() {
		f.IDFrom = c.d.IDs.Floor(orderPrefix, s.From)
	}
	if !s.To.IsZero() {
		f.IDBefore = c.d.IDs.Floor(orderPrefix, s.To)
	}
	if s.Q != "" {
		found, err := c.resolveID(ctx, tenant, s.Q, &f)
		if err != nil || !found {
			return order.Page{}, err
		}
	}
	return c.d.Orders.Search(ctx, tenant, f, limit, s.Cursor)
}

func (s OrderSearch) validate() error {
	for name, v := range map[string]string{"q": s.Q, "buyer": s.UserID, "seller": s.SellerID, "sku": s.SKUID,
		"orderId": s.OrderID, "tradeId": s.TradeID} {
		if v != "" && !searchIDRe.MatchString(v) {
			return errkind.Invalidf("%s must be 1-64 printable ASCII characters", name)
		}
	}
	if s.Status != "" && !slices.Contains(order.AllStatuses(), s.Status) {
		return errkind.Invalidf("status %q is not an order status (one of %v)", s.Status, order.AllStatuses())
	}
	if s.Scenario != "" {
		if _, err := order.LifecycleOf(s.Scenario); err != nil {
			return errkind.Invalidf("flow %q is not a kind of trade (one of %v)", s.Scenario, order.Scenarios())
		}
	}
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		return errkind.Invalidf("createdFrom must be before createdTo")
	}
	_, err := PageSize(s.Limit)
	return err
}

// resolveID narrows f to what id names among the tenant's orders, trades, payments and refunds
// (ids of each kind are distinct: each kind has its own prefix), and reports whether it named
// any.
func (c *Core) resolveID(ctx context.Context, tenant, id string, f *order.Filter) (bool, error) {
	if _, err := c.d.Orders.Order(ctx, tenant, id); err == nil {
		f.OrderID = id
		return true, nil
	} else if !errors.Is(err, order.ErrNotFound) {
		return false, err
	}
	if _, err := c.d.Orders.Trade(ctx, tenant, id); err == nil {
		f.TradeID = id
		return true, nil
	} else if !errors.Is(err, order.ErrTradeNotFound) {
		return false, err
	}
	if p, err := c.d.Payments.Get(ctx, id); err == nil {
		f.TradeID = p.TradeID()
		return p.Tenant() == tenant, nil
	} else if !errors.Is(err, payment.ErrNotFound) {
		return false, err
	}
	if r, err := c.d.Payments.Refund(ctx, id); err == nil {
		f.OrderID = r.OrderID()
		return r.Tenant() == tenant, nil
	} else if !errors.Is(err, payment.ErrRefundNotFound) {
		return false, err
	}
	return false, nil
}

// ListPayments lists the tenant's payments for its operators, newest first (limit 1-100, 0: 20).
func (c *Core) ListPayments(ctx context.Context, tenant string, f payment.Filter, limit int, cursor string) (payment.Page, error) {
	limit, err := PageSize(limit)
	if err != nil {
		return payment.Page{}, err
	}
	if err := f.Validate(); err != nil {
		return payment.Page{}, err
	}
	return c.d.Payments.ListPayments(ctx, tenant, f, limit, cursor)
}

// ListRefunds lists the tenant's refunds for its operators, newest first (limit 1-100, 0: 20).
func (c *Core) ListRefunds(ctx context.Context, tenant string, f payment.RefundFilter, limit int, cursor string) (payment.RefundPage, error) {
	limit, err := PageSize(limit)
	if err != nil {
		return payment.RefundPage{}, err
	}
	if err := f.Validate(); err != nil {
		return payment.RefundPage{}, err
	}
	return c.d.Payments.ListRefunds(ctx, tenant, f, limit, cursor)
}

// PageSize is a list's page size: 1-100, 20 when 0.
func PageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return 20, nil
	case limit < 0 || limit > 100:
		return 0, errkind.Invalidf("limit must be between 1 and 100")
	}
	return limit, nil
}
