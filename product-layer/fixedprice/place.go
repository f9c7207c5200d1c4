package fixedprice

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Buyer and Cart are the trade core's.
type (
	Buyer = trade.Buyer
	Cart  = trade.Cart
)

// Quote is a priced, discounted cart and how it would split. Quote.Total is the list of lines
// before discounts; Payable is what the buyer would pay.
type Quote struct {
	pricing.Quote
	Discount discount.Result
	Payable  money.Amount
	// Warehouses names the warehouses of each line, comma-separated for a line spread over several.
	Warehouses []string
	// Orders are the child orders the cart would place, with their lines as they would ship,
	// and Amounts the money of each.
	Orders  []order.NewOrderSpec
	Amounts []order.Amounts
	// Keys are the split key of each of Orders.
	Keys []string
}

// Quote prices and discounts a cart for a buyer and previews the split, without reserving
// anything. The destination (which may be empty) informs the warehouse choice; coupons are
// checked as an order would check them, but not used.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b Buyer, dest address.Place, cart Cart) (Quote, error) {
	items, err := pricing.NormalizeItems(cart.Items)
	if err != nil {
		return Quote{}, err
	}
	if dest, err = trade.Destination(dest); err != nil {
		return Quote{}, err
	}
	cart.Items = items
	d := &trade.Draft{Call: extensions.Call{Identity: ident, UserID: b.UserID}, Buyer: b, Cart: cart, Dest: dest, At: f.d.Now()}
	if err := f.core.Plan(ctx, d, trade.QuotePlan); err != nil {
		return Quote{}, err
	}
	return QuoteOf(d)
}

// QuoteOf is the quote of a planned draft: its lines, discounts and the child orders it would
// place (any flow's draft: a pre-sale quote shows the same).
func QuoteOf(d *trade.Draft) (Quote, error) {
	out := Quote{Quote: d.Quote, Discount: d.Discount, Payable: d.Total()}
	for i := range d.Quote.Lines {
		out.Warehouses = append(out.Warehouses, d.Warehouses(i))
	}
	for gi, g := range d.Groups {
		spec, _ := d.OrderSpec(gi)
		a, err := spec.Amounts(d.Quote.Currency)
		if err != nil {
			return Quote{}, err
		}
		out.Orders = append(out.Orders, spec)
		out.Amounts = append(out.Amounts, a)
		out.Keys = append(out.Keys, g.Key)
	}
	return out, nil
}

// PlaceOrder is a buyer's request to buy.
type PlaceOrder struct {
	Identity       identity.Identity
	Buyer          Buyer
	Items          []pricing.Item
	Address        order.Address
	IdempotencyKey string
	// Coupons are the codes the buyer applies.
	Coupons []string
	// Currency is the currency to pay in; empty is the first SKU's own.
	Currency string
	// ExpectedTotal, if set, is the total the buyer was shown: a different current total
	// refuses the order with pricing.ErrPriceChanged instead of charging what they did not see.
	ExpectedTotal *money.Amount
}

// scopePlaceOrder is the idempotency scope of placing an order.
const scopePlaceOrder = "place_order"

// PlaceOrder places a fixed-price trade through the core's template (trade.Core.PlaceOrder): it
// plans the order (prices, warehouses, split), lets the business's rules validate it, then
// reserves stock and creates the trade, its orders, the order.created event, the unpaid timer and
// the record of which scripts decided it, in one transaction. With an idempotency key, a repeated
// request returns the trade the first one created.
func (f *Flow) PlaceOrder(ctx context.Context, cmd PlaceOrder) (*order.Trade, error) {
	return f.core.PlaceOrder(ctx, trade.Order{Identity: cmd.Identity, Buyer: cmd.Buyer, Items: cmd.Items, Coupons: cmd.Coupons,
		Currency: cmd.Currency, Address: cmd.Address, Key: cmd.IdempotencyKey, Expected: cmd.ExpectedTotal}, scopePlaceOrder, f.take)
}

// take is how the flow takes an order: the core's plan; the trade awaits its payment for the
// unpaid window.
func (f *Flow) take(context.Context) (trade.Taking, error) {
	return trade.Taking{Plan: trade.PlacePlan, Place: func(_ context.Context, d *trade.Draft) (trade.Placement, error) {
		deadline := f.core.UnpaidDeadline(d.At, time.Time{})
		return trade.Placement{PayDeadline: deadline, Timers: []trade.Timer{{Kind: TimerUnpaid, Due: deadline}}}, nil
	}}, nil
}
