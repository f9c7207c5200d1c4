package auction

import (
	"context"
	"errors"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// reservation is the id of the stock an auction holds while it runs.
func reservation(id string) string { return "auction:" + id }

func operatorOnly(a trade.Actor) error {
	if a.Kind != trade.ActorOperator {
		return errkind.WithDetail(errkind.ErrForbidden, "only an operator runs auctions")
	}
	return nil
}

// Put creates an auction, holding one unit of its SKU from stock and setting its close timer, or
// changes its terms while nobody has bid (its SKU stays). A SKU without a unit available is
// inventory.insufficient_stock.
func (f *Flow) Put(ctx context.Context, tenant string, a trade.Actor, t auc.Terms) (*auc.Auction, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	sku, err := f.d.Catalog.Get(ctx, tenant, t.SKUID)
	if errors.Is(err, catalog.ErrSKUNotFound) {
		return nil, errkind.WithDetail(auc.ErrInvalidAuction, "sku %s does not exist", t.SKUID)
	}
	if err != nil {
		return nil, err
	}
	if sku.Price().Currency().Code() != t.Currency {
		return nil, errkind.WithDetail(auc.ErrInvalidAuction, "sku %s sells in %s, not %s", t.SKUID, sku.Price().Currency().Code(), t.Currency)
	}
	var out *auc.Auction
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		prev, err := f.d.Auctions.Lock(ctx, tenant, t.ID)
		switch {
		case errors.Is(err, auc.ErrNotFound):
			if _, err := f.d.Inventory.Try(ctx, tenant, reservation(t.ID), []inventory.Demand{{SKUID: t.SKUID, Quantity: 1}}); err != nil {
				return err
			}
		case err != nil:
			return err
		case prev.SKUID != t.SKUID:
			return errkind.WithDetail(auc.ErrInvalidAuction, "auction %s is of sku %s: its sku stays", t.ID, prev.SKUID)
		}
		if out, err = f.d.Auctions.Put(ctx, tenant, t, f.d.Now()); err != nil {
			return err
		}
		return f.d.Timers.Schedule(ctx, TimerClose, auctionRef(tenant, t.ID), out.ClosesAt)
	})
	return out, err
}

// Deposits lists an auction's deposits, for its operators.
func (f *Flow) Deposits(ctx context.Context, tenant string, a trade.Actor, id string) ([]auc.Deposit, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	return f.d.Deposits.OfAuction(ctx, tenant, id)
}

// Sales lists the trades an auction's unit was sold in, for its operators.
func (f *Flow) Sales(ctx context.Context, tenant string, a trade.Actor, id string) ([]auc.Sale, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	return f.d.Sales.Sales(ctx, tenant, id)
}

// Cancel calls an auction off before it is settled: every paid deposit is refunded, its unit goes
// back to stock, and its close timer stops.
func (f *Flow) Cancel(ctx context.Context, tenant string, a trade.Actor, id string) (*auc.Auction, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	var (
		out     *auc.Auction
		refunds []*payment.Refund
	)
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		x, err := f.d.Auctions.Lock(ctx, tenant, id)
		if err != nil {
			return err
		}
		if err := x.Cancel(); err != nil {
			return err
		}
		now := f.d.Now()
		if err := f.d.Auctions.Save(ctx, tenant, x, nil, now); err != nil {
			return err
		}
		if err := f.d.Inventory.Cancel(ctx, tenant, reservation(id)); err != nil {
			return err
		}
		var refunded int64
		if refunds, refunded, err = f.refundDeposits(ctx, tenant, x, "", ReasonCancelled); err != nil {
			return err
		}
		if err := f.d.Timers.Cancel(ctx, TimerClose, auctionRef(tenant, id)); err != nil {
			return err
		}
		out = x
		return f.emitAuction(ctx, tenant, TopicCancelled, x, AuctionEvent{Refunded: refunded, At: now})
	})
	if err != nil {
		return nil, err
	}
	f.d.Core.SettleRefunds(ctx, refunds)
	return out, nil
}

// refundDeposits owes back every paid deposit of x but the one of keep, in the caller's
// transaction, and returns the refunds to ask for after it commits and their total.
func (f *Flow) refundDeposits(ctx context.Context, tenant string, x *auc.Auction, keep, reason string) ([]*payment.Refund, int64, error) {
	ds, err := f.d.Deposits.OfAuction(ctx, tenant, x.ID)
	if err != nil {
		return nil, 0, err
	}
	now := f.d.Now()
	var refunds []*payment.Refund
	var total int64
	for _, peek := range ds {
		if peek.Status != auc.DepositPaid || peek.Bidder == keep {
			continue
		}
		d, err := f.moveDeposit(ctx, tenant, peek.ID, auc.DepositRefunded, now)
		if err != nil {
			return nil, 0, err
		}
		p, err := f.d.Payments.Get(ctx, d.PaymentID)
		if err != nil {
			return nil, 0, err
		}
		r, err := f.d.Core.OweRefund(ctx, p, d.ID, reason, p.Amount())
		if err != nil {
			return nil, 0, err
		}
		refunds = append(refunds, r)
		total += d.Amount
	}
	return refunds, total, nil
}
