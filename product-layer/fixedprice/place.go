package fixedprice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

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
// inventory.choose_warehouse, splitting.split_key.
type plan struct {
	quote    pricing.Quote
	discount discount.Result
	lines    []inventory.Line // the warehouse of each quote line
	groups   []splitting.Group
}

// total is what the buyer pays.
func (p plan) total() money.Amount {
	return money.New(p.quote.Total.Minor()-p.discount.Total, p.quote.Currency)
}

func (f *Flow) plan(ctx context.Context, call extensions.Call, b Buyer, dest inventory.Region, items []pricing.Item, coupons []string, now time.Time) (plan, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.SKUID
	}
	skus, err := f.d.Catalog.GetMany(ctx, call.Identity.Tenant(), ids)
	if err != nil {
		return plan{}, err
	}
	q, err := pricing.Price(ctx, f.d.Ext, call, pricing.Buyer{UserID: b.UserID, MemberLevel: b.MemberLevel, Channel: b.Channel}, now, items, skus)
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
	lines, err := f.d.Inventory.Choose(ctx, f.d.Ext, call, dest, now.UnixMilli(), demands)
	if err != nil {
		return plan{}, err
	}
	split := make([]splitting.Line, len(q.Lines))
	for i, l := range q.Lines {
		split[i] = splitting.Line{SKUID: l.SKU.ID(), SellerID: l.SKU.SellerID(), WarehouseID: lines[i].WarehouseID, Tags: l.SKU.Tags(),
			Quantity: l.Quantity, UnitPrice: l.UnitPrice.Minor()}
	}
	groups, err := splitting.Split(ctx, f.d.Ext, call, now.UnixMilli(), split)
	if err != nil {
		return plan{}, err
	}
	return plan{quote: q, discount: disc, lines: lines, groups: groups}, nil
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
	// Warehouses holds the warehouse chosen for each line.
	Warehouses []string
	Groups     []splitting.Group
}

// Quote prices and discounts items for a buyer and previews the split, without reserving
// anything. The destination (which may be empty) informs the warehouse choice; coupons are
// checked as an order would check them, but not used.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b Buyer, dest inventory.Region, items []pricing.Item, coupons []string) (Quote, error) {
	items, err := pricing.NormalizeItems(items)
	if err != nil {
		return Quote{}, err
	}
	p, err := f.plan(ctx, extensions.Call{Identity: ident, UserID: b.UserID}, b, dest, items, coupons, f.d.Now())
	if err != nil {
		return Quote{}, err
	}
	wh := make([]string, len(p.lines))
	for i, l := range p.lines {
		wh[i] = l.WarehouseID
	}
	return Quote{Quote: p.quote, Discount: p.discount, Payable: p.total(), Warehouses: wh, Groups: p.groups}, nil
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
	// ExpectedTotal, if set, is the total the buyer was shown: a different current total
	// refuses the order with pricing.ErrPriceChanged instead of charging what they did not see.
	ExpectedTotal *money.Amount
}

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
	}{cmd.Identity.Scenario(), cmd.Identity.BizCode(), cmd.Items, addr, expectedMinor(cmd.ExpectedTotal), cmd.Coupons})
	const scope = "place_order"
	if cmd.IdempotencyKey != "" {
		if prev, found, err := f.d.Idempotency.Lookup(ctx, tenant, userID, scope, cmd.IdempotencyKey, hash); err != nil {
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
		trade, err := f.place(ctx, cmd, call, dest, addr, items, hash)
		if attempt == 0 && (errors.Is(err, inventory.ErrInsufficientStock) || errors.Is(err, discount.ErrBudgetExhausted)) {
			continue
		}
		return trade, err
	}
}

