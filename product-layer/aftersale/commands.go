package aftersale

import (
	"context"
	"fmt"
	"time"

	asale "github.com/atriumtrade/atrium/capability/aftersale"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// step runs one command on request id in a transaction: the request's trade is locked first (as
// every change to its orders locks it), then the request. apply returns the refunds it owed, asked
// of their providers once the transaction commits.
func (f *Flow) step(ctx context.Context, tenant string, a trade.Actor, id string,
	apply func(ctx context.Context, t *order.Trade, o *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error)) (*asale.AfterSale, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	peek, err := f.d.Store.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if !a.Sees(peek.UserID()) {
		return nil, asale.ErrNotFound
	}
	var (
		out     *asale.AfterSale
		refunds []*payment.Refund
	)
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, o, err := f.d.Core.LockOrder(ctx, tenant, trade.BySystem("aftersale"), peek.OrderID())
		if err != nil {
			return err
		}
		r, err := f.d.Store.Lock(ctx, tenant, id)
		if err != nil {
			return err
		}
		if refunds, err = apply(ctx, t, o, r, f.d.Now()); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.d.Core.SettleRefunds(ctx, refunds)
	if len(refunds) > 0 {
		return f.d.Store.Get(ctx, tenant, id)
	}
	return out, nil
}

func operatorOnly(a trade.Actor) error {
	if a.Kind == trade.ActorBuyer {
		return errkind.WithDetail(errkind.ErrForbidden, "only an operator decides on an after-sale")
	}
	return nil
}

func buyerOnly(a trade.Actor) error {
	if a.Kind != trade.ActorBuyer {
		return errkind.WithDetail(errkind.ErrForbidden, "only the buyer does this")
	}
	return nil
}

func by(a trade.Actor) string {
	if a.Kind == trade.ActorSystem {
		return "rule:" + a.ID
	}
	return a.ID
}

// Approve accepts a request at what it offers, or at amount minor units of its currency (a
// partial refund, with a reason). A refund-only request is refunded at once; a return waits for
// the goods.
func (f *Flow) Approve(ctx context.Context, tenant string, a trade.Actor, id string, amount *int64, reason string) (*asale.AfterSale, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	return f.step(ctx, tenant, a, id, func(ctx context.Context, t *order.Trade, o *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		policy, err := f.d.Store.Policy(ctx, tenant)
		if err != nil {
			return nil, err
		}
		var grant *money.Amount
		if amount != nil {
			g := money.New(*amount, r.Amount().Currency())
			grant = &g
		}
		return f.approveLocked(ctx, t, o, r, grant, reason, by(a), policy, now)
	})
}

// approveLocked approves r, with its trade and itself locked: a refund only is refunded now, a
// return waits for the goods until the ship-back window ends.
func (f *Flow) approveLocked(ctx context.Context, t *order.Trade, o *order.Order, r *asale.AfterSale, amount *money.Amount, reason, by string,
	policy asale.Policy, now time.Time) ([]*payment.Refund, error) {
	if err := r.Approve(amount, reason, by, now); err != nil {
		return nil, err
	}
	if err := f.d.Timers.Cancel(ctx, TimerSellerWindow, timerRef(r.Tenant(), r.ID())); err != nil {
		return nil, err
	}
	if err := f.emit(ctx, TopicApproved, r, trade.Returned{}); err != nil {
		return nil, err
	}
	if r.Kind() == asale.ReturnRefund {
		if err := f.d.Store.Save(ctx, r); err != nil {
			return nil, err
		}
		return nil, f.d.Timers.Schedule(ctx, TimerShipBack, timerRef(r.Tenant(), r.ID()), now.Add(policy.ShipBackWindow))
	}
	return f.refundLocked(ctx, t, o, r, now)
}

// Reject refuses a request with a reason; its units may be asked for again.
func (f *Flow) Reject(ctx context.Context, tenant string, a trade.Actor, id, reason string) (*asale.AfterSale, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	return f.step(ctx, tenant, a, id, func(ctx context.Context, _ *order.Trade, _ *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		if err := r.Reject(reason, by(a), now); err != nil {
			return nil, err
		}
		return nil, f.finishStep(ctx, r, TopicRejected, TimerSellerWindow)
	})
}

// Cancel withdraws a request, by its buyer, before a decision.
func (f *Flow) Cancel(ctx context.Context, tenant string, a trade.Actor, id string) (*asale.AfterSale, error) {
	if err := buyerOnly(a); err != nil {
		return nil, err
	}
	return f.step(ctx, tenant, a, id, func(ctx context.Context, _ *order.Trade, _ *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		if err := r.Cancel(now); err != nil {
			return nil, err
		}
		return nil, f.finishStep(ctx, r, TopicCancelled, TimerSellerWindow)
	})
}

// ShipBack records the buyer's return parcel of an approved return.
func (f *Flow) ShipBack(ctx context.Context, tenant string, a trade.Actor, id string, s asale.Shipment) (*asale.AfterSale, error) {
	if err := buyerOnly(a); err != nil {
		return nil, err
	}
	return f.step(ctx, tenant, a, id, func(ctx context.Context, _ *order.Trade, _ *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		if err := r.ShipBack(s, now); err != nil {
			return nil, err
		}
		return nil, f.finishStep(ctx, r, TopicReturnShipped, TimerShipBack)
	})
}

// Receive records that a return's goods arrived and in what condition, and refunds it: sellable
// goods go back on sale, damaged ones to the damaged count.
func (f *Flow) Receive(ctx context.Context, tenant string, a trade.Actor, id string, c asale.Condition) (*asale.AfterSale, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	return f.step(ctx, tenant, a, id, func(ctx context.Context, t *order.Trade, o *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		if err := r.Receive(c, by(a), now); err != nil {
			return nil, err
		}
		if err := f.emit(ctx, TopicReceived, r, trade.Returned{}); err != nil {
			return nil, err
		}
		return f.refundLocked(ctx, t, o, r, now)
	})
}

// finishStep saves r, emits topic and cancels the timer the step makes moot.
func (f *Flow) finishStep(ctx context.Context, r *asale.AfterSale, topic, timer string) error {
	if err := f.d.Store.Save(ctx, r); err != nil {
		return err
	}
	if err := f.d.Timers.Cancel(ctx, timer, timerRef(r.Tenant(), r.ID())); err != nil {
		return err
	}
	return f.emit(ctx, topic, r, trade.Returned{})
}

// sellerWindowDue approves a request nobody answered in time.
func (f *Flow) sellerWindowDue(ctx context.Context, ref string) error {
	tenant, id, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	_, err = f.step(ctx, tenant, trade.BySystem("seller_window"), id, func(ctx context.Context, t *order.Trade, o *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		if r.Status() != asale.Requested {
			return nil, nil // answered meanwhile
		}
		policy, err := f.d.Store.Policy(ctx, tenant)
		if err != nil {
			return nil, err
		}
		return f.approveLocked(ctx, t, o, r, nil, "", "rule:seller_window", policy, now)
	})
	return err
}

// shipBackDue closes an approved return that was never shipped back.
func (f *Flow) shipBackDue(ctx context.Context, ref string) error {
	tenant, id, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	_, err = f.step(ctx, tenant, trade.BySystem("ship_back_window"), id, func(ctx context.Context, _ *order.Trade, _ *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
		if r.Status() != asale.Approved {
			return nil, nil // shipped meanwhile
		}
		if err := r.Close("the goods were not shipped back in time", now); err != nil {
			return nil, err
		}
		return nil, f.finishStep(ctx, r, TopicClosed, TimerShipBack)
	})
	return err
}

// refundLocked owes r's amount back to the order's payments and gives back what its units held,
// in the caller's transaction with the trade and r locked (see the package doc).
func (f *Flow) refundLocked(ctx context.Context, t *order.Trade, o *order.Order, r *asale.AfterSale, now time.Time) ([]*payment.Refund, error) {
	earlier, err := f.d.Store.OfOrder(ctx, r.Tenant(), o.ID())
	if err != nil {
		return nil, err
	}
	st, err := stage(o)
	if err != nil {
		return nil, err
	}
	_, collected, err := f.book(ctx, t, o, nil, st != asale.NotShipped)
	if err != nil {
		return nil, err
	}
	refunds, err := f.oweRefunds(ctx, o, r, collected)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(refunds))
	for i, p := range refunds {
		ids[i] = p.ID()
	}
	if err := r.StartRefund(ids, now); err != nil {
		return nil, err
	}

	// What the units held: stock, limit claims, their part of campaign budgets.
	var before, this int64
	refunded := map[int]int64{}
	for _, e := range earlier {
		if e.ID() != r.ID() && (e.Status() == asale.Refunding || e.Status() == asale.Refunded) {
			for _, l := range e.Lines() {
				before += l.Discount.Minor()
				refunded[l.LineNo] += l.Quantity
			}
		}
	}
	var lines []inventory.Line
	for _, l := range r.Lines() {
		this += l.Discount.Minor()
		refunded[l.LineNo] += l.Quantity
		lines = append(lines, inventory.Line{SKUID: l.SKUID, WarehouseID: l.WarehouseID, Quantity: l.Quantity})
	}
	campaigns := map[string]int64{}
	for _, d := range o.Discounts() {
		if d.CampaignID != "" {
			campaigns[d.CampaignID] += d.Amount.Minor()
		}
	}
	budgets, err := asale.Budgets(campaigns, o.Amounts().Discount.Minor(), before, this)
	if err != nil {
		return nil, err
	}
	whole := true
	for _, l := range o.Lines() {
		whole = whole && refunded[l.LineNo] >= l.Quantity
	}
	if whole {
		if err := o.Refund(now); err != nil {
			return nil, err
		}
		if err := f.d.Orders.Save(ctx, o); err != nil {
			return nil, err
		}
		ev := trade.NewOrderEvent(o, now, "")
		ev.AfterSaleID = r.ID()
		if _, err := f.d.Outbox.Append(ctx, trade.TopicOrderRefunded, o.Tenant(), o.TradeID(), ev); err != nil {
			return nil, err
		}
		if _, err := f.d.Core.CloseRefunded(ctx, t); err != nil {
			return nil, err
		}
	}
	stock := trade.KeepStock // refunded while the goods were on their way: they are not back
	switch {
	case r.Kind() == asale.ReturnRefund && r.Condition() == asale.Damaged:
		stock = trade.Damaged
	case r.Kind() == asale.ReturnRefund || st == asale.NotShipped:
		stock = trade.Restock
	}
	back, err := f.d.Core.UndoUnits(ctx, t, o, trade.Units{ReturnID: r.ID(), Lines: lines, Stock: stock, Budgets: budgets, Whole: whole})
	if err != nil {
		return nil, err
	}
	if len(refunds) == 0 {
		// Nothing to pay back (a free gift, or a business's rule gave nothing): done.
		if err := r.Finish(now); err != nil {
			return nil, err
		}
	}
	if err := f.d.Store.Save(ctx, r); err != nil {
		return nil, err
	}
	topic := TopicRefunding
	if r.Status() == asale.Refunded {
		topic = TopicRefunded
	}
	return refunds, f.emit(ctx, topic, r, back)
}

