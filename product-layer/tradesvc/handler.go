// Package tradesvc serves the trade node's Kitex services (see idl/trade.thrift): the reads, the
// lifecycle every kind of trade shares, one service per flow for its own verbs, and one per
// capability for its operators. Each handler converts the generated DTOs to domain types at the
// boundary, checks that the caller may do what it asks, invokes the flow or capability (which
// validates what it is given), and converts the result back; errors go back as they are and are
// made fit for the wire in one place (idl/rpcerr.Server). No generated type goes past this package.
package tradesvc

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
	"github.com/atriumtrade/atrium/product-layer/auction"
	"github.com/atriumtrade/atrium/product-layer/cod"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
	"github.com/atriumtrade/atrium/product-layer/presale"
	"github.com/atriumtrade/atrium/product-layer/stats"
	tradecore "github.com/atriumtrade/atrium/product-layer/trade"
)

// Simulator makes a test payment provider report an outcome (the sandbox).
type Simulator interface {
	Simulate(ctx context.Context, p *payment.Payment, outcome payment.Outcome) error
}

// Roles a caller can have.
const (
	RoleBuyer = "buyer"
	RoleAdmin = "admin"
	// RoleSystem is the access layer itself, for calls made on no one's behalf.
	RoleSystem = "system"
)

// ReasonOperator is the cancel reason of an order an operator cancelled.
const ReasonOperator = "operator_cancelled"

// Pinger checks that a dependency can serve.
type Pinger interface {
	PingContext(ctx context.Context) error
}

// base is what every service's handler serves from, and the checks they share.
type base struct {
	db        Pinger
	flow      *fixedprice.Flow
	catalog   catalog.Store
	inventory *inventory.Service
	simulator Simulator
	ext       *extensions.Admin
	frontends identity.FrontendStore
	discounts *discount.Admin
	limits    *limits.Admin
	delivery  *delivery.Service
	prices    *pricing.Prices
	orders    OrderLookup
	presales  *presale.Admin
	presale   *presale.Flow
	codRules  *cod.Admin
	cod       *cod.Flow
	stats     stats.Store
	aftersale *aftersale.Flow
	auctions  *auction.Flow
	log       *slog.Logger
}

// Deps are what the handler serves from.
type Deps struct {
	DB        Pinger
	Flow      *fixedprice.Flow
	Catalog   catalog.Store
	Inventory *inventory.Service
	Simulator Simulator
	Ext       *extensions.Admin
	Frontends identity.FrontendStore
	// Discounts and Limits are the operators' side of those capabilities; nil disables their
	// admin API (discount.disabled, limits.disabled).
	Discounts *discount.Admin
	Limits    *limits.Admin
	Delivery  *delivery.Service
	// Prices manages price lists; nil disables the admin API (pricing.disabled).
	Prices *pricing.Prices
	// Presales manages pre-sale campaigns; Presale runs pre-sale trades.
	Presales *presale.Admin
	Presale  *presale.Flow
	// CodRules manages the tenants' cash-on-delivery rules; COD runs cash-on-delivery trades.
	CodRules *cod.Admin
	// Stats is the order-events projection the admin reads.
	Stats stats.Store
	COD   *cod.Flow
	// AfterSale runs after-sale requests on trades of every flow.
	AfterSale *aftersale.Flow
	// Auctions runs auctions.
	Auctions *auction.Flow
	Log      *slog.Logger
}

// OrderLookup finds the trade of any order of a tenant.
type OrderLookup interface {
	Order(ctx context.Context, tenant string, a tradecore.Actor, orderID string) (*order.Order, error)
}

// The handlers, one per service.
type (
	Queries         struct{ *base }
	Lifecycle       struct{ *base }
	FixedPrice      struct{ *base }
	Presale         struct{ *base }
	COD             struct{ *base }
	CatalogAdmin    struct{ *base }
	DeliveryAdmin   struct{ *base }
	PricingAdmin    struct{ *base }
	ExtensionsAdmin struct{ *base }
	FrontendsAdmin  struct{ *base }
	DiscountAdmin   struct{ *base }
	LimitsAdmin     struct{ *base }
	PresaleAdmin    struct{ *base }
	CodAdmin        struct{ *base }
	StatsAdmin      struct{ *base }
	AfterSales      struct{ *base }
	AfterSaleAdmin  struct{ *base }
	Auctions        struct{ *base }
	AuctionAdmin    struct{ *base }
)

