package tradesvc

import (
	"context"
	"fmt"
	"strings"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
	tradecore "github.com/atriumtrade/atrium/product-layer/trade"
)

// Face is a flow's part of the intake: how it quotes and places a buyer's cart, and what its
// answers show beyond what every trade shows. The intake looks a face up by the request's flow;
// a flow with no face is refused (trade.unknown_flow). The composition root lists the faces, one
// per flow that takes carts; the interface is sealed, since a face maps generated types.
type Face interface {
	// Scenario is the flow the face serves.
	Scenario() identity.Scenario
	quote(ctx context.Context, in intake, req *trade.QuoteRequest) (*trade.QuoteResponse, error)
	place(ctx context.Context, in intake, req *trade.PlaceOrderRequest) (*trade.Trade, error)
}

// viewer is a face whose trades show more than every trade does (a pre-sale's deposit terms).
type viewer interface {
	view(ctx context.Context, cl caller, dto *trade.Trade, t *order.Trade) error
}

// DefaultFlow is the flow of a request that names none.
const DefaultFlow = fixedprice.Scenario

// intake is a buyer's request to quote or place, checked and converted once for every flow.
type intake struct {
	h     *views
	cl    caller
	ident identity.Identity
	buyer tradecore.Buyer
	cart  tradecore.Cart
	// dest is a quote's destination.
	dest address.Place
	// addr, expected and key are an order's.
	addr     order.Address
	expected *money.Amount
	key      string
}

// face authenticates a buyer and finds the face of the flow a request names; the request runs
// under the caller's tenant and business line and that flow's scenario.
func (h *views) face(c *trade.Caller, flow string, cart tradecore.Cart) (Face, intake, error) {
	cl, err := asBuyer(c)
	if err != nil {
		return nil, intake{}, err
	}
	sc := identity.Scenario(flow)
	if flow == "" {
		sc = DefaultFlow
	}
	f, ok := h.faces[sc]
	if !ok {
		return nil, intake{}, errkind.WithDetail(tradecore.ErrUnknownFlow, "flow %q is not offered; use %s", flow, h.offered())
	}
	ident, err := identity.New(cl.tenant, cl.bizCode, sc)
	if err != nil {
		return nil, intake{}, err
	}
	return f, intake{h: h, cl: cl, ident: ident, buyer: cl.buyer(), cart: cart}, nil
}

// offered lists the flows that take carts, for an error message.
func (h *views) offered() string {
	names := make([]string, 0, len(h.faces))
	for _, sc := range h.core.Scenarios() {
		if _, ok := h.faces[sc]; ok {
			names = append(names, string(sc))
		}
	}
	return strings.Join(names, ", ")
}

// Quote implements trade.TradeIntake.
func (h *Intake) Quote(ctx context.Context, req *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	f, in, err := h.face(req.Caller, req.Flow, tradecore.Cart{Items: items(req.Items), Coupons: req.Coupons, Currency: req.GetCurrency()})
	if err != nil {
		return nil, err
	}
	if a := req.Destination; a != nil {
		in.dest = address.PlaceOf(addressFrom(a))
	}
	return f.quote(ctx, in, req)
}

// PlaceOrder implements trade.TradeIntake.
func (h *Intake) PlaceOrder(ctx context.Context, req *trade.PlaceOrderRequest) (*trade.Trade, error) {
	f, in, err := h.face(req.Caller, req.Flow, tradecore.Cart{Items: items(req.Items), Coupons: req.Coupons, Currency: req.GetCurrency()})
	if err != nil {
		return nil, err
	}
	if req.Address == nil {
		return nil, errkind.WithDetail(order.ErrInvalidAddress, "address is required")
	}
	if e := req.ExpectedTotal; e != nil {
		cur, err := money.ParseCurrency(e.Currency)
		if err != nil {
			return nil, err
		}
		if e.Amount < 0 {
			return nil, errkind.WithDetail(money.ErrInvalidAmount, "expectedTotal must not be negative")
		}
		amt := money.New(e.Amount, cur)
		in.expected = &amt
	}
	in.addr, in.key = addressFrom(req.Address), req.IdempotencyKey
	return f.place(ctx, in, req)
}

// placed answers an order request. A trade this request just created carries the state its flow
// started in and has no payment or refund yet, so it is answered as it is, without reading
// anything more (the intake path), with extra (a flow's terms) applied; a replayed request's
// trade, read back, is answered as it stands now (tradeView).
func (in intake) placed(ctx context.Context, t *order.Trade, extra func(*trade.Trade)) (*trade.Trade, error) {
	if t.FlowState() == "" {
		return in.h.tradeView(ctx, in.cl, t)
	}
	dto := tradeDTO(t)
	if extra != nil {
		extra(dto)
	}
	dto.State = t.FlowState()
	return dto, in.h.withDue(ctx, dto, t)
}

