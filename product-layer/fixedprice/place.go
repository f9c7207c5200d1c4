package fixedprice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/capability/splitting"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Buyer is who places or quotes an order: the user, their member level and the channel, as the
// access layer authenticated them.
type Buyer struct {
	UserID      string
	MemberLevel string
	Channel     string
}

// plan is a cart priced, discounted, its warehouses chosen and its split decided, before anything
// is reserved. Extension points run here, in this order: pricing.unit_price, discount.promotions,
// inventory.choose_warehouse, splitting.split_key, delivery.shipping_fee.
type plan struct {
	quote    pricing.Quote
	discount discount.Result
	// parts are the cart's lines as they ship: one per line, or several for a line spread over
	// warehouses; groups index into them.
	parts  []part
	groups []splitting.Group
	// shipping is each group's part of its seller's shipping fee.
	shipping []int64
	at       time.Time
}

// part is a cart line, or the share of it, that one warehouse ships. Its money is the line's in
// proportion to quantity, and each promotion's part of the line is divided so that the parts
// add up to the line exactly (see newParts).
type part struct {
	line     int // index into quote.Lines
	stock    inventory.Line
	total    int64
	discount int64
	promos   []int64 // this part's share of each of discount.Applied
}

// total is what the buyer pays: the goods after discounts, plus shipping.
func (p plan) total() money.Amount {
	total := p.quote.Total.Minor() - p.discount.Total
	for _, fee := range p.shipping {
		total += fee // fees are bounded (delivery.MaxFee per seller, 50 lines at most)
	}
	return money.New(total, p.quote.Currency)
}

func (f *Flow) plan(ctx context.Context, call extensions.Call, b Buyer, dest inventory.Region, items []pricing.Item, coupons []string, currency string, now time.Time) (plan, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.SKUID
	}
	skus, err := f.d.Catalog.GetMany(ctx, call.Identity.Tenant(), ids)
	if err != nil {
		return plan{}, err
	}
	var cur money.Currency
	if currency != "" {
		if cur, err = money.ParseCurrency(currency); err != nil {
			return plan{}, errkind.Invalidf("currency %q is not an ISO 4217 code", currency)
		}
	}
	buyer := pricing.Buyer{UserID: b.UserID, MemberLevel: b.MemberLevel, Channel: b.Channel}
	implicit := cur.IsZero()
	if sku, ok := skus[items[0].SKUID]; ok && implicit { // the first SKU's currency unless the buyer chose one
		cur = sku.Price().Currency()
	}
	base := pricing.Resolve(nil, buyer, now, cur, skus) // the SKUs' own prices
	if f.d.Prices != nil {
		if base, err = f.d.Prices.For(ctx, call.Identity.Tenant(), buyer, now, cur, skus); err != nil {
			return plan{}, err
		}
	}
	for _, it := range items {
		if sku, ok := skus[it.SKUID]; ok && implicit {
			if _, priced := base[it.SKUID]; !priced {
				return plan{}, errkind.WithDetail(pricing.ErrMixedCurrency, "sku %s is priced in %s, the cart in %s",
					sku.ID(), sku.Price().Currency().Code(), cur.Code())
			}
		}
	}
	q, err := pricing.Price(ctx, f.d.Ext, call, buyer, now, items, skus, cur, base)
	if err != nil {
		return plan{}, err
	}
	disc, err := f.discount(ctx, call, b, q, coupons, now)
	if err != nil {
		return plan{}, err
	}
	demands := make([]inventory.Demand, len(q.Lines))
	for i, l := range q.Lines {
		demands[i] = inventory.Demand{SKUID: l.SKU.ID(), Quantity: l.Quantity}
	}
	chosen, err := f.d.Inventory.Choose(ctx, f.d.Ext, call, dest, now.UnixMilli(), demands)
	if err != nil {
		return plan{}, err
	}
	parts, err := newParts(q, disc, chosen)
	if err != nil {
		return plan{}, err
	}
	split := make([]splitting.Line, len(parts))
	for i, pt := range parts {
		l := q.Lines[pt.line]
		split[i] = splitting.Line{SKUID: l.SKU.ID(), SellerID: l.SKU.SellerID(), WarehouseID: pt.stock.WarehouseID, Tags: l.SKU.Tags(),
			Quantity: pt.stock.Quantity, UnitPrice: l.UnitPrice.Minor(), DeliveryType: l.SKU.DeliveryType(now)}
		if split[i].DeliveryType == catalog.Presale {
			split[i].ShipsAt = l.SKU.ShipsAt().UnixMilli()
		}
	}
	groups, err := splitting.Split(ctx, f.d.Ext, call, now.UnixMilli(), split)
	if err != nil {
		return plan{}, err
	}
	p := plan{quote: q, discount: disc, parts: parts, groups: groups, at: now}
	if p.shipping, err = f.shipping(ctx, call, dest, p); err != nil {
		return plan{}, err
	}
	return p, nil
}

