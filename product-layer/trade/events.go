package trade

import (
	"time"

	"github.com/atriumtrade/atrium/capability/order"
)

// Topics of the events every kind of trade emits about its orders.
const (
	TopicOrderCreated   = "order.created"
	TopicOrderPaid      = "order.paid"
	TopicOrderCancelled = "order.cancelled"
	TopicOrderShipped   = "order.shipped"
	TopicOrderDelivered = "order.delivered"
	TopicOrderCompleted = "order.completed"
	TopicOrderRefunded  = "order.refunded"
	// TopicPaymentRefundOwed: money arrived that no order takes (the trade was cancelled
	// first); it must go back to the buyer.
	TopicPaymentRefundOwed = "payment.refund_required"
	// TopicPaymentRefunded: the provider accepted a refund.
	TopicPaymentRefunded = "payment.refunded"
)

// RefundOwed is the payload of payment.refund_required.
type RefundOwed struct {
	Tenant    string    `json:"tenant"`
	PaymentID string    `json:"paymentId"`
	TradeID   string    `json:"tradeId"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	At        time.Time `json:"at"`
}

// OrderEvent is the payload of the order.* events.
type OrderEvent struct {
	Tenant   string `json:"tenant"`
	TradeID  string `json:"tradeId"`
	OrderID  string `json:"orderId"`
	UserID   string `json:"userId"`
	SellerID string `json:"sellerId"`
	Status   string `json:"status"`
	// Flow is the order's scenario (fixed_price, presale, cod).
	Flow         string `json:"flow"`
	Total        int64  `json:"total"`
	Currency     string `json:"currency"`
	PaymentID    string `json:"paymentId,omitempty"`
	CancelReason string `json:"cancelReason,omitempty"`
	Carrier      string `json:"carrier,omitempty"`
	TrackingNo   string `json:"trackingNo,omitempty"`
	// AfterSaleID, on order.refunded, names the after-sale request that gave back the order's
	// last units: its units went back request by request, each in its own aftersale.refunded.
	AfterSaleID string `json:"afterSaleId,omitempty"`
	// Lines are what the order holds, each with what the buyer pays for it (minor units).
	Lines []LineEvent `json:"lines"`
	At    time.Time   `json:"at"`
}

// LineEvent is one line of an order in its events.
type LineEvent struct {
	LineNo   int    `json:"lineNo"`
	SKUID    string `json:"skuId"`
	Quantity int64  `json:"quantity"`
	// Paid is the line's total after its discounts.
	Paid int64 `json:"paid"`
}

// TradeCreated is the payload of order.created.
type TradeCreated struct {
	Tenant   string       `json:"tenant"`
	BizCode  string       `json:"bizCode"`
	TradeID  string       `json:"tradeId"`
	UserID   string       `json:"userId"`
	Total    int64        `json:"total"`
	Currency string       `json:"currency"`
	Orders   []OrderEvent `json:"orders"`
	At       time.Time    `json:"at"`
}

// NewOrderEvent is the order.* payload of o as it is at now; paymentID names the payment that
// paid it, if this event is about that.
func NewOrderEvent(o *order.Order, now time.Time, paymentID string) OrderEvent {
	return OrderEvent{Tenant: o.Tenant(), TradeID: o.TradeID(), OrderID: o.ID(), UserID: o.UserID(), SellerID: o.SellerID(),
		Status: string(o.Status()), Flow: string(o.Scenario()), Total: o.Total().Minor(), Currency: o.Total().Currency().Code(), PaymentID: paymentID,
		CancelReason: o.CancelReason(), Carrier: o.Shipment().Carrier, TrackingNo: o.Shipment().TrackingNo, Lines: LineEvents(o), At: now}
}

// LineEvents are o's lines as its events carry them.
func LineEvents(o *order.Order) []LineEvent {
	lines := o.Lines()
	out := make([]LineEvent, len(lines))
	for i, l := range lines {
		out[i] = LineEvent{LineNo: l.LineNo, SKUID: l.SKUID, Quantity: l.Quantity, Paid: l.Payable().Minor()}
	}
	return out
}

// NewTradeCreated is the order.created payload of t.
func NewTradeCreated(t *order.Trade, now time.Time) TradeCreated {
	ev := TradeCreated{Tenant: t.Tenant(), BizCode: t.Identity().BizCode(), TradeID: t.ID(), UserID: t.UserID(),
		Total: t.Total().Minor(), Currency: t.Total().Currency().Code(), At: now}
	for _, o := range t.Orders() {
		ev.Orders = append(ev.Orders, NewOrderEvent(o, now, ""))
	}
	return ev
}