// oweRefunds owes r's amount to the payments that collected the order's money, in the order its
// flow gives (a pre-sale's balance before its deposit), each never more than it collected for the
// order less what earlier refunds of the order took from it.
func (f *Flow) oweRefunds(ctx context.Context, o *order.Order, r *asale.AfterSale, collected []trade.Collected) ([]*payment.Refund, error) {
	left := r.Amount().Minor()
	if left == 0 {
		return nil, nil
	}
	prior, err := f.d.Payments.RefundsOfOrders(ctx, o.Tenant(), []string{o.ID()})
	if err != nil {
		return nil, err
	}
	taken := map[string]int64{}
	for _, p := range prior {
		taken[p.PaymentID()] += p.Amount().Minor()
	}
	var out []*payment.Refund
	for _, c := range collected {
		take := min(left, c.Amount-taken[c.Payment.ID()])
		if take <= 0 {
			continue
		}
		p, err := f.d.Core.OweAfterSaleRefund(ctx, c.Payment, o.ID(), r.ID(), r.Reason(), money.New(take, c.Payment.Amount().Currency()))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		if left -= take; left == 0 {
			return out, nil
		}
	}
	return nil, errkind.WithDetail(payment.ErrRefundTooLarge, "order %s: %d more to give back than its payments collected", o.ID(), left)
}

// refundSettled runs in the transaction that records a refund paid: the request it belongs to is
// refunded once every one of its refunds is.
func (f *Flow) refundSettled(ctx context.Context, p *payment.Refund) error {
	if p.AfterSaleID() == "" {
		return nil
	}
	r, err := f.d.Store.Lock(ctx, p.Tenant(), p.AfterSaleID())
	if err != nil {
		return fmt.Errorf("aftersale: refund %s names request %s: %w", p.ID(), p.AfterSaleID(), err)
	}
	if r.Status() != asale.Refunding {
		return nil
	}
	for _, id := range r.RefundIDs() {
		if id == p.ID() {
			continue
		}
		other, err := f.d.Payments.Refund(ctx, id)
		if err != nil {
			return err
		}
		if other.Status() != payment.RefundSucceeded {
			return nil
		}
	}
	if err := r.Finish(f.d.Now()); err != nil {
		return err
	}
	if err := f.d.Store.Save(ctx, r); err != nil {
		return err
	}
	return f.emit(ctx, TopicRefunded, r, trade.Returned{})
}