var (
	_ trade.TradeQueries    = (*Queries)(nil)
	_ trade.TradeLifecycle  = (*Lifecycle)(nil)
	_ trade.FixedPrice      = (*FixedPrice)(nil)
	_ trade.Presale         = (*Presale)(nil)
	_ trade.CashOnDelivery  = (*COD)(nil)
	_ trade.CatalogAdmin    = (*CatalogAdmin)(nil)
	_ trade.DeliveryAdmin   = (*DeliveryAdmin)(nil)
	_ trade.PricingAdmin    = (*PricingAdmin)(nil)
	_ trade.ExtensionsAdmin = (*ExtensionsAdmin)(nil)
	_ trade.FrontendsAdmin  = (*FrontendsAdmin)(nil)
	_ trade.DiscountAdmin   = (*DiscountAdmin)(nil)
	_ trade.LimitsAdmin     = (*LimitsAdmin)(nil)
	_ trade.PresaleAdmin    = (*PresaleAdmin)(nil)
	_ trade.CodAdmin        = (*CodAdmin)(nil)
	_ trade.StatsAdmin      = (*StatsAdmin)(nil)
)

// Services are the handlers of every service the trade node serves.
type Services struct {
	Queries         *Queries
	Lifecycle       *Lifecycle
	FixedPrice      *FixedPrice
	Presale         *Presale
	COD             *COD
	CatalogAdmin    *CatalogAdmin
	DeliveryAdmin   *DeliveryAdmin
	PricingAdmin    *PricingAdmin
	ExtensionsAdmin *ExtensionsAdmin
	FrontendsAdmin  *FrontendsAdmin
	DiscountAdmin   *DiscountAdmin
	LimitsAdmin     *LimitsAdmin
	PresaleAdmin    *PresaleAdmin
	CodAdmin        *CodAdmin
	StatsAdmin      *StatsAdmin
	AfterSales      *AfterSales
	AfterSaleAdmin  *AfterSaleAdmin
	Auctions        *Auctions
	AuctionAdmin    *AuctionAdmin
}

// New returns the handlers.
func New(d Deps) *Services {
	b := &base{db: d.DB, flow: d.Flow, catalog: d.Catalog, inventory: d.Inventory, simulator: d.Simulator, ext: d.Ext,
		frontends: d.Frontends, discounts: d.Discounts, limits: d.Limits, delivery: d.Delivery, prices: d.Prices, orders: d.Flow, presales: d.Presales, presale: d.Presale,
		codRules: d.CodRules, cod: d.COD, stats: d.Stats, aftersale: d.AfterSale, auctions: d.Auctions, log: d.Log}
	return &Services{Queries: &Queries{b}, Lifecycle: &Lifecycle{b}, FixedPrice: &FixedPrice{b}, Presale: &Presale{b}, COD: &COD{b},
		CatalogAdmin: &CatalogAdmin{b}, DeliveryAdmin: &DeliveryAdmin{b}, PricingAdmin: &PricingAdmin{b}, ExtensionsAdmin: &ExtensionsAdmin{b},
		FrontendsAdmin: &FrontendsAdmin{b}, DiscountAdmin: &DiscountAdmin{b}, LimitsAdmin: &LimitsAdmin{b}, PresaleAdmin: &PresaleAdmin{b},
		CodAdmin: &CodAdmin{b}, StatsAdmin: &StatsAdmin{b}, AfterSales: &AfterSales{b}, AfterSaleAdmin: &AfterSaleAdmin{b},
		Auctions: &Auctions{b}, AuctionAdmin: &AuctionAdmin{b}}
}

// caller is an authenticated caller.
type caller struct {
	tenant, bizCode, userID, role, channel, memberLevel string
}

func (cl caller) buyer() fixedprice.Buyer {
	return fixedprice.Buyer{UserID: cl.userID, MemberLevel: cl.memberLevel, Channel: cl.channel}
}

func (h *base) buyer(c *trade.Caller) (caller, error) {
	cl, err := parseCaller(c)
	if err != nil {
		return cl, err
	}
	if cl.role != RoleBuyer || !identity.ValidUserID(cl.userID) {
		return cl, errkind.WithDetail(errkind.ErrForbidden, "this operation is for buyers")
	}
	return cl, nil
}

func (h *base) admin(c *trade.Caller) (caller, error) {
	cl, err := parseCaller(c)
	if err != nil {
		return cl, err
	}
	if cl.role != RoleAdmin {
		return cl, errkind.WithDetail(errkind.ErrForbidden, "this operation is for operators")
	}
	return cl, nil
}

