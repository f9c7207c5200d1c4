package fixedprice

import (
	"context"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TimerRefund is the kind of the durable job that asks the provider for a refund (the core's).
// Refunds themselves are after-sale's (product-layer/aftersale), over trades of every flow; this
// flow says which payment collected an order's money (Collected).
const TimerRefund = trade.TimerRefund

// refundablePayment is the trade's succeeded payment that the order's money goes back from. The
// latest succeeded payment is the one that paid the orders (an earlier one that succeeded after
// its trade changed is owed back whole, through payment.refund_required).
func (f *Flow) refundablePayment(ctx context.Context, tr *order.Trade, o *order.Order) (*payment.Payment, error) {
	ps, err := f.d.Payments.ByTrade(ctx, tr.Tenant(), tr.ID())
	if err != nil {
		return nil, err
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Status() == payment.Succeeded && ps[i].Purpose() == payment.Full {
			return ps[i], nil
		}
	}
	return nil, errkind.WithDetail(payment.ErrNotRefundable, "trade %s has no succeeded payment to refund order %s from", tr.ID(), o.ID())
}