// withDue sets what counts toward the trade's price from elsewhere (its flow's credit) and what
// its buyer still pays now: what awaits payment, less the credit.
func (h *views) withDue(ctx context.Context, dto *trade.Trade, t *order.Trade) error {
	credit, err := h.core.Credit(ctx, t)
	if err != nil {
		return err
	}
	dto.Credit = moneyDTO(credit)
	dto.Due = moneyDTO(money.New(max(0, t.Payable().Minor()-credit.Minor()), t.Payable().Currency()))
	return nil
}

// quoteDTO is the answer every flow's quote starts from: lines, discounts, shipping and the child
// orders the cart would place.
func quoteDTO(q fixedprice.Quote) *trade.QuoteResponse {
	cur := q.Currency
	resp := &trade.QuoteResponse{Total: moneyDTO(q.Total), Discount: moneyDTO(money.New(q.Discount.Total, cur)),
		Payable: moneyDTO(q.Payable), Discounts: appliedDTOs(q.Discount.Applied, nil, cur)}
	var shipping int64
	for _, a := range q.Amounts {
		shipping += a.ShippingFee.Minor()
	}
	resp.ShippingFee = moneyDTO(money.New(shipping, cur))
	for i, l := range q.Lines {
		resp.Lines = append(resp.Lines, &trade.QuoteLine{SkuId: l.SKU.ID(), Title: l.SKU.Title(), SellerId: l.SKU.SellerID(),
			Quantity: l.Quantity, ListPrice: moneyDTO(l.ListPrice), UnitPrice: moneyDTO(l.UnitPrice), Total: moneyDTO(l.Total),
			WarehouseId: q.Warehouses[i], Discount: moneyDTO(money.New(q.Discount.Lines[i], cur)),
			Payable: moneyDTO(money.New(l.Total.Minor()-q.Discount.Lines[i], cur)), PriceListId: l.PriceListID})
	}
	for i, o := range q.Orders {
		a := q.Amounts[i]
		grp := &trade.QuoteGroup{SellerId: o.SellerID, Key: q.Keys[i], Discounts: discountDTOs(o.Discounts), Total: moneyDTO(a.Subtotal),
			Discount: moneyDTO(a.Discount), Payable: moneyDTO(a.Total), ShipsAt: optMillis(o.ShipsAt), ShippingFee: moneyDTO(a.ShippingFee)}
		for _, l := range o.Lines {
			grp.Lines = append(grp.Lines, &trade.QuoteLine{SkuId: l.SKUID, Title: l.Title, SellerId: o.SellerID, Quantity: l.Quantity,
				ListPrice: moneyDTO(l.ListPrice), UnitPrice: moneyDTO(l.UnitPrice), Total: moneyDTO(l.Total), WarehouseId: l.WarehouseID,
				Discount: moneyDTO(l.Discount), Payable: moneyDTO(l.Payable()), PriceListId: l.PriceListID})
		}
		resp.Groups = append(resp.Groups, grp)
	}
	return resp
}

// fixedPriceFace takes fixed-price carts.
type fixedPriceFace struct{ flow *fixedprice.Flow }

// FixedPriceFace is the fixed-price flow's part of the intake.
func FixedPriceFace(f *fixedprice.Flow) Face { return fixedPriceFace{f} }

func (fixedPriceFace) Scenario() identity.Scenario { return fixedprice.Scenario }

func (x fixedPriceFace) quote(ctx context.Context, in intake, _ *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	q, err := x.flow.Quote(ctx, in.ident, in.buyer, in.dest, in.cart)
	if err != nil {
		return nil, err
	}
	return quoteDTO(q), nil
}

func (x fixedPriceFace) place(ctx context.Context, in intake, _ *trade.PlaceOrderRequest) (*trade.Trade, error) {
	t, err := x.flow.PlaceOrder(ctx, fixedprice.PlaceOrder{Identity: in.ident, Buyer: in.buyer, Items: in.cart.Items,
		ExpectedTotal: in.expected, Address: in.addr, IdempotencyKey: in.key, Coupons: in.cart.Coupons, Currency: in.cart.Currency})
	if err != nil {
		return nil, err
	}
	return in.placed(ctx, t, nil)
}

// faces indexes faces by scenario; a flow listed twice is a wiring mistake.
func faces(fs []Face) (map[identity.Scenario]Face, error) {
	out := make(map[identity.Scenario]Face, len(fs))
	for _, f := range fs {
		if _, dup := out[f.Scenario()]; dup {
			return nil, fmt.Errorf("tradesvc: flow %s has two faces", f.Scenario())
		}
		out[f.Scenario()] = f
	}
	return out, nil
}