func parseCaller(c *trade.Caller) (caller, error) {
	if c == nil || !identity.ValidTenant(c.Tenant) {
		return caller{}, errkind.ErrUnauthenticated
	}
	if len(c.MemberLevel) > 32 {
		return caller{}, errkind.Invalidf("memberLevel must be at most 32 characters")
	}
	return caller{tenant: c.Tenant, bizCode: c.BizCode, userID: c.UserId, role: c.Role, channel: c.Channel, memberLevel: c.MemberLevel}, nil
}

// buyerIdentity authenticates a buyer and derives the business identity the request runs under:
// the caller's tenant and business line, and the scenario of the flow's service (a request may
// name its flow; it must be that one).
func (h *base) buyerIdentity(c *trade.Caller, sc identity.Scenario, flow string) (caller, identity.Identity, error) {
	cl, err := h.buyer(c)
	if err != nil {
		return cl, identity.Identity{}, err
	}
	if flow != "" && flow != string(sc) {
		return cl, identity.Identity{}, errkind.Invalidf("flow %q is not this service's (%s)", flow, sc)
	}
	ident, err := identity.New(cl.tenant, cl.bizCode, sc)
	return cl, ident, err
}

func items(in []*trade.Item) []pricing.Item {
	out := make([]pricing.Item, 0, len(in))
	for _, it := range in {
		if it != nil {
			out = append(out, pricing.Item{SKUID: it.SkuId, Quantity: it.Quantity})
		}
	}
	return out
}

// Ping implements its service.
func (h *Queries) Ping(ctx context.Context, _ *trade.PingRequest) (*trade.PingResponse, error) {
	if err := h.db.PingContext(ctx); err != nil {
		return nil, errors.Join(errkind.ErrUnavailable, err)
	}
	return &trade.PingResponse{Ready: true}, nil
}

// Quote implements its service.
func (h *FixedPrice) Quote(ctx context.Context, req *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	return h.quote(ctx, req, identity.FixedPrice)
}

// QuotePresale implements trade.Presale.
func (h *Presale) QuotePresale(ctx context.Context, req *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	return h.quote(ctx, req, identity.Presale)
}

// QuoteCod implements trade.CashOnDelivery.
func (h *COD) QuoteCod(ctx context.Context, req *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	return h.quote(ctx, req, identity.COD)
}

// quote prices a cart in the flow of sc and maps the quote, with the flow's own terms.
func (h *base) quote(ctx context.Context, req *trade.QuoteRequest, sc identity.Scenario) (*trade.QuoteResponse, error) {
	cl, ident, err := h.buyerIdentity(req.Caller, sc, req.Flow)
	if err != nil {
		return nil, err
	}
	var dest address.Place
	if a := req.Destination; a != nil {
		dest = address.Place{Country: a.Country, Province: a.Province, City: a.City, District: a.District,
			ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode}
	}
	cart := fixedprice.Cart{Items: items(req.Items), Coupons: req.Coupons, Currency: req.GetCurrency()}
	var q fixedprice.Quote
	var terms *trade.PresaleTerms
	var shares []presale.OrderShare
	var codAvail *trade.CodAvailability
	switch ident.Scenario() {
	case identity.COD:
		cq, err := h.cod.Quote(ctx, ident, cl.buyer(), dest, cart)
		if err != nil {
			return nil, err
		}
		if q, err = fixedprice.QuoteOf(cq.Draft); err != nil {
			return nil, err
		}
		codAvail = codAvailabilityDTO(cq.Ineligible)
	case identity.Presale:
		pq, err := h.presale.Quote(ctx, ident, cl.buyer(), dest, req.PresaleId, cart)
		if err != nil {
			return nil, err
		}
		if q, err = fixedprice.QuoteOf(pq.Draft); err != nil {
			return nil, err
		}
		terms, shares = presaleTermsDTO(req.PresaleId, pq.Terms, "", q.Currency), pq.Terms.Orders
	default:
		if q, err = h.flow.Quote(ctx, ident, cl.buyer(), dest, cart); err != nil {
			return nil, err
		}
	}
	cur := q.Currency
	resp := &trade.QuoteResponse{Total: moneyDTO(q.Total), Discount: moneyDTO(money.New(q.Discount.Total, cur)),
		Payable: moneyDTO(q.Payable), Discounts: appliedDTOs(q.Discount.Applied, nil, cur)}
	var shipping int64
	for _, a := range q.Amounts {
		shipping += a.ShippingFee.Minor()
	}
	resp.ShippingFee = moneyDTO(money.New(shipping, cur))
	resp.Presale, resp.Cod = terms, codAvail
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
		if shares != nil {
			grp.Presale = shareDTO(req.PresaleId, shares[i], a.Total.Minor(), "", cur)
		}
		resp.Groups = append(resp.Groups, grp)
	}
	return resp, nil
}