func (f *Flow) place(ctx context.Context, cmd PlaceOrder, call extensions.Call, dest inventory.Region, addr order.Address, items []pricing.Item, hash string) (*order.Trade, error) {
	tenant, userID := cmd.Identity.Tenant(), cmd.Buyer.UserID
	now := f.d.Now()
	ctx, trace := extensions.WithTrace(ctx)
	p, err := f.plan(ctx, call, cmd.Buyer, dest, items, cmd.Coupons, now)
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
	for _, g := range p.groups {
		spec, reserve := p.orderSpec(g)
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
	var trade *order.Trade
	var existing string
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		existing = ""
		if cmd.IdempotencyKey != "" {
			prev, found, err := f.d.Idempotency.Claim(ctx, tenant, userID, "place_order", cmd.IdempotencyKey, hash, tradeID)
			if err != nil {
				return err
			}
			if found {
				existing = prev
				return nil
			}
		}
		var err error
		if trade, err = order.NewTrade(tradeID, cmd.Identity, userID, addr, specs, now, now.Add(f.cfg.UnpaidWindow)); err != nil {
			return err
		}
		if err := f.d.Orders.CreateTrade(ctx, trade); err != nil {
			return err
		}
		if recs := trace.Records(); len(recs) > 0 && f.d.Runs != nil {
			if err := f.d.Runs.SaveRuns(ctx, tenant, tradeID, recs); err != nil {
				return err
			}
		}
		if _, err := f.d.Outbox.Append(ctx, TopicOrderCreated, tradeID, tradeCreated(trade, now)); err != nil {
			return err
		}
		if err := f.d.Timers.Schedule(ctx, TimerUnpaid, timerRef(tenant, tradeID), trade.PayDeadline()); err != nil {
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
	return trade, nil
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
		for _, li := range g.Lines {
			l := p.quote.Lines[li]
			cart.Lines = append(cart.Lines, limits.Line{Order: gi, SKUID: l.SKU.ID(), Categories: l.SKU.Tags(), Quantity: l.Quantity})
		}
	}
	return f.d.Limits.Check(ctx, f.d.Ext, call, call.Identity.Tenant(), cart)
}

// orderSpec is the child order of group g: its lines with their discounts, the promotions that
// made them (each promotion's parts on the group's lines), and the stock it reserves.
func (p plan) orderSpec(g splitting.Group) (order.NewOrderSpec, []inventory.Line) {
	cur := p.quote.Currency
	reserve := make([]inventory.Line, len(g.Lines))
	lines := make([]order.Line, len(g.Lines))
	for i, li := range g.Lines {
		l := p.quote.Lines[li]
		reserve[i] = p.lines[li]
		lines[i] = order.Line{SKUID: l.SKU.ID(), Title: l.SKU.Title(), WarehouseID: p.lines[li].WarehouseID,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Total: l.Total, Discount: money.New(p.discount.Lines[li], cur)}
	}
	var discounts []order.Discount
	for _, a := range p.discount.Applied {
		var part int64
		for _, li := range g.Lines {
			part += a.Lines[li]
		}
		if part > 0 {
			discounts = append(discounts, order.Discount{PromotionID: a.PromotionID, Name: a.Name, CouponCode: a.CouponCode,
				Amount: money.New(part, cur)})
		}
	}
	return order.NewOrderSpec{SellerID: g.SellerID, Lines: lines, Discounts: discounts}, reserve
}

func validateInput(b Buyer, addr order.Address, p plan, now time.Time) order.ValidateInput {
	in := order.ValidateInput{UserID: b.UserID, MemberLevel: b.MemberLevel, Channel: b.Channel, Currency: p.quote.Currency.Code(),
		Total: p.total().Minor(), At: now.UnixMilli(),
		Address: order.ValidateAddress{Country: addr.Country, Province: addr.Province, City: addr.City, District: addr.District, PostalCode: addr.PostalCode},
		Lines:   make([]order.ValidateLine, len(p.quote.Lines))}
	for i, l := range p.quote.Lines {
		in.Lines[i] = order.ValidateLine{SKUID: l.SKU.ID(), Title: l.SKU.Title(), SellerID: l.SKU.SellerID(), WarehouseID: p.lines[i].WarehouseID,
			Tags: l.SKU.Tags(), Quantity: l.Quantity, UnitPrice: l.UnitPrice.Minor(), Total: l.Total.Minor(), Discount: p.discount.Lines[i]}
	}
	return in
}