// shipping works out each group's shipping fee; without a delivery service everything ships free.
func (f *Flow) shipping(ctx context.Context, call extensions.Call, dest inventory.Region, p plan) ([]int64, error) {
	fees := make([]int64, len(p.groups))
	if f.d.Delivery == nil {
		return fees, nil
	}
	in := delivery.FeeInput{Currency: p.quote.Currency.Code(), At: p.at.UnixMilli(),
		Destination: delivery.Region{Country: dest.Country, Province: dest.Province, City: dest.City, District: dest.District}}
	var index [][2]int           // group → (seller, order within the seller)
	for _, g := range p.groups { // sorted by seller
		if n := len(in.Sellers); n == 0 || in.Sellers[n-1].SellerID != g.SellerID {
			in.Sellers = append(in.Sellers, delivery.Seller{SellerID: g.SellerID})
		}
		sl := &in.Sellers[len(in.Sellers)-1]
		var goods int64
		for _, pi := range g.Lines {
			goods += p.parts[pi].total - p.parts[pi].discount
		}
		index = append(index, [2]int{len(in.Sellers) - 1, len(sl.Orders)})
		sl.Orders = append(sl.Orders, delivery.Order{Key: g.Key, Goods: goods})
		sl.Goods += goods
	}
	parts, err := f.d.Delivery.Fees(ctx, f.d.Ext, call, in)
	if err != nil {
		return nil, err
	}
	for gi, at := range index {
		fees[gi] = parts[at[0]][at[1]]
	}
	return fees, nil
}