// optMillis is t in unix ms, or nil for the zero time.
func optMillis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// appliedDTOs is each promotion's part on the given lines (nil: the whole cart), leaving out
// promotions that gave those lines nothing.
func appliedDTOs(applied []discount.Applied, lines []int, cur money.Currency) []*trade.AppliedDiscount {
	out := []*trade.AppliedDiscount{}
	for _, a := range applied {
		amount := a.Amount
		if lines != nil {
			amount = 0
			for _, li := range lines {
				amount += a.Lines[li]
			}
		}
		if amount > 0 {
			out = append(out, &trade.AppliedDiscount{PromotionId: a.PromotionID, Name: a.Name, Kind: string(a.Kind),
				CouponCode: a.CouponCode, Amount: moneyDTO(money.New(amount, cur))})
		}
	}
	return out
}

// PlaceOrder implements its service.
func (h *FixedPrice) PlaceOrder(ctx context.Context, req *trade.PlaceOrderRequest) (*trade.Trade, error) {
	return h.placeOrder(ctx, req, identity.FixedPrice)
}

// PlacePresaleOrder implements trade.Presale.
func (h *Presale) PlacePresaleOrder(ctx context.Context, req *trade.PlaceOrderRequest) (*trade.Trade, error) {
	return h.placeOrder(ctx, req, identity.Presale)
}

// PlaceCodOrder implements trade.CashOnDelivery.
func (h *COD) PlaceCodOrder(ctx context.Context, req *trade.PlaceOrderRequest) (*trade.Trade, error) {
	return h.placeOrder(ctx, req, identity.COD)
}

// placeOrder places a trade in the flow of sc.
func (h *base) placeOrder(ctx context.Context, req *trade.PlaceOrderRequest, sc identity.Scenario) (*trade.Trade, error) {
	cl, ident, err := h.buyerIdentity(req.Caller, sc, req.Flow)
	if err != nil {
		return nil, err
	}
	if req.Address == nil {
		return nil, errkind.WithDetail(order.ErrInvalidAddress, "address is required")
	}
	var expected *money.Amount
	if e := req.ExpectedTotal; e != nil {
		cur, err := money.ParseCurrency(e.Currency)
		if err != nil {
			return nil, err
		}
		if e.Amount < 0 {
			return nil, errkind.WithDetail(money.ErrInvalidAmount, "expectedTotal must not be negative")
		}
		amt := money.New(e.Amount, cur)
		expected = &amt
	}
	addr := addressFrom(req.Address)
	if ident.Scenario() == identity.Presale {
		if expected != nil {
			return nil, errkind.Invalidf("a pre-sale order shows its deposit and balance in its quote; expectedTotal is for fixed-price orders")
		}
		t, rec, err := h.presale.PlaceOrder(ctx, presale.PlaceOrder{Identity: ident, Buyer: cl.buyer(), CampaignID: req.PresaleId,
			Items: items(req.Items), Address: addr, IdempotencyKey: req.IdempotencyKey, Coupons: req.Coupons})
		if err != nil {
			return nil, err
		}
		return h.placedView(ctx, cl, t, &rec)
	}
	if ident.Scenario() == identity.COD {
		t, err := h.cod.PlaceOrder(ctx, cod.PlaceOrder{Identity: ident, Buyer: cl.buyer(), Items: items(req.Items), ExpectedTotal: expected,
			Address: addr, IdempotencyKey: req.IdempotencyKey, Coupons: req.Coupons, Currency: req.GetCurrency()})
		if err != nil {
			return nil, err
		}
		return h.placedView(ctx, cl, t, nil)
	}
	t, err := h.flow.PlaceOrder(ctx, fixedprice.PlaceOrder{Identity: ident, Buyer: cl.buyer(), Items: items(req.Items), ExpectedTotal: expected,
		Address: addr, IdempotencyKey: req.IdempotencyKey, Coupons: req.Coupons, Currency: req.GetCurrency()})
	if err != nil {
		return nil, err
	}
	return h.placedView(ctx, cl, t, nil)
}

// placedView answers an order request. A trade this request just created carries the state its
// flow started in and has no payment or refund yet, so it is answered as it is, without reading
// anything more (the intake path); a replayed request's trade, read back, is answered as it
// stands now (tradeView). rec is a new pre-sale trade's record.
func (h *base) placedView(ctx context.Context, cl caller, t *order.Trade, rec *presale.Record) (*trade.Trade, error) {
	if t.FlowState() == "" {
		return h.tradeView(ctx, cl, t)
	}
	dto := tradeDTO(t)
	if rec != nil {
		dto = withRecord(dto, *rec)
	}
	dto.State = t.FlowState()
	return dto, h.withDue(ctx, dto, t)
}

