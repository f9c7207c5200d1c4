package trade

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/capability/splitting"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Buyer is who places or quotes an order: the user, their member level and the channel, as the
// access layer authenticated them. It is one value every plan step reads, never copied into each
// capability's input by hand.
type Buyer struct {
	UserID      string
	MemberLevel string
	Channel     string
}

// Cart is what a plan prices: items, the coupons applied and, optionally, the currency to pay
// in (empty: the first SKU's own currency).
type Cart struct {
	Items    []pricing.Item
	Coupons  []string
	Currency string
}

// Draft is a cart on its way to becoming a trade: what the plan steps worked out, before anything
// is reserved. Steps fill it in order; a flow may replace a step (an auction prices at the
// winning bid, a pre-sale at its campaign's price) and the rest work on what it left.
type Draft struct {
	Call  extensions.Call
	Buyer Buyer
	Cart  Cart
	// Dest informs the warehouse choice and shipping; Address is set when placing (a quote may
	// have none).
	Dest    address.Place
	Address order.Address
	At      time.Time

	// Price fills these.
	SKUs  map[string]catalog.SKU
	Quote pricing.Quote
	// Discount fills this.
	Discount discount.Result
	// ChooseStock and Split fill these: the cart's lines as they ship (one part per line, or
	// several for a line spread over warehouses), and the child orders as groups of parts.
	Parts  []Part
	Groups []splitting.Group
	// Shipping fills this: each group's part of its seller's shipping fee.
	Shipping []int64
	// Limits fills this: the counters the order transaction must claim.
	Claims []limits.Claim
}

// Part is a cart line, or the share of it, that one warehouse ships. Its money is the line's in
// proportion to quantity, and each promotion's part of the line is divided so that the parts
// add up to the line exactly (see newParts).
type Part struct {
	Line     int // index into Quote.Lines
	Stock    inventory.Line
	Total    int64
	Discount int64
	Promos   []int64 // this part's share of each of Discount.Applied
}

// Step is one step of a plan, written once over the Draft.
type Step struct {
	Name string
	Run  func(c *Core, ctx context.Context, d *Draft) error
}

// Plan is the steps a flow runs, in order.
type Plan []Step

// The standard steps. Extension points run in them: pricing.unit_price (Price),
// discount.promotions (Discount), inventory.choose_warehouse (ChooseStock), splitting.split_key
// (Split), delivery.shipping_fee (Shipping), order.validate (Validate) and limits.check (Limits).
var (
	StepPrice       = Step{"price", (*Core).price}
	StepDiscount    = Step{"discount", (*Core).discount}
	StepChooseStock = Step{"choose_stock", (*Core).chooseStock}
	StepSplit       = Step{"split", (*Core).split}
	StepShipping    = Step{"shipping", (*Core).shipping}
	StepValidate    = Step{"validate", (*Core).validate}
	StepLimits      = Step{"limits", (*Core).limits}
)

// QuotePlan prices a cart and previews its split; PlacePlan also validates it and checks its
// purchase limits, as placing an order does.
var (
	QuotePlan = Plan{StepPrice, StepDiscount, StepChooseStock, StepSplit, StepShipping}
	PlacePlan = Plan{StepPrice, StepDiscount, StepChooseStock, StepSplit, StepShipping, StepValidate, StepLimits}
)

// Replace returns the plan with the step named like s replaced by s.
func (p Plan) Replace(s Step) Plan {
	out := append(Plan(nil), p...)
	for i := range out {
		if out[i].Name == s.Name {
			out[i] = s
			return out
		}
	}
	panic("trade: the plan has no step " + s.Name)
}

