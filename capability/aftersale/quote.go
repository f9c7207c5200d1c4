package aftersale

import (
	"sort"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// OrderLine is what one line of the order paid, as after-sale sees it.
type OrderLine struct {
	LineNo      int
	SKUID       string
	WarehouseID string
	Quantity    int64
	// Paid is what the line cost the buyer after every discount; Discount is its share of the
	// order's discounts.
	Paid     money.Amount
	Discount money.Amount
}

// Ask is units of one line that a buyer asks for.
type Ask struct {
	LineNo   int
	Quantity int64
}

// Book is one order's after-sale ledger: its lines, its shipping fee, and every request made on it
// so far (of any status).
type Book struct {
	Lines       []OrderLine
	ShippingFee money.Amount
	// Shipped: the parcel left the warehouse. An order refunded whole before it shipped always
	// gets its shipping back, whatever the tenant's rule: the service was never rendered.
	Shipped bool
	Earlier []*AfterSale
}

// Quoted is what a request for some units is worth.
type Quoted struct {
	Lines    []Line
	Shipping money.Amount
	// Whole: with these units, every unit of the order is held by a request.
	Whole bool
}

// taken is what the active requests hold of one line.
type taken struct{ units, amount, discount int64 }

func (b Book) taken() (map[int]taken, int64) {
	out := map[int]taken{}
	var shipping int64
	for _, a := range b.Earlier {
		if !a.status.Active() {
			continue
		}
		for _, l := range a.lines {
			t := out[l.LineNo]
			t.units += l.Quantity
			t.amount += l.Amount.Minor()
			t.discount += l.Discount.Minor()
			out[l.LineNo] = t
		}
		shipping += a.shipping.Minor()
	}
	return out, shipping
}

// Remaining is how many units of each line no active request holds.
func (b Book) Remaining() map[int]int64 {
	t, _ := b.taken()
	out := map[int]int64{}
	for _, l := range b.Lines {
		out[l.LineNo] = l.Quantity - t[l.LineNo].units
	}
	return out
}

// Quote values asks against the book: each line's units take the cumulative portion of what the
// line paid that they bring (see the package doc), and the last units of a line take exactly what
// is left of it. A line number the order does not have is ErrUnknownLine; more units than no
// active request holds is ErrTooManyUnits. Shipping follows rule.
func (b Book) Quote(asks []Ask, rule ShippingRule) (Quoted, error) {
	if len(asks) == 0 {
		return Quoted{}, invalid("at least one line")
	}
	cur := b.ShippingFee.Currency()
	byNo := map[int]OrderLine{}
	for _, l := range b.Lines {
		byNo[l.LineNo] = l
	}
	held, shippingGiven := b.taken()
	seen := map[int]bool{}
	out := Quoted{}
	var paidAfter, paidAll int64
	for _, l := range b.Lines {
		paidAll += l.Paid.Minor()
	}
	for _, ask := range asks {
		l, ok := byNo[ask.LineNo]
		switch {
		case !ok:
			return Quoted{}, errkind.WithDetail(ErrUnknownLine, "the order has no line %d", ask.LineNo)
		case seen[ask.LineNo]:
			return Quoted{}, invalid("line %d is asked for twice", ask.LineNo)
		case ask.Quantity <= 0:
			return Quoted{}, invalid("line %d: quantity must be at least 1", ask.LineNo)
		}
		seen[ask.LineNo] = true
		t := held[ask.LineNo]
		if left := l.Quantity - t.units; ask.Quantity > left {
			return Quoted{}, errkind.WithDetail(ErrTooManyUnits, "line %d: %d units asked, %d of %d remain", ask.LineNo, ask.Quantity, left, l.Quantity)
		}
		after := t.units + ask.Quantity
		amount, err := step(l.Paid.Minor(), after, l.Quantity, t.amount)
		if err != nil {
			return Quoted{}, err
		}
		discount, err := step(l.Discount.Minor(), after, l.Quantity, t.discount)
		if err != nil {
			return Quoted{}, err
		}
		out.Lines = append(out.Lines, Line{LineNo: l.LineNo, SKUID: l.SKUID, WarehouseID: l.WarehouseID, Quantity: ask.Quantity,
			Amount: money.New(amount, cur), Discount: money.New(discount, cur)})
		held[ask.LineNo] = taken{units: after, amount: t.amount + amount, discount: t.discount + discount}
	}
	sort.Slice(out.Lines, func(i, j int) bool { return out.Lines[i].LineNo < out.Lines[j].LineNo })
	out.Whole = true
	for _, l := range b.Lines {
		t := held[l.LineNo]
		out.Whole = out.Whole && t.units == l.Quantity
		paidAfter += t.amount
	}
	fee := b.ShippingFee.Minor()
	var ship int64
	switch {
	case fee == 0:
	case out.Whole && (rule != ShipNever || !b.Shipped):
		ship = fee - shippingGiven
	case rule == ShipAlways && paidAll > 0:
		var err error
		if ship, err = step(fee, paidAfter, paidAll, shippingGiven); err != nil {
			return Quoted{}, err
		}
	}
	out.Shipping = money.New(max(0, ship), cur)
	return out, nil
}

// step is what n of `of` shares of total bring after `given` was already handed out: the
// cumulative portion less what was given, never below zero, and exactly the rest at the end.
func step(total, n, of, given int64) (int64, error) {
	if n == of {
		return max(0, total-given), nil
	}
	p, err := money.Portion(total, n, of)
	if err != nil {
		return 0, err
	}
	return max(0, p-given), nil
}

// Budgets is what a request's refund gives back to each campaign budget, given the order's
// discounts by campaign, the order's whole discount, and how much of that discount the order's
// refunds had given back before this one: each campaign gets the cumulative portion of its
// spend that the refunded discount reaches, so the budgets are whole again when every unit is.
func Budgets(byCampaign map[string]int64, orderDiscount, before, this int64) (map[string]int64, error) {
	if orderDiscount <= 0 || this <= 0 {
		return nil, nil
	}
	after := min(before+this, orderDiscount)
	out := map[string]int64{}
	for c, spent := range byCampaign {
		was, err := money.Portion(spent, before, orderDiscount)
		if err != nil {
			return nil, err
		}
		now, err := money.Portion(spent, after, orderDiscount)
		if err != nil {
			return nil, err
		}
		if now > was {
			out[c] = now - was
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
