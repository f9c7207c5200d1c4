package presale

// How a pre-sale trade ends short of its balance: the deposit's window closing unpaid, the
// balance's window closing, the buyer's or an operator's cancel, the campaign called off; and a
// deposit refund settling.

import (
	"context"
	"errors"
	"slices"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// refundSettled runs as a refund is recorded paid: a paid deposit whose payment has gone back in
// full (an after-sale refunded the trade: the balance first, then the deposit) reads refunded,
// not paid.
func (f *Flow) refundSettled(ctx context.Context, r *payment.Refund) error {
	p, err := f.d.Core.Payment(ctx, r.Tenant(), r.PaymentID())
	if err != nil || p.Purpose() != payment.Deposit {
		return err
	}
	rec, err := f.d.Trades.LockRecord(ctx, r.Tenant(), r.TradeID())
	if errors.Is(err, ErrNotAPresaleTrade) {
		return nil // another flow's deposit
	}
	if err != nil || rec.DepositStatus != DepositPaidState {
		return err
	}
	back, err := f.d.Core.Refunded(ctx, p)
	if err != nil || back < rec.Deposit {
		return err
	}
	return f.d.Trades.SetDepositStatus(ctx, r.Tenant(), r.TradeID(), DepositRefunded)
}

// depositUnpaid is the deposit timer: orders still awaiting their deposit are cancelled and
// their stock and the buyer's claim given back.
func (f *Flow) depositUnpaid(ctx context.Context, ref string) error {
	return f.expire(ctx, ref, PendingDeposit, ReasonDepositUnpaid, "")
}

// balanceMissed is the balance timer: orders whose deposit is paid but whose balance is not are
// cancelled, their stock and claim given back, and the deposit forfeited (never refunded).
func (f *Flow) balanceMissed(ctx context.Context, ref string) error {
	return f.expire(ctx, ref, DepositPaid, ReasonBalanceMissed, DepositForfeited)
}

func (f *Flow) expire(ctx context.Context, ref string, waiting order.Status, reason, depositTo string) error {
	tenant, tradeID, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	return f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, err := f.d.Orders.LockTrade(ctx, tenant, tradeID)
		if errors.Is(err, order.ErrTradeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		_, _, err = f.end(ctx, t, []order.Status{waiting}, reason, depositTo)
		return err
	})
}

// end cancels, in the caller's transaction with the trade locked, every order of the trade in one
// of the statuses in waiting, gives their stock and the buyer's claim back, and settles the
// deposit as depositTo says: forfeited (kept, never refunded), refunded (owed back through the
// provider), or left as it is (""). Orders already paid in full are refunded whole when the
// deposit is refunded (a campaign called off before they shipped). It returns the refunds to ask
// the provider for once the transaction commits. A deposit is refunded or forfeited, never both,
// never twice: its status moves once, from paid.
func (f *Flow) end(ctx context.Context, t *order.Trade, waiting []order.Status, reason, depositTo string) (int, []*payment.Refund, error) {
	tenant, tradeID := t.Tenant(), t.ID()
	rec, err := f.d.Trades.LockRecord(ctx, tenant, tradeID)
	if err != nil {
		return 0, nil, err
	}
	now := f.d.Now()
	var ended []*order.Order
	for _, o := range t.Orders() {
		undo := trade.Undo{Stock: trade.ReleaseReserved, ClosePayments: true}
		switch {
		case slices.Contains(waiting, o.Status()):
			if err := o.Cancel(reason, now); err != nil {
				return 0, nil, err
			}
		case o.Status() == order.Paid && depositTo == DepositRefunded:
			if err := o.Refund(now); err != nil {
				return 0, nil, err
			}
			undo = trade.Undo{Stock: trade.Restock}
		default:
			continue
		}
		if err := f.d.Orders.Save(ctx, o); err != nil {
			return 0, nil, err
		}
		if _, err := f.d.Core.UndoOrder(ctx, t, o, undo); err != nil {
			return 0, nil, err
		}
		topic := trade.TopicOrderCancelled
		if o.Status() == order.Refunded {
			topic = trade.TopicOrderRefunded
		}
		if _, err := f.d.Outbox.Append(ctx, topic, o.Tenant(), o.TradeID(), trade.NewOrderEvent(o, now, "")); err != nil {
			return 0, nil, err
		}
		ended = append(ended, o)
	}
	if len(ended) == 0 {
		return 0, nil, nil
	}
	if err := f.d.Trades.ReleaseUnits(ctx, tenant, rec.CampaignID, rec.UserID, rec.Units); err != nil {
		return 0, nil, err
	}
	var refunds []*payment.Refund
	if rec.DepositStatus == DepositPaidState && depositTo != "" {
		if err := f.d.Trades.SetDepositStatus(ctx, tenant, tradeID, depositTo); err != nil {
			return 0, nil, err
		}
		switch depositTo {
		case DepositForfeited:
			if _, err := f.d.Outbox.Append(ctx, TopicDepositForfeited, tenant, tradeID, trade.RefundOwed{Tenant: tenant, TradeID: tradeID,
				Amount: rec.Deposit, Currency: rec.Currency, At: now}); err != nil {
				return 0, nil, err
			}
		case DepositRefunded:
			ps, err := f.d.Core.Payments(ctx, tenant, trade.BySystem("presale"), tradeID)
			if err != nil {
				return 0, nil, err
			}
			// Each order gets back its own share of each payment: its deposit, and what it paid
			// of the balance (its total less its credit). The shares add up to the payments.
			share := map[string]OrderShare{}
			for _, sh := range rec.Orders {
				share[sh.OrderID] = sh
			}
			for _, p := range ps {
				if p.Status() != payment.Succeeded || (p.Purpose() != payment.Deposit && p.Purpose() != payment.Balance) {
					continue
				}
				for _, o := range ended {
					amount := share[o.ID()].Deposit
					if p.Purpose() == payment.Balance {
						amount = o.Total().Minor() - share[o.ID()].Credit
					}
					if amount <= 0 {
						continue
					}
					r, err := f.d.Core.OweRefund(ctx, p, o.ID(), reason, money.New(amount, p.Amount().Currency()))
					if err != nil {
						return 0, nil, err
					}
					refunds = append(refunds, r)
				}
			}
		}
	}
	ref := trade.TimerRef(tenant, tradeID)
	for _, kind := range []string{TimerDepositUnpaid, TimerBalanceMissed} {
		if err := f.d.Timers.Cancel(ctx, kind, ref); err != nil {
			return 0, nil, err
		}
	}
	if rec.DepositStatus == DepositPending {
		// Never paid, and now it never will be: it does not read as still owed.
		if err := f.d.Trades.SetDepositStatus(ctx, tenant, tradeID, DepositCancelled); err != nil {
			return 0, nil, err
		}
	}
	closed, err := f.d.Core.CloseRefunded(ctx, t)
	if err != nil {
		return 0, nil, err
	}
	if !closed {
		if _, err := f.d.Core.Advance(ctx, tenant, tradeID, StateCancelled); err != nil {
			return 0, nil, err
		}
	}
	return len(ended), refunds, nil
}