// Plan runs the plan's steps on d, in order.
func (c *Core) Plan(ctx context.Context, d *Draft, p Plan) error {
	for _, s := range p {
		if err := s.Run(c, ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// planOrder plans d with p; if the buyer was shown a total, it checks that it still is before the
// steps from validation on run, so that a changed price is said as such (pricing.ErrPriceChanged),
// not charged and not judged by the business's rules.
func (c *Core) planOrder(ctx context.Context, d *Draft, p Plan, expected *money.Amount) error {
	at := len(p)
	for i, st := range p {
		if st.Name == StepValidate.Name {
			at = i
			break
		}
	}
	if err := c.Plan(ctx, d, p[:at]); err != nil {
		return err
	}
	if total := d.Total(); expected != nil && (expected.Currency() != d.Quote.Currency || expected.Minor() != total.Minor()) {
		return errkind.WithDetail(pricing.ErrPriceChanged, "the total is now %s %s", total, d.Quote.Currency.Code())
	}
	return c.Plan(ctx, d, p[at:])
}

// Total is what the buyer pays: the goods after discounts, plus shipping.
func (d *Draft) Total() money.Amount {
	total := d.Quote.Total.Minor() - d.Discount.Total
	for _, fee := range d.Shipping {
		total += fee // fees are bounded (delivery.MaxFee per seller, 50 lines at most)
	}
	return money.New(total, d.Quote.Currency)
}

func (c *Core) price(ctx context.Context, d *Draft) error {
	items, tenant := d.Cart.Items, d.Call.Identity.Tenant()
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.SKUID
	}
	skus, err := c.d.Catalog.GetMany(ctx, tenant, ids)
	if err != nil {
		return err
	}
	var cur money.Currency
	if d.Cart.Currency != "" {
		if cur, err = money.ParseCurrency(d.Cart.Currency); err != nil {
			return errkind.Invalidf("currency %q is not an ISO 4217 code", d.Cart.Currency)
		}
	}
	buyer := pricing.Buyer{UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel}
	implicit := cur.IsZero()
	if sku, ok := skus[items[0].SKUID]; ok && implicit { // the first SKU's currency unless the buyer chose one
		cur = sku.Price().Currency()
	}
	base := pricing.Resolve(nil, buyer, d.At, cur, skus) // the SKUs' own prices
	if c.d.Prices != nil {
		if base, err = c.d.Prices.For(ctx, tenant, buyer, d.At, cur, skus); err != nil {
			return err
		}
	}
	for _, it := range items {
		if sku, ok := skus[it.SKUID]; ok && implicit {
			if _, priced := base[it.SKUID]; !priced {
				return errkind.WithDetail(pricing.ErrMixedCurrency, "sku %s is priced in %s, the cart in %s",
					sku.ID(), sku.Price().Currency().Code(), cur.Code())
			}
		}
	}
	d.SKUs = skus
	d.Quote, err = pricing.Price(ctx, c.d.Ext, d.Call, buyer, d.At, items, skus, cur, base)
	return err
}

// PriceAt prices the draft's cart in cur at prices a flow sets (a pre-sale's, an auction's
// winning bid) instead of the tenant's price lists: the SKUs must exist, each must have a price,
// and pricing.unit_price runs on top as it does for any cart. listID names where the prices come
// from on the order's lines.
func (c *Core) PriceAt(ctx context.Context, d *Draft, cur money.Currency, price func(skuID string) (int64, bool), listID string) error {
	ids := make([]string, len(d.Cart.Items))
	for i, it := range d.Cart.Items {
		ids[i] = it.SKUID
	}
	skus, err := c.d.Catalog.GetMany(ctx, d.Call.Identity.Tenant(), ids)
	if err != nil {
		return err
	}
	base := make(map[string]pricing.Resolved, len(skus))
	for id, sku := range skus {
		p, ok := price(id)
		if !ok {
			return errkind.WithDetail(pricing.ErrNotPriced, "sku %s has no price here", id)
		}
		base[id] = pricing.Resolved{Price: money.New(p, cur), ListID: listID, List: sku.Price()}
	}
	buyer := pricing.Buyer{UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel}
	d.SKUs = skus
	d.Quote, err = pricing.Price(ctx, c.d.Ext, d.Call, buyer, d.At, d.Cart.Items, skus, cur, base)
	return err
}

// discount works out the cart's promotions; without a discount service nothing is discounted.
func (c *Core) discount(ctx context.Context, d *Draft) error {
	q := d.Quote
	lines := make([]discount.Line, len(q.Lines))
	for i, l := range q.Lines {
		lines[i] = discount.Line{SKUID: l.SKU.ID(), SellerID: l.SKU.SellerID(), Categories: l.SKU.Tags(), Quantity: l.Quantity,
			UnitPrice: l.UnitPrice.Minor(), Total: l.Total.Minor()}
	}
	if c.d.Discounts == nil {
		if len(d.Cart.Coupons) > 0 {
			return errkind.WithDetail(discount.ErrCouponNotFound, "coupons are not enabled")
		}
		d.Discount = discount.Result{Lines: make([]int64, len(lines))}
		return nil
	}
	in, err := c.d.Discounts.Prepare(ctx, d.Call.Identity.Tenant(), d.At, q.Currency.Code(), lines, d.Cart.Coupons)
	if err != nil {
		return err
	}
	d.Discount, err = discount.Compute(ctx, c.d.Ext, d.Call,
		discount.Buyer{UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel}, d.Cart.Coupons, in)
	return err
}

func (c *Core) chooseStock(ctx context.Context, d *Draft) error {
	demands := make([]inventory.Demand, len(d.Quote.Lines))
	for i, l := range d.Quote.Lines {
		demands[i] = inventory.Demand{SKUID: l.SKU.ID(), Quantity: l.Quantity}
	}
	chosen, err := c.d.Inventory.Choose(ctx, c.d.Ext, d.Call, d.Dest, d.At.UnixMilli(), demands)
	if err != nil {
		return err
	}
	d.Parts, err = newParts(d.Quote, d.Discount, chosen)
	return err
}

func (c *Core) split(ctx context.Context, d *Draft) error {
	split := make([]splitting.Line, len(d.Parts))
	for i, pt := range d.Parts {
		l := d.Quote.Lines[pt.Line]
		split[i] = splitting.Line{SKUID: l.SKU.ID(), SellerID: l.SKU.SellerID(), WarehouseID: pt.Stock.WarehouseID, Tags: l.SKU.Tags(),
			Quantity: pt.Stock.Quantity, UnitPrice: l.UnitPrice.Minor(), DeliveryType: l.SKU.DeliveryType(d.At)}
		if split[i].DeliveryType == catalog.Presale {
			split[i].ShipsAt = l.SKU.ShipsAt().UnixMilli()
		}
	}
	var err error
	d.Groups, err = splitting.Split(ctx, c.d.Ext, d.Call, d.At.UnixMilli(), split)
	return err
}

// shipping works out each group's shipping fee; without a delivery service everything ships free.
func (c *Core) shipping(ctx context.Context, d *Draft) error {
	fees := make([]int64, len(d.Groups))
	d.Shipping = fees
	if c.d.Delivery == nil {
		return nil
	}
	in := delivery.FeeInput{Currency: d.Quote.Currency.Code(), At: d.At.UnixMilli(),
		Destination: d.Dest}
	var index [][2]int           // group → (seller, order within the seller)
	for _, g := range d.Groups { // sorted by seller
		if n := len(in.Sellers); n == 0 || in.Sellers[n-1].SellerID != g.SellerID {
			in.Sellers = append(in.Sellers, delivery.Seller{SellerID: g.SellerID})
		}
		sl := &in.Sellers[len(in.Sellers)-1]
		var goods int64
		for _, pi := range g.Lines {
			goods += d.Parts[pi].Total - d.Parts[pi].Discount
		}
		index = append(index, [2]int{len(in.Sellers) - 1, len(sl.Orders)})
		sl.Orders = append(sl.Orders, delivery.Order{Key: g.Key, Goods: goods})
		sl.Goods += goods
	}
	parts, err := c.d.Delivery.Fees(ctx, c.d.Ext, d.Call, in)
	if err != nil {
		return err
	}
	for gi, at := range index {
		fees[gi] = parts[at[0]][at[1]]
	}
	return nil
}

// validate lets the business's rules (order.validate) refuse the planned order.
func (c *Core) validate(ctx context.Context, d *Draft) error {
	a := d.Address
	in := order.ValidateInput{UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel,
		Currency: d.Quote.Currency.Code(), Total: d.Total().Minor(), At: d.At.UnixMilli(),
		Address: order.ValidateAddress{Country: a.Country, Province: a.Province, City: a.City, District: a.District, PostalCode: a.PostalCode},
		Lines:   make([]order.ValidateLine, len(d.Quote.Lines))}
	for i, l := range d.Quote.Lines {
		in.Lines[i] = order.ValidateLine{SKUID: l.SKU.ID(), Title: l.SKU.Title(), SellerID: l.SKU.SellerID(), WarehouseID: d.Warehouses(i),
			Tags: l.SKU.Tags(), Quantity: l.Quantity, UnitPrice: l.UnitPrice.Minor(), Total: l.Total.Minor(), Discount: d.Discount.Lines[i]}
	}
	return order.Validate(ctx, c.d.Ext, d.Call, in)
}

// limits checks the purchase limits of the planned cart and keeps the counters its order
// transaction must claim; without a limits service nothing is limited.
func (c *Core) limits(ctx context.Context, d *Draft) error {
	if c.d.Limits == nil {
		return nil
	}
	a := d.Address
	cart := limits.Cart{UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel, At: d.At,
		AddressKey: limits.AddressKey(a.Country, a.Province, a.City, a.District, a.Detail, a.Phone)}
	for gi, g := range d.Groups {
		for _, pi := range g.Lines {
			pt := d.Parts[pi]
			l := d.Quote.Lines[pt.Line]
			cart.Lines = append(cart.Lines, limits.Line{Order: gi, SKUID: l.SKU.ID(), Categories: l.SKU.Tags(), Quantity: pt.Stock.Quantity})
		}
	}
	var err error
	d.Claims, err = c.d.Limits.Check(ctx, c.d.Ext, d.Call, d.Call.Identity.Tenant(), cart)
	return err
}

// OrderSpec is the child order of group gi: its lines with their discounts, the promotions that
// made them (each promotion's parts on the group's lines), and the stock it reserves.
func (d *Draft) OrderSpec(gi int) (order.NewOrderSpec, []inventory.Line) {
	cur := d.Quote.Currency
	g := d.Groups[gi]
	spec := order.NewOrderSpec{SellerID: g.SellerID, Lines: make([]order.Line, len(g.Lines)), ShippingFee: money.New(d.Shipping[gi], cur)}
	reserve := make([]inventory.Line, len(g.Lines))
	for i, pi := range g.Lines {
		pt := d.Parts[pi]
		l := d.Quote.Lines[pt.Line]
		reserve[i] = pt.Stock
		spec.Lines[i] = order.Line{SKUID: l.SKU.ID(), Title: l.SKU.Title(), WarehouseID: pt.Stock.WarehouseID,
			Quantity: pt.Stock.Quantity, UnitPrice: l.UnitPrice, Total: money.New(pt.Total, cur), Discount: money.New(pt.Discount, cur),
			ListPrice: l.ListPrice, PriceListID: l.PriceListID}
		if l.SKU.DeliveryType(d.At) == catalog.Presale && l.SKU.ShipsAt().After(spec.ShipsAt) {
			spec.ShipsAt = l.SKU.ShipsAt() // an order ships when its last line can
		}
	}
	for ai, a := range d.Discount.Applied {
		var amount int64
		for _, pi := range g.Lines {
			amount += d.Parts[pi].Promos[ai]
		}
		if amount > 0 {
			spec.Discounts = append(spec.Discounts, order.Discount{PromotionID: a.PromotionID, Name: a.Name, Kind: string(a.Kind),
				CouponCode: a.CouponCode, CampaignID: a.CampaignID, Amount: money.New(amount, cur)})
		}
	}
	return spec, reserve
}

// Warehouses names the warehouses that ship cart line li, comma-separated when it is spread.
func (d *Draft) Warehouses(li int) string {
	var ids []string
	for _, pt := range d.Parts {
		if pt.Line == li {
			ids = append(ids, pt.Stock.WarehouseID)
		}
	}
	return strings.Join(ids, ",")
}

// newParts divides each cart line over the warehouses chosen for it. A line shipped whole is one
// part with all its money. A spread line's discount is first divided by quantity (largest
// remainder, so no part's share exceeds its own total), then each promotion's part of the line
// fills the parts in order up to those shares, so every promotion and every part still sums
// exactly.
func newParts(q pricing.Quote, disc discount.Result, chosen [][]inventory.Line) ([]Part, error) {
	var parts []Part
	for li, stock := range chosen {
		l := q.Lines[li]
		if len(stock) == 1 {
			pt := Part{Line: li, Stock: stock[0], Total: l.Total.Minor(), Discount: disc.Lines[li], Promos: make([]int64, len(disc.Applied))}
			for ai, a := range disc.Applied {
				pt.Promos[ai] = a.Lines[li]
			}
			parts = append(parts, pt)
			continue
		}
		qty := make([]int64, len(stock))
		for i, st := range stock {
			qty[i] = st.Quantity
		}
		shares, err := money.Allocate(disc.Lines[li], qty)
		if err != nil {
			return nil, fmt.Errorf("trade: divide the discount of %s: %w", l.SKU.ID(), err)
		}
		first := len(parts)
		for i, st := range stock {
			parts = append(parts, Part{Line: li, Stock: st, Total: l.UnitPrice.Minor() * st.Quantity, Discount: shares[i],
				Promos: make([]int64, len(disc.Applied))})
		}
		room := append([]int64(nil), shares...)
		k := 0
		for ai, a := range disc.Applied {
			for left := a.Lines[li]; left > 0; {
				if k == len(room) {
					return nil, fmt.Errorf("trade: promotions on %s exceed its discount: %w", l.SKU.ID(), money.ErrInvalidAmount)
				}
				n := min(left, room[k])
				parts[first+k].Promos[ai] += n
				room[k] -= n
				left -= n
				if room[k] == 0 {
					k++
				}
			}
		}
	}
	return parts, nil
}

// StepNoDiscount is the discount step of a cart whose price is not discounted (an auction's
// winning bid: what the buyer bid is what they pay).
var StepNoDiscount = Step{"discount", func(_ *Core, _ context.Context, d *Draft) error {
	if len(d.Cart.Coupons) > 0 {
		return errkind.WithDetail(discount.ErrCouponNotApplicable, "coupons do not apply here")
	}
	d.Discount = discount.Result{Lines: make([]int64, len(d.Quote.Lines))}
	return nil
}}

// StockFrom is a choose-stock step that ships each line of the cart from stock already chosen
// (chosen[i] for line i) instead of choosing: an auction ships the unit it held while it ran.
func StockFrom(chosen [][]inventory.Line) Step {
	return Step{"choose_stock", func(_ *Core, _ context.Context, d *Draft) error {
		if len(chosen) != len(d.Quote.Lines) {
			return fmt.Errorf("trade: stock for %d lines of a cart of %d", len(chosen), len(d.Quote.Lines))
		}
		var err error
		d.Parts, err = newParts(d.Quote, d.Discount, chosen)
		return err
	}}
}