// withDue sets what counts toward the trade's price from elsewhere (its flow's credit) and what
// its buyer still pays now: what awaits payment, less the credit.
func (h *base) withDue(ctx context.Context, dto *trade.Trade, t *order.Trade) error {
	credit, err := h.flow.Core().Credit(ctx, t)
	if err != nil {
		return err
	}
	dto.Credit = moneyDTO(credit)
	dto.Due = moneyDTO(money.New(max(0, t.Payable().Minor()-credit.Minor()), t.Payable().Currency()))
	return nil
}

func addressFrom(a *trade.Address) order.Address {
	return order.Address{Name: a.Name, Phone: a.Phone, Country: a.Country, Province: a.Province, City: a.City,
		District: a.District, Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode,
		StreetCode: a.StreetCode, Detail: a.Detail, PostalCode: a.PostalCode}
}

// GetTrade implements its service.
func (h *Queries) GetTrade(ctx context.Context, req *trade.TradeRef) (*trade.Trade, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	t, err := h.flow.Trade(ctx, cl.tenant, cl.actor(), req.TradeId)
	if err != nil {
		return nil, err
	}
	return h.tradeView(ctx, cl, t)
}

// tradeView is a trade as it stands now, as every answer shows it (a replayed order answers its
// trade as it is, not as it was placed): its flow's state, payments, what counts toward its price
// from elsewhere and what is due, a pre-sale's terms, and each order's refunds.
func (h *base) tradeView(ctx context.Context, cl caller, t *order.Trade) (*trade.Trade, error) {
	dto := tradeDTO(t)
	core := h.flow.Core()
	ps, err := core.Payments(ctx, cl.tenant, cl.actor(), t.ID())
	if err != nil {
		return nil, err
	}
	if in, err := core.Instance(ctx, cl.tenant, t.ID()); err == nil {
		dto.State = in.State
	}
	if err := h.withDue(ctx, dto, t); err != nil {
		return nil, err
	}
	if t.Identity().Scenario() == identity.Presale {
		rec, err := h.presale.Record(ctx, cl.tenant, cl.actor(), t.ID())
		if err != nil {
			return nil, err
		}
		withRecord(dto, rec)
	}
	for _, p := range ps {
		dto.Payments = append(dto.Payments, paymentDTO(p))
	}
	return dto, h.attachRefunds(ctx, cl.tenant, dto.Orders...)
}

// actor is who the caller acts as: an admin is the tenant's operator; anyone else is a buyer,
// who sees only their own records.
func (cl caller) actor() tradecore.Actor {
	if cl.role == RoleAdmin {
		return tradecore.ByOperator(cl.userID)
	}
	return tradecore.ByBuyer(cl.userID)
}