// newParts divides each cart line over the warehouses chosen for it. A line shipped whole is one
// part with all its money. A spread line's discount is first divided by quantity (largest
// remainder, so no part's share exceeds its own total), then each promotion's part of the line
// fills the parts in order up to those shares, so every promotion and every part still sums
// exactly.
func newParts(q pricing.Quote, disc discount.Result, chosen [][]inventory.Line) ([]part, error) {
	var parts []part
	for li, stock := range chosen {
		l := q.Lines[li]
		if len(stock) == 1 {
			pt := part{line: li, stock: stock[0], total: l.Total.Minor(), discount: disc.Lines[li], promos: make([]int64, len(disc.Applied))}
			for ai, a := range disc.Applied {
				pt.promos[ai] = a.Lines[li]
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
			return nil, fmt.Errorf("fixedprice: divide the discount of %s: %w", l.SKU.ID(), err)
		}
		first := len(parts)
		for i, st := range stock {
			parts = append(parts, part{line: li, stock: st, total: l.UnitPrice.Minor() * st.Quantity, discount: shares[i],
				promos: make([]int64, len(disc.Applied))})
		}
		room := append([]int64(nil), shares...)
		k := 0
		for ai, a := range disc.Applied {
			for left := a.Lines[li]; left > 0; {
				if k == len(room) {
					return nil, fmt.Errorf("fixedprice: promotions on %s exceed its discount: %w", l.SKU.ID(), money.ErrInvalidAmount)
				}
				n := min(left, room[k])
				parts[first+k].promos[ai] += n
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

// discount works out the cart's promotions; without a discount service nothing is discounted.
func (f *Flow) discount(ctx context.Context, call extensions.Call, b Buyer, q pricing.Quote, coupons []string, now time.Time) (discount.Result, error) {
	lines := make([]discount.Line, len(q.Lines))
	for i, l := range q.Lines {
		lines[i] = discount.Line{SKUID: l.SKU.ID(), SellerID: l.SKU.SellerID(), Categories: l.SKU.Tags(), Quantity: l.Quantity,
			UnitPrice: l.UnitPrice.Minor(), Total: l.Total.Minor()}
	}
	if f.d.Discounts == nil {
		if len(coupons) > 0 {
			return discount.Result{}, errkind.WithDetail(discount.ErrCouponNotFound, "coupons are not enabled")
		}
		return discount.Result{Lines: make([]int64, len(lines))}, nil
	}
	in, err := f.d.Discounts.Prepare(ctx, call.Identity.Tenant(), now, q.Currency.Code(), lines, coupons)
	if err != nil {
		return discount.Result{}, err
	}
	return discount.Compute(ctx, f.d.Ext, call, discount.Buyer{UserID: b.UserID, MemberLevel: b.MemberLevel, Channel: b.Channel}, coupons, in)
}

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

// Cart is what a quote prices: items, the coupons applied and, optionally, the currency to pay
// in (empty: the first SKU's own currency).
type Cart struct {
	Items    []pricing.Item
	Coupons  []string
	Currency string
}

// Quote prices and discounts a cart for a buyer and previews the split, without reserving
// anything. The destination (which may be empty) informs the warehouse choice; coupons are
// checked as an order would check them, but not used.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b Buyer, dest inventory.Region, cart Cart) (Quote, error) {
	items, err := pricing.NormalizeItems(cart.Items)
	if err != nil {
		return Quote{}, err
	}
	p, err := f.plan(ctx, extensions.Call{Identity: ident, UserID: b.UserID}, b, dest, items, cart.Coupons, cart.Currency, f.d.Now())
	if err != nil {
		return Quote{}, err
	}
	out := Quote{Quote: p.quote, Discount: p.discount, Payable: p.total()}
	for i := range p.quote.Lines {
		out.Warehouses = append(out.Warehouses, p.warehouses(i))
	}
	for gi, g := range p.groups {
		spec, _ := p.orderSpec(gi)
		a, err := spec.Amounts(p.quote.Currency)
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

func requestHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func validateKey(key string) error {
	if len(key) > 128 {
		return errkind.Invalidf("Idempotency-Key must be at most 128 characters")
	}
	return nil
}

func expectedMinor(a *money.Amount) *int64 {
	if a == nil {
		return nil
	}
	m := a.Minor()
	return &m
}

// PlaceOrder plans the order (prices, warehouses, split), lets the business's rules validate it,
// then reserves stock and creates the trade, its orders, the order.created event, the unpaid timer
// and the record of which scripts decided it, in one transaction. With an idempotency key, a
// repeated request returns the trade the first one created.
func (f *Flow) PlaceOrder(ctx context.Context, cmd PlaceOrder) (*order.Trade, error) {
	userID := cmd.Buyer.UserID
	if !identity.ValidUserID(userID) {
		return nil, errkind.WithDetail(errkind.ErrUnauthenticated, "no buyer")
	}
	if err := validateKey(cmd.IdempotencyKey); err != nil {
		return nil, err
	}
	items, err := pricing.NormalizeItems(cmd.Items)
	if err != nil {
		return nil, err
	}
	addr, err := order.NormalizeAddress(cmd.Address)
	if err != nil {
		return nil, err
	}
	tenant := cmd.Identity.Tenant()
	hash := requestHash(struct {
		Scenario identity.Scenario
		BizCode  string
		Items    []pricing.Item
		Address  order.Address
		Expected *int64
		Coupons  []string
		Currency string
	}{cmd.Identity.Scenario(), cmd.Identity.BizCode(), cmd.Items, addr, expectedMinor(cmd.ExpectedTotal), cmd.Coupons, cmd.Currency})
	if cmd.IdempotencyKey != "" {
		if prev, found, err := f.d.Idempotency.Lookup(ctx, tenant, userID, scopePlaceOrder, cmd.IdempotencyKey, hash); err != nil {
			return nil, err
		} else if found {
			return f.d.Orders.Trade(ctx, tenant, prev)
		}
	}
	call := extensions.Call{Identity: cmd.Identity, UserID: userID}
	dest := inventory.Region{Country: addr.Country, Province: addr.Province, City: addr.City, District: addr.District}
	// A warehouse chosen from a snapshot of stock can be drained by a concurrent order before
	// this one reserves, and a campaign's budget spent; then plan once more from fresh data.
	for attempt := 0; ; attempt++ {
		tr, err := f.place(ctx, cmd, call, dest, addr, items, hash)
		if attempt == 0 && (errors.Is(err, inventory.ErrInsufficientStock) || errors.Is(err, discount.ErrBudgetExhausted)) {
			continue
		}
		return tr, err
	}
}

func (f *Flow) place(ctx context.Context, cmd PlaceOrder, call extensions.Call, dest inventory.Region, addr order.Address, items []pricing.Item, hash string) (*order.Trade, error) {
	tenant, userID := cmd.Identity.Tenant(), cmd.Buyer.UserID
	now := f.d.Now()
	ctx, trace := extensions.WithTrace(ctx)
	p, err := f.plan(ctx, call, cmd.Buyer, dest, items, cmd.Coupons, cmd.Currency, now)
	if err != nil {
		return nil, err
	}
	q := p.quote
	if e, total := cmd.ExpectedTotal, p.total(); e != nil && (e.Currency() != q.Currency || e.Minor() != total.Minor()) {
		return nil, errkind.WithDetail(pricing.ErrPriceChanged, "the total is now %s %s", total, q.Currency.Code())
	}
	if err := order.Validate(ctx, f.d.Ext, call, validateInput(cmd.Buyer, addr, p, now)); err != nil {
		return nil, err
	}
	claims, err := f.limits(ctx, call, cmd.Buyer, addr, p, now)
	if err != nil {
		return nil, err
	}
	tradeID := f.d.IDs.NextString("T")
	specs := make([]order.NewOrderSpec, 0, len(p.groups))
	reserves := make([][]inventory.Line, 0, len(p.groups))
	hot := false
	for gi := range p.groups {
		spec, reserve := p.orderSpec(gi)
		spec.ID = f.d.IDs.NextString("O")
		specs = append(specs, spec)
		reserves = append(reserves, reserve)
		for _, l := range reserve {
			hot = hot || l.Hot
		}
	}
	if hot {
		// A hot SKU's stock is reserved ahead of the transaction, in a batch with other orders'
		// (see inventory.Service.ReserveHot); the transaction attaches it, and whatever does not
		// commit gives it back.
		if err := f.reserveHot(ctx, tenant, specs, reserves, now.Add(f.cfg.HotHold)); err != nil {
			return nil, err
		}
	}
	var tr *order.Trade
	var existing string
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		existing = ""
		if cmd.IdempotencyKey != "" {
			prev, found, err := f.d.Idempotency.Claim(ctx, tenant, userID, scopePlaceOrder, cmd.IdempotencyKey, hash, tradeID)
			if err != nil {
				return err
			}
			if found {
				existing = prev
				return nil
			}
		}
		var err error
		if tr, err = order.NewTrade(tradeID, cmd.Identity, userID, addr, specs, now, now.Add(f.cfg.UnpaidWindow)); err != nil {
			return err
		}
		if err := f.d.Orders.CreateTrade(ctx, tr); err != nil {
			return err
		}
		if recs := trace.Records(); len(recs) > 0 && f.d.Runs != nil {
			if err := f.d.Runs.SaveRuns(ctx, tenant, tradeID, recs); err != nil {
				return err
			}
		}
		if _, err := f.d.Outbox.Append(ctx, TopicOrderCreated, tradeID, trade.NewTradeCreated(tr, now)); err != nil {
			return err
		}
		if err := f.d.Timers.Schedule(ctx, TimerUnpaid, timerRef(tenant, tradeID), tr.PayDeadline()); err != nil {
			return err
		}
		if f.d.Discounts != nil {
			if err := f.d.Discounts.Redeem(ctx, tenant, p.discount.Redemption(tradeID, userID)); err != nil {
				return err
			}
		}
		if len(claims) > 0 {
			ids := make([]string, len(specs))
			for i, spec := range specs {
				ids[i] = spec.ID
			}
			if err := f.d.Limits.Claim(ctx, tenant, ids, claims); err != nil {
				return err
			}
		}
		if hot {
			for _, spec := range specs {
				if err := f.d.Inventory.Attach(ctx, tenant, spec.ID); err != nil {
					return err
				}
			}
			return nil
		}
		// Stock last: on MySQL its row locks are the ones every order of a SKU queues on, and
		// they are held until commit, so nothing else should run while they are.
		for i, spec := range specs {
			if err := f.d.Inventory.Reserve(ctx, tenant, spec.ID, reserves[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if hot && (err != nil || existing != "") {
		f.releaseHot(ctx, tenant, specs)
	}
	if err != nil {
		return nil, err
	}
	if existing != "" {
		return f.d.Orders.Trade(ctx, tenant, existing)
	}
	return tr, nil
}

// reserveHot reserves each child order's stock through the hot batches; on a failure it gives
// back what it reserved.
func (f *Flow) reserveHot(ctx context.Context, tenant string, specs []order.NewOrderSpec, reserves [][]inventory.Line, hold time.Time) error {
	for i, spec := range specs {
		if err := f.d.Inventory.ReserveHot(ctx, tenant, spec.ID, reserves[i], hold); err != nil {
			done := specs[:i]
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				// This one too: its batch may still write it, and a cancel recorded first makes
				// that batch refuse it. Any other error is the batch's answer: nothing was written.
				done = specs[:i+1]
			}
			f.releaseHot(ctx, tenant, done)
			return err
		}
	}
	return nil
}

// releaseHot cancels hot reservations whose order did not commit. One that cannot be cancelled
// now expires after the hold.
func (f *Flow) releaseHot(ctx context.Context, tenant string, specs []order.NewOrderSpec) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, spec := range specs {
		if err := f.d.Inventory.Cancel(ctx, tenant, spec.ID); err != nil {
			f.d.Log.Warn("hot reservation not given back; it expires", "tenant", tenant, "reservation", spec.ID, "err", err)
		}
	}
}

// limits checks the purchase limits of the planned cart and returns the counters its order
// transaction must claim; without a limits service nothing is limited.
func (f *Flow) limits(ctx context.Context, call extensions.Call, b Buyer, addr order.Address, p plan, now time.Time) ([]limits.Claim, error) {
	if f.d.Limits == nil {
		return nil, nil
	}
	cart := limits.Cart{UserID: b.UserID, MemberLevel: b.MemberLevel, Channel: b.Channel, At: now,
		AddressKey: limits.AddressKey(addr.Country, addr.Province, addr.City, addr.District, addr.Detail, addr.Phone)}
	for gi, g := range p.groups {
		for _, pi := range g.Lines {
			pt := p.parts[pi]
			l := p.quote.Lines[pt.line]
			cart.Lines = append(cart.Lines, limits.Line{Order: gi, SKUID: l.SKU.ID(), Categories: l.SKU.Tags(), Quantity: pt.stock.Quantity})
		}
	}
	return f.d.Limits.Check(ctx, f.d.Ext, call, call.Identity.Tenant(), cart)
}

// orderSpec is the child order of group g: its lines with their discounts, the promotions that
// made them (each promotion's parts on the group's lines), and the stock it reserves.
func (p plan) orderSpec(gi int) (order.NewOrderSpec, []inventory.Line) {
	cur := p.quote.Currency
	g := p.groups[gi]
	spec := order.NewOrderSpec{SellerID: g.SellerID, Lines: make([]order.Line, len(g.Lines)), ShippingFee: money.New(p.shipping[gi], cur)}
	reserve := make([]inventory.Line, len(g.Lines))
	for i, pi := range g.Lines {
		pt := p.parts[pi]
		l := p.quote.Lines[pt.line]
		reserve[i] = pt.stock
		spec.Lines[i] = order.Line{SKUID: l.SKU.ID(), Title: l.SKU.Title(), WarehouseID: pt.stock.WarehouseID,
			Quantity: pt.stock.Quantity, UnitPrice: l.UnitPrice, Total: money.New(pt.total, cur), Discount: money.New(pt.discount, cur),
			ListPrice: l.ListPrice, PriceListID: l.PriceListID}
		if l.SKU.DeliveryType(p.at) == catalog.Presale && l.SKU.ShipsAt().After(spec.ShipsAt) {
			spec.ShipsAt = l.SKU.ShipsAt() // an order ships when its last line can
		}
	}
	for ai, a := range p.discount.Applied {
		var amount int64
		for _, pi := range g.Lines {
			amount += p.parts[pi].promos[ai]
		}
		if amount > 0 {
			spec.Discounts = append(spec.Discounts, order.Discount{PromotionID: a.PromotionID, Name: a.Name, Kind: string(a.Kind),
				CouponCode: a.CouponCode, CampaignID: a.CampaignID, Amount: money.New(amount, cur)})
		}
	}
	return spec, reserve
}

func validateInput(b Buyer, addr order.Address, p plan, now time.Time) order.ValidateInput {
	in := order.ValidateInput{UserID: b.UserID, MemberLevel: b.MemberLevel, Channel: b.Channel, Currency: p.quote.Currency.Code(),
		Total: p.total().Minor(), At: now.UnixMilli(),
		Address: order.ValidateAddress{Country: addr.Country, Province: addr.Province, City: addr.City, District: addr.District, PostalCode: addr.PostalCode},
		Lines:   make([]order.ValidateLine, len(p.quote.Lines))}
	for i, l := range p.quote.Lines {
		in.Lines[i] = order.ValidateLine{SKUID: l.SKU.ID(), Title: l.SKU.Title(), SellerID: l.SKU.SellerID(), WarehouseID: p.warehouses(i),
			Tags: l.SKU.Tags(), Quantity: l.Quantity, UnitPrice: l.UnitPrice.Minor(), Total: l.Total.Minor(), Discount: p.discount.Lines[i]}
	}
	return in
}

// warehouses names the warehouses that ship cart line li, comma-separated when it is spread.
func (p plan) warehouses(li int) string {
	var ids []string
	for _, pt := range p.parts {
		if pt.line == li {
			ids = append(ids, pt.stock.WarehouseID)
		}
	}
	return strings.Join(ids, ",")
}