// Cancel reasons of the buyer's and the merchant's own.
const (
	ReasonBuyer             = "buyer_cancelled"
	ReasonCampaignCancelled = "campaign_cancelled"
)

// CancelOrder implements trade.Canceller: an order awaiting its deposit or its balance is
// cancelled with every other such order of its trade; a paid deposit goes back when the
// campaign's terms make it refundable, or an operator gives it back as goodwill, and is forfeited
// otherwise. An order paid in full is refunded, not cancelled.
func (f *Flow) CancelOrder(ctx context.Context, t *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	if o.Status() != PendingDeposit && o.Status() != DepositPaid {
		return nil, errkind.WithDetail(order.ErrInvalidTransition, "order %s is %s: a pre-sale order paid in full is refunded, not cancelled", o.ID(), o.Status())
	}
	rec, err := f.d.Trades.Record(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	camp, err := f.d.Campaigns.Campaign(ctx, t.Tenant(), rec.CampaignID)
	if err != nil {
		return nil, err
	}
	deposit := DepositForfeited
	if camp.DepositRefundable || c.RefundDeposit {
		deposit = DepositRefunded
	}
	reason := ReasonBuyer
	if c.Actor.Kind == trade.ActorOperator {
		reason = c.Reason
	}
	_, refunds, err := f.end(ctx, t, []order.Status{PendingDeposit, DepositPaid}, reason, deposit)
	return refunds, err
}

// CancelCampaign calls a campaign off: no new orders, and every trade of it that has not shipped
// ends (campaign_cancelled): orders awaiting a deposit or a balance are cancelled, orders paid in
// full are refunded, and every deposit and balance paid is refunded through the provider.
// Cancelling a cancelled campaign changes nothing. It returns the campaign and how many trades
// it ended.
func (f *Flow) CancelCampaign(ctx context.Context, tenant, id string) (Campaign, int, error) {
	var c Campaign
	err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, err = f.d.Campaigns.LockCampaign(ctx, tenant, id); err != nil {
			return err
		}
		if c.Status == Cancelled {
			return nil
		}
		c.Status, c.UpdatedAt = Cancelled, f.d.Now().UnixMilli()
		return f.d.Campaigns.PutCampaign(ctx, tenant, c)
	})
	if err != nil {
		return Campaign{}, 0, err
	}
	ids, err := f.d.Trades.TradesOf(ctx, tenant, id)
	if err != nil {
		return Campaign{}, 0, err
	}
	ended := 0
	for _, tradeID := range ids {
		var refunds []*payment.Refund
		n := 0
		err := f.d.Tx.InTx(ctx, func(ctx context.Context) error {
			t, err := f.d.Orders.LockTrade(ctx, tenant, tradeID)
			if err != nil {
				return err
			}
			n, refunds, err = f.end(ctx, t, []order.Status{PendingDeposit, DepositPaid}, ReasonCampaignCancelled, DepositRefunded)
			return err
		})
		if err != nil {
			return c, ended, err // the campaign stays cancelled; calling it again ends the rest
		}
		if n > 0 {
			ended++
		}
		f.d.Core.SettleRefunds(ctx, refunds)
	}
	return c, ended, nil
}
