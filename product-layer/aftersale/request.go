package aftersale

import (
	"context"
	"time"

	asale "github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Request is a buyer asking for some units of one child order back.
type Request struct {
	Tenant  string
	Actor   trade.Actor
	OrderID string
	Kind    asale.Kind
	Lines   []asale.Ask
	Reason  string
	Note    string
	// IdempotencyKey, if set, makes a repeat of the request return the first result.
	IdempotencyKey string
}

// Request makes an after-sale request. The same idempotency key with the same request returns
// the first result; with another request, request.idempotency_conflict. A refund-only request
// for goods that have not shipped is approved and refunded at once where the tenant's policy
// says so.
func (f *Flow) Request(ctx context.Context, cmd Request) (*asale.AfterSale, error) {
	if cmd.Actor.Kind != trade.ActorBuyer {
		return nil, errkind.WithDetail(errkind.ErrForbidden, "only the buyer asks for an after-sale")
	}
	if err := cmd.Actor.Validate(); err != nil {
		return nil, err
	}
	if err := trade.ValidateKey(cmd.IdempotencyKey); err != nil {
		return nil, err
	}
	switch {
	case !asale.ValidKind(cmd.Kind):
		return nil, errkind.WithDetail(asale.ErrInvalidRequest, "kind must be refund_only or return_refund")
	case cmd.Reason == "":
		return nil, errkind.WithDetail(asale.ErrInvalidRequest, "reason is required")
	case len(cmd.Lines) == 0 || len(cmd.Lines) > 200:
		return nil, errkind.WithDetail(asale.ErrInvalidRequest, "1-200 lines")
	}
	if err := asale.ValidText("reason", cmd.Reason, asale.MaxReasonLen); err != nil {
		return nil, err
	}
	if err := asale.ValidText("note", cmd.Note, asale.MaxNoteLen); err != nil {
		return nil, err
	}
	hash := trade.RequestHash([]any{cmd.OrderID, cmd.Kind, cmd.Lines, cmd.Reason, cmd.Note})
	if cmd.IdempotencyKey == "" {
		return f.request(ctx, cmd, hash)
	}
	if a, found, err := f.answered(ctx, cmd, hash); err != nil || found {
		return a, err
	}
	a, err := f.request(ctx, cmd, hash)
	if err != nil {
		// A twin sent with the same key may have committed while this one was being checked, so
		// that the check saw the units it took ("quantity exceeds what remains"): its answer is
		// this request's too.
		if twin, found, lerr := f.answered(ctx, cmd, hash); lerr == nil && found {
			return twin, nil
		}
	}
	return a, err
}

// answered is the after-sale a request with cmd's key already made, if any.
func (f *Flow) answered(ctx context.Context, cmd Request, hash string) (*asale.AfterSale, bool, error) {
	prev, found, err := f.d.Idempotency.Lookup(ctx, cmd.Tenant, cmd.Actor.ID, scopeRequest, cmd.IdempotencyKey, hash)
	if err != nil || !found {
		return nil, false, err
	}
	a, err := f.d.Store.Get(ctx, cmd.Tenant, prev)
	return a, err == nil, err
}

// request checks and makes a validated request (see Request).
func (f *Flow) request(ctx context.Context, cmd Request, hash string) (*asale.AfterSale, error) {

	// What the business's scripts decide, before anything is locked.
	o, err := f.d.Core.Order(ctx, cmd.Tenant, cmd.Actor, cmd.OrderID)
	if err != nil {
		return nil, err
	}
	t, err := f.d.Core.Trade(ctx, cmd.Tenant, cmd.Actor, o.TradeID())
	if err != nil {
		return nil, err
	}
	policy, err := f.d.Store.Policy(ctx, cmd.Tenant)
	if err != nil {
		return nil, err
	}
	tags, err := f.tags(ctx, cmd.Tenant, o, cmd.Lines)
	if err != nil {
		return nil, err
	}
	now := f.d.Now()
	in, err := f.check(ctx, t, o, cmd, policy, tags, now)
	if err != nil {
		return nil, err
	}
	// The reverse flow runs as scenario refund of the trade's business line: a business scripts
	// its after-sale at bizCode/refund (or bizCode/*, tenant/*); the input names the trade's own.
	ident, err := identity.New(t.Tenant(), t.Identity().BizCode(), Scenario)
	if err != nil {
		return nil, err
	}
	call := extensions.Call{Identity: ident, UserID: cmd.Actor.ID}
	verdict, err := EligibilityPoint.Run(ctx, f.d.Ext, call, in)
	if err != nil {
		return nil, err
	}
	if verdict.Reject {
		return nil, errkind.WithDetail(asale.ErrRefused, "%s", verdict.Public())
	}
	offer, err := AmountPoint.Run(ctx, f.d.Ext, call, in)
	if err != nil {
		return nil, err
	}

	var result *asale.AfterSale
	var refunds []*payment.Refund
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		result, refunds = nil, nil
		id := f.d.IDs.NextString("AS")
		if cmd.IdempotencyKey != "" {
			prev, found, err := f.d.Idempotency.Claim(ctx, cmd.Tenant, cmd.Actor.ID, scopeRequest, cmd.IdempotencyKey, hash, id)
			if err != nil {
				return err
			}
			if found {
				result, err = f.d.Store.Get(ctx, cmd.Tenant, prev)
				return err
			}
		}
		t, o, err := f.d.Core.LockOrder(ctx, cmd.Tenant, cmd.Actor, cmd.OrderID)
		if err != nil {
			return err
		}
		now := f.d.Now()
		st, err := stage(o)
		if err != nil {
			return err
		}
		if err := policy.Eligible(cmd.Kind, asale.Goods{Stage: st, DeliveredAt: deliveredAt(o), Tags: tags}, now); err != nil {
			return err
		}
		earlier, err := f.d.Store.OfOrder(ctx, cmd.Tenant, o.ID())
		if err != nil {
			return err
		}
		b, _, err := f.book(ctx, t, o, earlier, st != asale.NotShipped)
		if err != nil {
			return err
		}
		q, err := b.Quote(cmd.Lines, policy.Shipping)
		if err != nil {
			return err
		}
		a, err := asale.New(asale.Spec{ID: id, Tenant: cmd.Tenant, TradeID: t.ID(), OrderID: o.ID(), UserID: o.UserID(), Kind: cmd.Kind,
			Lines: q.Lines, Shipping: q.Shipping, Reason: cmd.Reason, Note: cmd.Note}, now)
		if err != nil {
			return err
		}
		// The script saw the units before the order was locked; a request made meanwhile can
		// move the rounding by a minor unit, so its amount caps the offer rather than sets it.
		if offer.Amount < a.Amount().Minor() {
			if err := a.Lower(money.New(offer.Amount, a.Amount().Currency()), "rule:"+AmountPoint.Name()); err != nil {
				return err
			}
		}
		if err := f.d.Store.Create(ctx, a); err != nil {
			return err
		}
		if err := f.emit(ctx, TopicRequested, a, trade.Returned{}); err != nil {
			return err
		}
		result = a
		if cmd.Kind == asale.RefundOnly && st == asale.NotShipped && policy.AutoApproveUnshipped {
			if refunds, err = f.approveLocked(ctx, t, o, a, nil, "", "rule:auto_approve_unshipped", policy, now); err != nil {
				return err
			}
			return nil
		}
		if policy.SellerWindow > 0 {
			return f.d.Timers.Schedule(ctx, TimerSellerWindow, timerRef(cmd.Tenant, a.ID()), now.Add(policy.SellerWindow))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.d.Core.SettleRefunds(ctx, refunds)
	if len(refunds) > 0 {
		// Read it back: the provider may have accepted at once, refunding the request.
		return f.d.Store.Get(ctx, cmd.Tenant, result.ID())
	}
	return result, nil
}

// tags are the SKU tags of each asked line, by line number; a line the order does not have is
// left for Quote to refuse.
func (f *Flow) tags(ctx context.Context, tenant string, o *order.Order, asks []asale.Ask) (map[int][]string, error) {
	skuOf := map[int]string{}
	for _, l := range o.Lines() {
		skuOf[l.LineNo] = l.SKUID
	}
	var ids []string
	for _, a := range asks {
		if sku, ok := skuOf[a.LineNo]; ok {
			ids = append(ids, sku)
		}
	}
	skus, err := f.d.Catalog.GetMany(ctx, tenant, ids)
	if err != nil {
		return nil, err
	}
	out := map[int][]string{}
	for _, a := range asks {
		if sku, ok := skuOf[a.LineNo]; ok {
			out[a.LineNo] = skus[sku].Tags()
		}
	}
	return out, nil
}

// check runs the platform's rules on a request without locking anything, and returns what the
// business's scripts see.
func (f *Flow) check(ctx context.Context, t *order.Trade, o *order.Order, cmd Request, policy asale.Policy, tags map[int][]string, now time.Time) (PointInput, error) {
	st, err := stage(o)
	if err != nil {
		return PointInput{}, err
	}
	if err := policy.Eligible(cmd.Kind, asale.Goods{Stage: st, DeliveredAt: deliveredAt(o), Tags: tags}, now); err != nil {
		return PointInput{}, err
	}
	earlier, err := f.d.Store.OfOrder(ctx, cmd.Tenant, o.ID())
	if err != nil {
		return PointInput{}, err
	}
	b, _, err := f.book(ctx, t, o, earlier, st != asale.NotShipped)
	if err != nil {
		return PointInput{}, err
	}
	q, err := b.Quote(cmd.Lines, policy.Shipping)
	if err != nil {
		return PointInput{}, err
	}
	in := PointInput{OrderID: o.ID(), TradeID: t.ID(), UserID: o.UserID(), Scenario: string(o.Scenario()), Kind: string(cmd.Kind),
		Reason: cmd.Reason, Stage: stageName(st), At: now.UnixMilli(), Currency: o.Total().Currency().Code(),
		Shipping: q.Shipping.Minor()}
	if !o.DeliveredAt().IsZero() {
		in.DeliveredAt = o.DeliveredAt().UnixMilli()
	}
	bought := map[int]int64{}
	for _, l := range o.Lines() {
		bought[l.LineNo] = l.Quantity
	}
	in.Computed = q.Shipping.Minor()
	for _, l := range q.Lines {
		tg := tags[l.LineNo]
		if tg == nil {
			tg = []string{}
		}
		in.Lines = append(in.Lines, PointLine{LineNo: l.LineNo, SKUID: l.SKUID, Tags: tg, Bought: bought[l.LineNo], Quantity: l.Quantity,
			Amount: l.Amount.Minor()})
		in.Computed += l.Amount.Minor()
	}
	return in, nil
}

func stageName(s asale.Stage) string {
	switch s {
	case asale.InTransit:
		return "in_transit"
	case asale.DeliveredStage:
		return "delivered"
	}
	return "not_shipped"
}

// RefundWhole is the shorthand for a refund-only request of every unit of a paid order that has
// not shipped, approved at once by whoever asks (the buyer, or an operator for them), whatever the
// tenant's policy: its goods, its discounts' share and its shipping part go back. Asked again for
// a refunded order, it answers the refunds it made. reason names who asked (buyer_requested,
// operator_refunded) on the request and its refunds.
func (f *Flow) RefundWhole(ctx context.Context, tenant string, a trade.Actor, orderID, reason string) (*order.Order, []*payment.Refund, error) {
	if err := a.Validate(); err != nil {
		return nil, nil, err
	}
	var (
		o       *order.Order
		refunds []*payment.Refund
		fresh   bool
	)
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		refunds, fresh = nil, false
		t, locked, err := f.d.Core.LockOrder(ctx, tenant, a, orderID)
		if err != nil {
			return err
		}
		o = locked
		if o.Status() == order.Refunded {
			refunds, err = f.d.Payments.RefundsOfOrders(ctx, tenant, []string{o.ID()})
			return err
		}
		if o.Status() != order.Paid {
			// Goods that left the warehouse come back by line and unit, through a request.
			return errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: only a paid order that has not shipped is refunded whole", o.ID(), o.Status())
		}
		earlier, err := f.d.Store.OfOrder(ctx, tenant, o.ID())
		if err != nil {
			return err
		}
		b, _, err := f.book(ctx, t, o, earlier, false)
		if err != nil {
			return err
		}
		var asks []asale.Ask
		left := b.Remaining()
		for _, l := range o.Lines() {
			if left[l.LineNo] > 0 {
				asks = append(asks, asale.Ask{LineNo: l.LineNo, Quantity: left[l.LineNo]})
			}
		}
		if len(asks) == 0 {
			return errkind.WithDetail(asale.ErrTooManyUnits, "every unit of order %s is already asked for", o.ID())
		}
		q, err := b.Quote(asks, asale.ShipWholeOrder)
		if err != nil {
			return err
		}
		now := f.d.Now()
		r, err := asale.New(asale.Spec{ID: f.d.IDs.NextString("AS"), Tenant: tenant, TradeID: t.ID(), OrderID: o.ID(), UserID: o.UserID(),
			Kind: asale.RefundOnly, Lines: q.Lines, Shipping: q.Shipping, Reason: reason}, now)
		if err != nil {
			return err
		}
		if err := f.d.Store.Create(ctx, r); err != nil {
			return err
		}
		if err := f.emit(ctx, TopicRequested, r, trade.Returned{}); err != nil {
			return err
		}
		policy, err := f.d.Store.Policy(ctx, tenant)
		if err != nil {
			return err
		}
		fresh = true
		decider := by(a)
		if a.Kind == trade.ActorBuyer {
			decider = "rule:refund_unshipped"
		}
		refunds, err = f.approveLocked(ctx, t, o, r, nil, "", decider, policy, now)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if fresh {
		f.d.Core.SettleRefunds(ctx, refunds)
		if o, err = f.d.Orders.Order(ctx, tenant, orderID); err != nil {
			return nil, nil, err
		}
		if refunds, err = f.d.Payments.RefundsOfOrders(ctx, tenant, []string{orderID}); err != nil {
			return nil, nil, err
		}
	}
	return o, refunds, nil
}
