package presale

// Taking a pre-sale order: the campaign prices the lines and terms the deposit and its credit,
// shared over the child orders; the order goes through the core's place-order template.

import (
	"context"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Line is one cart line as the campaign terms it.
type Line struct {
	SKUID                  string
	Quantity               int64
	Price, Deposit, Credit int64 // per line: unit terms × quantity
}

// Terms are a cart's pre-sale money: the deposit, what it counts for, and the balance left after
// discounts and shipping, in total and per child order the cart splits into (Orders, in the
// draft's group order; their OrderIDs are set once the trade is placed).
type Terms struct {
	Lines                    []Line
	Deposit, Credit, Balance int64
	Orders                   []OrderShare
}

// priceStep prices the cart at the campaign's prices; the SKUs must all be in it.
func priceStep(c *Campaign) trade.Step {
	return trade.Step{Name: trade.StepPrice.Name, Run: func(core *trade.Core, ctx context.Context, d *trade.Draft) error {
		cur := money.MustCurrency(c.Currency)
		for _, it := range d.Cart.Items {
			if _, ok := c.SKU(it.SKUID); !ok {
				return errkind.WithDetail(ErrNotInCampaign, "sku %s is not in pre-sale %s", it.SKUID, c.ID)
			}
		}
		if d.Cart.Currency != "" && d.Cart.Currency != c.Currency {
			return errkind.WithDetail(pricing.ErrMixedCurrency, "pre-sale %s is sold in %s", c.ID, c.Currency)
		}
		d.Cart.Currency = c.Currency
		return core.PriceAt(ctx, d, cur, func(skuID string) (int64, bool) {
			s, ok := c.SKU(skuID)
			return s.Price, ok
		}, "presale:"+c.ID)
	}}
}

// terms works out a planned draft's deposit and credit per line (the credit as
// presale.deposit_credit decides, by default the campaign's), divides them over the child orders
// the draft splits into (see allocate), and the balance: the total after discounts and shipping,
// less the credit.
func (f *Flow) terms(ctx context.Context, c *Campaign, d *trade.Draft) (Terms, error) {
	in := CreditInput{CampaignID: c.ID, UserID: d.Buyer.UserID, MemberLevel: d.Buyer.MemberLevel, Channel: d.Buyer.Channel, At: d.At.UnixMilli()}
	var t Terms
	for _, l := range d.Quote.Lines {
		s, _ := c.SKU(l.SKU.ID())
		line := Line{SKUID: l.SKU.ID(), Quantity: l.Quantity, Price: s.Price * l.Quantity, Deposit: s.Deposit * l.Quantity, Credit: s.DepositCredit * l.Quantity}
		t.Lines = append(t.Lines, line)
		in.Lines = append(in.Lines, CreditLine{SKUID: line.SKUID, Quantity: line.Quantity, Price: line.Price, Deposit: line.Deposit, Credit: line.Credit})
	}
	out, err := CreditPoint.Run(ctx, f.d.Ext, d.Call, in)
	if err != nil {
		return Terms{}, err
	}
	for i := range t.Lines {
		t.Lines[i].Credit = out.Lines[i].Credit
		t.Deposit += t.Lines[i].Deposit
	}
	if t.Orders, err = allocate(c, d, t.Lines); err != nil {
		return Terms{}, err
	}
	for _, s := range t.Orders {
		t.Credit += s.Credit
	}
	t.Balance = d.Total().Minor() - t.Credit
	return t, nil
}

// Quote is a priced pre-sale cart: the trade core's quote and the pre-sale's terms.
type Quote struct {
	Draft *trade.Draft
	Terms Terms
}

// Quote prices a cart in a campaign for a buyer, without reserving anything.
func (f *Flow) Quote(ctx context.Context, ident identity.Identity, b trade.Buyer, dest address.Place, campaignID string, cart trade.Cart) (Quote, error) {
	c, err := f.campaign(ctx, ident.Tenant(), campaignID)
	if err != nil {
		return Quote{}, err
	}
	items, err := pricing.NormalizeItems(cart.Items)
	if err != nil {
		return Quote{}, err
	}
	if dest, err = trade.Destination(dest); err != nil {
		return Quote{}, err
	}
	cart.Items = items
	d := &trade.Draft{Call: extensions.Call{Identity: ident, UserID: b.UserID}, Buyer: b, Cart: cart, Dest: dest, At: f.d.Now()}
	if err := f.d.Core.Plan(ctx, d, trade.QuotePlan.Replace(priceStep(&c))); err != nil {
		return Quote{}, err
	}
	tm, err := f.terms(ctx, &c, d)
	if err != nil {
		return Quote{}, err
	}
	return Quote{Draft: d, Terms: tm}, nil
}

func (f *Flow) campaign(ctx context.Context, tenant, id string) (Campaign, error) {
	if id == "" {
		return Campaign{}, ErrCampaignRequired
	}
	c, err := f.d.Campaigns.Campaign(ctx, tenant, id)
	if err != nil {
		return Campaign{}, err
	}
	if c.Status != Active {
		return Campaign{}, errkind.WithDetail(ErrCampaignCancelled, "pre-sale %s was cancelled", id)
	}
	return c, nil
}

// PlaceOrder is a buyer's pre-sale order.
type PlaceOrder struct {
	Identity       identity.Identity
	Buyer          trade.Buyer
	CampaignID     string
	Items          []pricing.Item
	Address        order.Address
	IdempotencyKey string
	Coupons        []string
}

const scopePlaceOrder = "presale_place_order"

// PlaceOrder places a pre-sale trade inside the campaign's deposit window, through the core's
// template: its orders await the deposit, their stock is reserved, the buyer's per-user claim is
// taken, and the timers for an unpaid deposit and a missed balance are set, in one transaction.
func (f *Flow) PlaceOrder(ctx context.Context, cmd PlaceOrder) (*order.Trade, Record, error) {
	if cmd.Identity.Scenario() != Scenario {
		return nil, Record{}, fmt.Errorf("presale: a %s identity", cmd.Identity.Scenario())
	}
	var rec Record
	tr, err := f.d.Core.PlaceOrder(ctx, trade.Order{Identity: cmd.Identity, Buyer: cmd.Buyer, Items: cmd.Items, Coupons: cmd.Coupons,
		Address: cmd.Address, Key: cmd.IdempotencyKey, Terms: struct{ Campaign string }{cmd.CampaignID}}, scopePlaceOrder,
		func(ctx context.Context) (trade.Taking, error) { return f.take(ctx, cmd, &rec) })
	if err != nil {
		return nil, Record{}, err
	}
	if rec.TradeID != tr.ID() { // a replay, or a concurrent request with the same key placed it
		rec, err = f.d.Trades.Record(ctx, cmd.Identity.Tenant(), tr.ID())
	}
	return tr, rec, err
}

// take is how the flow takes an order, inside the campaign's deposit window: the campaign prices
// the lines; the deposit is due within the unpaid window or by the window's close, whichever
// comes first; the trade's record (and *rec) and the buyer's claim on the campaign are written
// with it.
func (f *Flow) take(ctx context.Context, cmd PlaceOrder, rec *Record) (trade.Taking, error) {
	tenant, userID := cmd.Identity.Tenant(), cmd.Buyer.UserID
	c, err := f.campaign(ctx, tenant, cmd.CampaignID)
	if err != nil {
		return trade.Taking{}, err
	}
	if now := f.d.Now(); !c.DepositOpen(now) {
		return trade.Taking{}, errkind.WithDetail(ErrDepositClosed, "pre-sale %s takes deposits from %s to %s", c.ID,
			time.UnixMilli(c.DepositStartsAt).UTC().Format(time.RFC3339), time.UnixMilli(c.DepositEndsAt).UTC().Format(time.RFC3339))
	}
	return trade.Taking{Plan: trade.PlacePlan.Replace(priceStep(&c)), Place: func(ctx context.Context, d *trade.Draft) (trade.Placement, error) {
		tm, err := f.terms(ctx, &c, d)
		if err != nil {
			return trade.Placement{}, err
		}
		var units int64
		for _, l := range tm.Lines {
			units += l.Quantity
		}
		depositDue := f.d.Core.UnpaidDeadline(d.At, time.UnixMilli(c.DepositEndsAt))
		return trade.Placement{PayDeadline: depositDue,
			Timers: []trade.Timer{{Kind: TimerDepositUnpaid, Due: depositDue}, {Kind: TimerBalanceMissed, Due: time.UnixMilli(c.BalanceEndsAt)}},
			Also: func(ctx context.Context, t *order.Trade) error {
				if err := f.d.Trades.ClaimUnits(ctx, tenant, c.ID, userID, units, c.PerUser); err != nil {
					return err
				}
				*rec = Record{Tenant: tenant, TradeID: t.ID(), CampaignID: c.ID, UserID: userID, Currency: c.Currency, Deposit: tm.Deposit,
					Credit: tm.Credit, Balance: tm.Balance, Units: units, DepositStatus: DepositPending, Orders: withIDs(tm.Orders, t), CreatedAt: d.At}
				return f.d.Trades.CreateRecord(ctx, *rec)
			}}, nil
	}}, nil
}

// withIDs names each share by the order placed for its group.
func withIDs(shares []OrderShare, t *order.Trade) []OrderShare {
	out := append([]OrderShare(nil), shares...)
	for i, o := range t.Orders() {
		out[i].OrderID = o.ID()
	}
	return out
}

// allocate divides the deposit and the credit over the child orders the draft splits into, by
// their lines: each line's credit over the units of it each order holds, the remainder to the
// last holder, so that the orders' shares add up to the lines' exactly. An order's credit never
// counts for more than the order costs (its total after discounts, with its shipping): what a
// line's credit would give beyond that is not given, so the balance of every order is what its
// buyer still owes for it, and a refund of one order is its own deposit and balance.
func allocate(c *Campaign, d *trade.Draft, lines []Line) ([]OrderShare, error) {
	credit, units := map[string]int64{}, map[string]int64{}
	for _, l := range lines {
		credit[l.SKUID] += l.Credit
		units[l.SKUID] += l.Quantity
	}
	given, seen := map[string]int64{}, map[string]int64{}
	out := make([]OrderShare, 0, len(d.Groups))
	for gi := range d.Groups {
		spec, _ := d.OrderSpec(gi)
		a, err := spec.Amounts(d.Quote.Currency)
		if err != nil {
			return nil, err
		}
		var s OrderShare
		for _, l := range spec.Lines {
			terms, _ := c.SKU(l.SKUID)
			s.Deposit += terms.Deposit * l.Quantity
			seen[l.SKUID] += l.Quantity
			part := credit[l.SKUID] * l.Quantity / units[l.SKUID]
			if seen[l.SKUID] == units[l.SKUID] {
				part = credit[l.SKUID] - given[l.SKUID] // the last holder takes the remainder
			}
			given[l.SKUID] += part
			s.Credit += part
		}
		s.Credit = min(s.Credit, a.Total.Minor())
		out = append(out, s)
	}
	return out, nil
}
