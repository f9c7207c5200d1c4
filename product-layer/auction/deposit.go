package auction

import (
	"context"
	"errors"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// DepositRequest is a buyer paying an auction's deposit, and where the unit goes if they win.
type DepositRequest struct {
	Tenant         string
	Actor          trade.Actor
	AuctionID      string
	Method         string
	ShipTo         order.Address
	IdempotencyKey string
}

// PayDeposit makes the payment of a buyer's deposit on an auction that has not closed: their
// deposit record, pending until the payment succeeds, and the payment's intent (the same one
// while it is pending). A paid deposit is answered as it is.
func (f *Flow) PayDeposit(ctx context.Context, cmd DepositRequest) (*auc.Deposit, *payment.Payment, error) {
	if cmd.Actor.Kind != trade.ActorBuyer {
		return nil, nil, errkind.WithDetail(errkind.ErrForbidden, "only a buyer pays a deposit")
	}
	if err := cmd.Actor.Validate(); err != nil {
		return nil, nil, err
	}
	x, err := f.d.Auctions.Get(ctx, cmd.Tenant, cmd.AuctionID)
	if err != nil {
		return nil, nil, err
	}
	if st := x.StatusAt(f.d.Now()); st != auc.Scheduled && st != auc.Running {
		return nil, nil, errkind.WithDetail(auc.ErrClosed, "the auction is %s", st)
	}
	shipTo, err := order.NormalizeAddress(cmd.ShipTo)
	if err != nil {
		return nil, nil, err
	}
	now := f.d.Now()
	d, _, err := f.d.Deposits.Create(ctx, cmd.Tenant, auc.Deposit{ID: f.d.IDs.NextString(DepositPrefix), AuctionID: x.ID, Bidder: cmd.Actor.ID,
		Amount: x.Deposit, Currency: x.Currency, Status: auc.DepositPending, ShipTo: shipTo, UpdatedAt: now})
	if err != nil {
		return nil, nil, err
	}
	if d.Status != auc.DepositPending {
		var p *payment.Payment
		if d.PaymentID != "" {
			if p, err = f.d.Payments.Get(ctx, d.PaymentID); err != nil {
				return nil, nil, err
			}
		}
		return &d, p, nil
	}
	p, err := f.d.Core.CreateHeldPayment(ctx, trade.HeldPayment{Tenant: cmd.Tenant, UserID: cmd.Actor.ID, HolderID: d.ID, Method: cmd.Method,
		Purpose: payment.Deposit, Amount: money.New(d.Amount, money.MustCurrency(d.Currency)), IdempotencyKey: cmd.IdempotencyKey})
	if err != nil {
		return nil, nil, err
	}
	return &d, p, nil
}

// depositHolder takes the payments of deposits.
type depositHolder struct{ f *Flow }

// Collect implements trade.Holder: a deposit still pending, on an auction still open, is paid; any
// other money (a second payment, or one for an auction that closed meanwhile) is owed back.
func (h depositHolder) Collect(ctx context.Context, p *payment.Payment, now time.Time) (bool, error) {
	d, err := h.f.d.Deposits.Lock(ctx, p.Tenant(), p.TradeID())
	if err != nil {
		return false, err
	}
	if d.Status != auc.DepositPending || p.Purpose() != payment.Deposit || p.Amount().Minor() != d.Amount {
		return false, nil
	}
	x, err := h.f.d.Auctions.Get(ctx, p.Tenant(), d.AuctionID)
	if err != nil {
		return false, err
	}
	if st := x.StatusAt(now); st != auc.Scheduled && st != auc.Running {
		return false, nil
	}
	if err := d.Move(auc.DepositPaid, now); err != nil {
		return false, err
	}
	d.PaymentID = p.ID()
	if err := h.f.d.Deposits.Save(ctx, p.Tenant(), d); err != nil {
		return false, err
	}
	return true, h.f.emitDeposit(ctx, p.Tenant(), TopicDepositPaid, d, now)
}

// depositPaid checks that bidder's deposit on x is paid. A paid deposit stays paid while the
// auction runs (it is refunded, credited or forfeited only once the auction is settled or called
// off, and then bids are refused by the auction's own status), so a node remembers the deposits
// it saw paid and reads each once: a bid in a last-seconds rush reads one row fewer.
func (f *Flow) depositPaid(ctx context.Context, tenant string, x *auc.Auction, bidder string) error {
	key := tenant + "\x00" + x.ID + "\x00" + bidder
	if _, ok := f.paid.Load(key); ok {
		return nil
	}
	d, err := f.d.Deposits.Get(ctx, tenant, x.ID, bidder)
	if errors.Is(err, auc.ErrDepositNotFound) || err == nil && !d.Paid() {
		return errkind.WithDetail(auc.ErrDepositNeeded, "pay the deposit of %s first", money.New(x.Deposit, money.MustCurrency(x.Currency)))
	}
	if err != nil {
		return err
	}
	if f.paidCount.Add(1) > maxPaidRemembered { // a bound, not a policy: start over
		f.paid.Clear()
		f.paidCount.Store(0)
	}
	f.paid.Store(key, struct{}{})
	return nil
}