// GetOrder implements its service.
func (h *Queries) GetOrder(ctx context.Context, req *trade.OrderRef) (*trade.Order, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.flow.Order(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	dto := orderDTO(o)
	return dto, h.attachRefunds(ctx, cl.tenant, dto)
}

// ListOrders implements its service.
func (h *Queries) ListOrders(ctx context.Context, req *trade.ListOrdersRequest) (*trade.ListOrdersResponse, error) {
	cl, err := h.buyer(req.Caller)
	if err != nil {
		return nil, err
	}
	page, err := h.flow.Orders(ctx, cl.tenant, cl.userID, int(req.Limit), req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListOrdersResponse{NextCursor: page.Next, Orders: []*trade.Order{}}
	for _, o := range page.Orders {
		resp.Orders = append(resp.Orders, orderDTO(o))
	}
	return resp, h.attachRefunds(ctx, cl.tenant, resp.Orders...)
}

// attachRefunds sets the refunds of each order that can have any (refunded; cancelled: a
// pre-sale deposit goes back with a cancelled order; paid: after-sale refunds some of its units)
// in one read; a page of orders that cannot costs none.
func (h *base) attachRefunds(ctx context.Context, tenant string, orders ...*trade.Order) error {
	var ids []string
	for _, o := range orders {
		if o.Paid || o.Status == string(order.Refunded) || o.Status == string(order.Cancelled) {
			ids = append(ids, o.OrderId)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rs, err := h.flow.Core().Refunds(ctx, tenant, ids)
	if err != nil {
		return err
	}
	for _, o := range orders {
		for _, r := range rs[o.OrderId] {
			o.Refunds = append(o.Refunds, refundDTO(r))
		}
		if len(o.Refunds) > 0 {
			o.Refund = o.Refunds[0]
		}
	}
	return nil
}

func refundDTO(r *payment.Refund) *trade.Refund {
	return &trade.Refund{RefundId: r.ID(), OrderId: r.OrderID(), PaymentId: r.PaymentID(), Amount: moneyDTO(r.Amount()),
		Status: string(r.Status()), Reason: r.Reason(), CreatedAt: millis(r.CreatedAt()), SettledAt: optMillis(r.SettledAt()),
		AfterSaleId: r.AfterSaleID()}
}

// Reasons of a whole-order refund, by who asked.
const (
	ReasonBuyerRefund    = "buyer_requested"
	ReasonOperatorRefund = "operator_refunded"
)

// RefundOrder implements its service: the shorthand for an after-sale request of every unit of a
// paid order that has not shipped, approved at once.
func (h *Lifecycle) RefundOrder(ctx context.Context, req *trade.OrderRef) (*trade.Order, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	reason := ReasonBuyerRefund
	if cl.role == RoleAdmin {
		reason = ReasonOperatorRefund
	}
	o, rs, err := h.aftersale.RefundWhole(ctx, cl.tenant, cl.actor(), req.OrderId, reason)
	if err != nil {
		return nil, err
	}
	dto := orderDTO(o)
	for _, r := range rs {
		dto.Refunds = append(dto.Refunds, refundDTO(r))
	}
	if len(dto.Refunds) > 0 {
		dto.Refund = dto.Refunds[0]
	}
	return dto, nil
}

// CancelOrder implements its service: the order's own flow cancels it (trade.Core.Cancel).
func (h *Lifecycle) CancelOrder(ctx context.Context, req *trade.CancelOrderRequest) (*trade.Order, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	reason := fixedprice.ReasonBuyer
	if cl.role == RoleAdmin {
		reason = ReasonOperator
	}
	o, err := h.flow.Core().Cancel(ctx, cl.tenant, req.OrderId, tradecore.Cancellation{Actor: cl.actor(), Reason: reason,
		RefundDeposit: req.RefundDeposit})
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// ShipOrder implements its service.
func (h *Lifecycle) ShipOrder(ctx context.Context, req *trade.ShipOrderRequest) (*trade.Order, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.flow.Ship(ctx, cl.tenant, cl.actor(), req.OrderId, order.Shipment{Carrier: req.Carrier, TrackingNo: req.TrackingNo})
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// DeliverOrder implements its service.
func (h *Lifecycle) DeliverOrder(ctx context.Context, req *trade.DeliverOrderRequest) (*trade.Order, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	peek, err := h.flow.Order(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	if peek.Scenario() == identity.COD {
		o, err := h.cod.Deliver(ctx, cl.tenant, cl.actor(), req.OrderId, cod.Delivery{Outcome: req.Outcome, Collected: req.Collected})
		if err != nil {
			return nil, err
		}
		return orderDTO(o), nil
	}
	if req.Outcome != "delivered" {
		return nil, errkind.Invalidf("outcome must be \"delivered\" for a prepaid order")
	}
	if req.Collected != nil {
		return nil, errkind.Invalidf("a prepaid order collects nothing on delivery; collected is for cash-on-delivery orders")
	}
	o, err := h.flow.Deliver(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// CompleteOrder implements its service.
func (h *Lifecycle) CompleteOrder(ctx context.Context, req *trade.OrderRef) (*trade.Order, error) {
	cl, err := h.buyer(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.flow.Complete(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	return orderDTO(o), nil
}

// CreatePayment implements its service.
func (h *Lifecycle) CreatePayment(ctx context.Context, req *trade.CreatePaymentRequest) (*trade.Payment, error) {
	cl, err := h.buyer(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.flow.CreatePayment(ctx, fixedprice.CreatePayment{Tenant: cl.tenant, UserID: cl.userID, TradeID: req.TradeId,
		Method: req.Method, IdempotencyKey: req.IdempotencyKey, Purpose: payment.Purpose(req.Purpose)})
	if err != nil {
		return nil, err
	}
	return paymentDTO(p), nil
}

// SimulatePayment implements its service.
func (h *Lifecycle) SimulatePayment(ctx context.Context, req *trade.SimulatePaymentRequest) (*trade.Payment, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	outcome := payment.Outcome(req.Outcome)
	if outcome != payment.OutcomeSucceeded && outcome != payment.OutcomeFailed {
		return nil, errkind.Invalidf("outcome must be \"succeeded\" or \"failed\"")
	}
	p, err := h.flow.Payment(ctx, cl.tenant, req.PaymentId)
	if err != nil {
		return nil, err
	}
	if p.Provider() != "sandbox" || h.simulator == nil {
		return nil, errkind.WithDetail(payment.ErrUnknownProvider, "only sandbox payments can be simulated")
	}
	if err := h.simulator.Simulate(ctx, p, outcome); err != nil {
		return nil, err
	}
	if p, err = h.flow.Payment(ctx, cl.tenant, req.PaymentId); err != nil {
		return nil, err
	}
	return paymentDTO(p), nil
}

// PaymentCallback implements its service.
func (h *Lifecycle) PaymentCallback(ctx context.Context, req *trade.PaymentCallbackRequest) (*trade.PaymentCallbackResponse, error) {
	hdr := http.Header{}
	for k, v := range req.Headers {
		hdr.Set(k, v)
	}
	err := h.flow.HandlePaymentCallback(ctx, req.Provider, hdr, req.Body)
	if err != nil {
		return nil, err
	}
	return &trade.PaymentCallbackResponse{Accepted: true}, nil
}

// UpsertSKU implements its service.
func (h *CatalogAdmin) UpsertSKU(ctx context.Context, req *trade.UpsertSKURequest) (*trade.SKU, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Price == nil {
		return nil, errkind.WithDetail(catalog.ErrInvalidSKU, "price is required")
	}
	cur, err := money.ParseCurrency(req.Price.Currency)
	if err != nil {
		return nil, err
	}
	sku, err := catalog.NewSKU(cl.tenant, req.SkuId, req.Title, req.SellerId, money.New(req.Price.Amount, cur), req.Tags...)
	if err != nil {
		return nil, err
	}
	if ms := req.PresaleShipsAt; ms != nil {
		if sku, err = sku.WithPresaleAt(*ms); err != nil {
			return nil, err
		}
	}
	if err := h.catalog.Upsert(ctx, sku); err != nil {
		return nil, err
	}
	return skuDTO(sku), nil
}

// GetSKU implements its service.
func (h *CatalogAdmin) GetSKU(ctx context.Context, req *trade.SKURef) (*trade.SKU, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	sku, err := h.catalog.Get(ctx, cl.tenant, req.SkuId)
	if err != nil {
		return nil, err
	}
	return skuDTO(sku), nil
}

func skuDTO(sku catalog.SKU) *trade.SKU {
	return &trade.SKU{SkuId: sku.ID(), Title: sku.Title(), SellerId: sku.SellerID(), Price: moneyDTO(sku.Price()), Tags: sku.Tags(),
		PresaleShipsAt: optMillis(sku.ShipsAt())}
}

// PutWarehouse implements its service.
func (h *CatalogAdmin) PutWarehouse(ctx context.Context, req *trade.PutWarehouseRequest) (*trade.Warehouse, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Region == nil {
		return nil, errkind.WithDetail(inventory.ErrInvalidWarehouse, "region is required")
	}
	w, err := h.inventory.PutWarehouse(ctx, cl.tenant, inventory.Warehouse{ID: req.WarehouseId, Name: req.Name, Region: placeOf(req.Region)})
	if err != nil {
		return nil, err
	}
	return warehouseDTO(w), nil
}

// ListWarehouses implements its service.
func (h *CatalogAdmin) ListWarehouses(ctx context.Context, req *trade.ListWarehousesRequest) (*trade.ListWarehousesResponse, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	ws, err := h.inventory.Warehouses(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListWarehousesResponse{Warehouses: []*trade.Warehouse{}}
	for _, w := range ws {
		resp.Warehouses = append(resp.Warehouses, warehouseDTO(w))
	}
	return resp, nil
}

func warehouseDTO(w inventory.Warehouse) *trade.Warehouse {
	return &trade.Warehouse{WarehouseId: w.ID, Name: w.Name, Region: regionDTO(w.Region)}
}

// SetStock implements its service.
func (h *CatalogAdmin) SetStock(ctx context.Context, req *trade.SetStockRequest) (*trade.StockResponse, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	if !catalog.ValidID(req.WarehouseId) {
		return nil, errkind.Invalidf("warehouseId must be 1-64 letters, digits, '.', '_' or '-'")
	}
	if _, err := h.catalog.Get(ctx, cl.tenant, req.SkuId); err != nil {
		return nil, err
	}
	if req.OnHand == nil && req.Hot == nil {
		return nil, errkind.Invalidf("onHand or hot is required")
	}
	if req.OnHand != nil {
		if _, err := h.inventory.SetOnHand(ctx, cl.tenant, req.SkuId, req.WarehouseId, *req.OnHand); err != nil {
			return nil, err
		}
	}
	if req.Hot != nil {
		if _, err := h.inventory.SetHot(ctx, cl.tenant, req.SkuId, req.WarehouseId, *req.Hot); err != nil {
			return nil, err
		}
	}
	return h.stock(ctx, cl.tenant, req.SkuId)
}

// GetStock implements its service.
func (h *CatalogAdmin) GetStock(ctx context.Context, req *trade.SKURef) (*trade.StockResponse, error) {
	cl, err := h.admin(req.Caller)
	if err != nil {
		return nil, err
	}
	if _, err := h.catalog.Get(ctx, cl.tenant, req.SkuId); err != nil {
		return nil, err
	}
	return h.stock(ctx, cl.tenant, req.SkuId)
}

func (h *base) stock(ctx context.Context, tenant, skuID string) (*trade.StockResponse, error) {
	levels, err := h.inventory.Levels(ctx, tenant, skuID)
	if err != nil {
		return nil, err
	}
	resp := &trade.StockResponse{SkuId: skuID, Levels: []*trade.StockLevel{}}
	for _, l := range levels {
		resp.Levels = append(resp.Levels, &trade.StockLevel{WarehouseId: l.WarehouseID, OnHand: l.OnHand,
			Available: l.Available, Reserved: l.Reserved, Sold: l.Sold, Damaged: l.Damaged, Hot: l.Hot})
	}
	return resp, nil
}

func moneyDTO(a money.Amount) *trade.Money {
	return &trade.Money{Amount: a.Minor(), Currency: a.Currency().Code()}
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func orderDTO(o *order.Order) *trade.Order {
	a := o.Amounts()
	dto := &trade.Order{OrderId: o.ID(), TradeId: o.TradeID(), SellerId: o.SellerID(), Status: string(o.Status()),
		Total: moneyDTO(o.Total()), Carrier: o.Shipment().Carrier, TrackingNo: o.Shipment().TrackingNo,
		CancelReason: o.CancelReason(), Paid: o.Paid(), CreatedAt: millis(o.CreatedAt()), UpdatedAt: millis(o.UpdatedAt()),
		Subtotal: moneyDTO(a.Subtotal), Discount: moneyDTO(a.Discount), ShippingFee: moneyDTO(a.ShippingFee),
		Discounts: discountDTOs(o.Discounts()), ShipsAt: optMillis(o.ShipsAt())}
	for _, l := range o.Lines() {
		dto.Lines = append(dto.Lines, &trade.OrderLine{LineNo: int32(l.LineNo), SkuId: l.SKUID, Title: l.Title,
			WarehouseId: l.WarehouseID, Quantity: l.Quantity, UnitPrice: moneyDTO(l.UnitPrice), Total: moneyDTO(l.Total),
			Discount: moneyDTO(l.Discount), Payable: moneyDTO(l.Payable()), ListPrice: moneyDTO(l.ListPrice), PriceListId: l.PriceListID})
	}
	return dto
}

func discountDTOs(ds []order.Discount) []*trade.AppliedDiscount {
	out := []*trade.AppliedDiscount{}
	for _, d := range ds {
		out = append(out, &trade.AppliedDiscount{PromotionId: d.PromotionID, Name: d.Name, Kind: d.Kind,
			CouponCode: d.CouponCode, Amount: moneyDTO(d.Amount)})
	}
	return out
}

func tradeDTO(t *order.Trade) *trade.Trade {
	a := t.Address()
	am := t.Amounts()
	dto := &trade.Trade{TradeId: t.ID(), Flow: string(t.Identity().Scenario()), Total: moneyDTO(t.Total()),
		Subtotal: moneyDTO(am.Subtotal), Discount: moneyDTO(am.Discount), ShippingFee: moneyDTO(am.ShippingFee),
		Payable: moneyDTO(t.Payable()), CreatedAt: millis(t.CreatedAt()), PayDeadline: millis(t.PayDeadline()),
		Address: &trade.Address{Name: a.Name, Phone: a.Phone, Country: a.Country, Province: a.Province, City: a.City,
			District: a.District, Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode,
			StreetCode: a.StreetCode, Detail: a.Detail, PostalCode: a.PostalCode}}
	for _, o := range t.Orders() {
		dto.Orders = append(dto.Orders, orderDTO(o))
	}
	return dto
}

func paymentDTO(p *payment.Payment) *trade.Payment {
	return &trade.Payment{PaymentId: p.ID(), TradeId: p.TradeID(), Method: p.Provider(), Status: string(p.Status()),
		Amount: moneyDTO(p.Amount()), ProviderRef: p.ProviderRef(), CreatedAt: millis(p.CreatedAt()), Purpose: string(p.Purpose())}
}
