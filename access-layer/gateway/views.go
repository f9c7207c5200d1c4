package gateway

import (
	"time"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Requests, in the neutral camelCase shape every channel decodes into.

type itemRequest struct {
	SkuID    string `json:"skuId"`
	Quantity int64  `json:"quantity"`
}

type quoteRequest struct {
	Flow string `json:"flow"`
	// PresaleID names the pre-sale campaign, for flow "presale".
	PresaleID string `json:"presaleId"`
	// GroupBuyID names the group-buy campaign and GroupID the group to join (empty: open one),
	// for flow "groupbuy".
	GroupBuyID string        `json:"groupBuyId"`
	GroupID    string        `json:"groupId"`
	Items      []itemRequest `json:"items"`
	Coupons    []string      `json:"coupons"`
	// Address, if known, informs the warehouse choice, shipping and COD: the same address object
	// an order takes (a quote reads its region and ignores the rest, such as name and detail).
	// Destination is the older name for it, and takes the same object; address wins if both are
	// given.
	Address     *addressView `json:"address"`
	Destination *addressView `json:"destination"`
	// Currency is the currency to pay in (ISO 4217); empty: the first SKU's own.
	Currency string `json:"currency"`
}

// regionView is where goods go or a warehouse is. In China the levels may be named (in full,
// short, in pinyin) or given by GB/T 2260 code; answers carry both, resolved.
type regionView struct {
	Country      string `json:"country"`
	Province     string `json:"province" maxLen:"256"`
	City         string `json:"city" maxLen:"256"`
	District     string `json:"district" maxLen:"256"`
	ProvinceCode string `json:"provinceCode" maxLen:"16"`
	CityCode     string `json:"cityCode" maxLen:"16"`
	DistrictCode string `json:"districtCode" maxLen:"16"`
}

func (r regionView) rpc() *trade.Region {
	return &trade.Region{Country: r.Country, Province: r.Province, City: r.City, District: r.District,
		ProvinceCode: r.ProvinceCode, CityCode: r.CityCode, DistrictCode: r.DistrictCode}
}

func regionOf(r *trade.Region) regionView {
	return regionView{Country: r.GetCountry(), Province: r.GetProvince(), City: r.GetCity(), District: r.GetDistrict(),
		ProvinceCode: r.GetProvinceCode(), CityCode: r.GetCityCode(), DistrictCode: r.GetDistrictCode()}
}

// addressView is a shipping address: the levels as regionView's, the street (乡镇/街道) too.
type addressView struct {
	Name         string `json:"name" maxLen:"320"`
	Phone        string `json:"phone"`
	Country      string `json:"country"`
	Province     string `json:"province" maxLen:"256"`
	City         string `json:"city" maxLen:"256"`
	District     string `json:"district" maxLen:"256"`
	Street       string `json:"street" maxLen:"256"`
	ProvinceCode string `json:"provinceCode" maxLen:"16"`
	CityCode     string `json:"cityCode" maxLen:"16"`
	DistrictCode string `json:"districtCode" maxLen:"16"`
	StreetCode   string `json:"streetCode" maxLen:"16"`
	Detail       string `json:"detail" maxLen:"800"`
	PostalCode   string `json:"postalCode"`
}

func (a addressView) rpc() *trade.Address {
	return &trade.Address{Name: a.Name, Phone: a.Phone, Country: a.Country, Province: a.Province, City: a.City, District: a.District,
		Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode, StreetCode: a.StreetCode,
		Detail: a.Detail, PostalCode: a.PostalCode}
}

func addressOf(a *trade.Address) addressView {
	return addressView{Name: a.Name, Phone: a.Phone, Country: a.Country, Province: a.Province, City: a.City, District: a.District,
		Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode, StreetCode: a.StreetCode,
		Detail: a.Detail, PostalCode: a.PostalCode}
}

type placeOrderRequest struct {
	Flow string `json:"flow"`
	// PresaleID names the pre-sale campaign, for flow "presale".
	PresaleID string `json:"presaleId"`
	// GroupBuyID names the group-buy campaign and GroupID the group to join (empty: open one),
	// for flow "groupbuy".
	GroupBuyID string        `json:"groupBuyId"`
	GroupID    string        `json:"groupId"`
	Items      []itemRequest `json:"items"`
	Address    *addressView  `json:"address"`
	Coupons    []string      `json:"coupons"`
	// ExpectedTotal is the total the buyer was shown, in the channel's money format, in Currency
	// (default CNY).
	ExpectedTotal MoneyInput `json:"expectedTotal"`
	// Currency is the currency to pay in (ISO 4217); empty: the first SKU's own.
	Currency string `json:"currency"`
}

type createPaymentRequest struct {
	Method string `json:"method"`
	// Purpose is what the payment is for: full (the default), deposit or balance.
	Purpose string `json:"purpose,omitempty"`
}

type upsertSKURequest struct {
	Title    string   `json:"title" maxLen:"800"`
	SellerID string   `json:"sellerId"`
	Currency string   `json:"currency"`
	Price    *int64   `json:"price"`
	Tags     []string `json:"tags"`
	// PresaleShipsAt (unix ms) makes the SKU pre-sale until that date; omit it for stock.
	PresaleShipsAt *int64 `json:"presaleShipsAt,omitempty"`
}

type putWarehouseRequest struct {
	Name   string      `json:"name" maxLen:"320"`
	Region *regionView `json:"region"`
}

type warehouseView struct {
	WarehouseID string     `json:"warehouseId"`
	Name        string     `json:"name" maxLen:"320"`
	Region      regionView `json:"region"`
}

// shippingTemplateRequest is a seller's shipping fee per trade ("*" in the path: the tenant's
// default), in minor units like every admin amount.
type shippingTemplateRequest struct {
	Currency string `json:"currency"`
	Fee      *int64 `json:"fee"`
	FreeOver int64  `json:"freeOver"`
	// Regions are exceptions by destination: the first rule holding it applies instead.
	Regions []shippingRegionRuleView `json:"regions"`
}

// shippingRegionRuleView is a template's fee for destinations inside its regions (provinces,
// cities or districts, by name, pinyin or GB/T 2260 code), or no delivery there.
type shippingRegionRuleView struct {
	Regions    []regionView `json:"regions"`
	Fee        int64        `json:"fee"`
	FreeOver   int64        `json:"freeOver"`
	NoDelivery bool         `json:"noDelivery"`
}

type shippingTemplateView struct {
	SellerID string                   `json:"sellerId"`
	Currency string                   `json:"currency"`
	Fee      int64                    `json:"fee"`
	FreeOver int64                    `json:"freeOver"`
	Regions  []shippingRegionRuleView `json:"regions"`
}

type shippingTemplateListView struct {
	Templates []shippingTemplateView `json:"templates"`
}

type warehouseListView struct {
	Warehouses []warehouseView `json:"warehouses"`
}

type setStockRequest struct {
	WarehouseID string `json:"warehouseId"`
	OnHand      *int64 `json:"onHand"`
	// Hot switches the level to batched reservations for a flash sale (see inventory).
	Hot *bool `json:"hot"`
}

type simulateRequest struct {
	Outcome string `json:"outcome"`
}

type shipRequest struct {
	Carrier    string `json:"carrier"`
	TrackingNo string `json:"trackingNo"`
}

type deliveryRequest struct {
	// Outcome is delivered, or (cash on delivery) refused.
	Outcome string `json:"outcome"`
	// Collected is what the carrier collected for a cash-on-delivery order (minor units): the
	// order's total.
	Collected *int64 `json:"collected,omitempty"`
}

type devTokenRequest struct {
	Tenant      string `json:"tenant"`
	BizCode     string `json:"bizCode"`
	UserID      string `json:"userId"`
	Channel     string `json:"channel"`
	Role        string `json:"role"`
	MemberLevel string `json:"memberLevel"`
	FrontendID  string `json:"frontendId"`
}

// Views: what handlers answer, before the channel renders them.

type quoteLineView struct {
	SkuID       string `json:"skuId"`
	Title       string `json:"title" maxLen:"800"`
	SellerID    string `json:"sellerId"`
	WarehouseID string `json:"warehouseId"`
	Quantity    int64  `json:"quantity"`
	ListPrice   Money  `json:"listPrice"`
	UnitPrice   Money  `json:"unitPrice"`
	Total       Money  `json:"total"`
	Discount    Money  `json:"discount"`
	Payable     Money  `json:"payable"`
	// PriceListID names the price list that set unitPrice (empty: the SKU's own price).
	PriceListID string `json:"priceListId,omitempty"`
}

// discountView is one promotion's part of a cart's or an order's discount.
type discountView struct {
	PromotionID string `json:"promotionId"`
	Name        string `json:"name" maxLen:"320"`
	Kind        string `json:"kind,omitempty"`
	CouponCode  string `json:"couponCode,omitempty"`
	Amount      Money  `json:"amount"`
}

type quoteGroupView struct {
	SellerID  string          `json:"sellerId"`
	Key       string          `json:"key,omitempty"`
	Lines     []quoteLineView `json:"lines"`
	Total     Money           `json:"total"`
	Discount  Money           `json:"discount"`
	Payable   Money           `json:"payable"`
	Discounts []discountView  `json:"discounts"`
	// ShippingFee is the child order's part of its seller's fee; payable includes it.
	ShippingFee Money `json:"shippingFee"`
	// ShipsAt is set for a pre-sale child order: when it ships.
	ShipsAt string `json:"shipsAt,omitempty"`
	// Presale is set on a pre-sale quote: this child order's share of the deposit and credit,
	// and the balance it leaves.
	Presale *presaleTermsView `json:"presale,omitempty"`
}

// quoteView: total is the lines at their unit prices; payable is what an order would charge.
type quoteView struct {
	Lines     []quoteLineView  `json:"lines"`
	Groups    []quoteGroupView `json:"groups"`
	Total     Money            `json:"total"`
	Discount  Money            `json:"discount"`
	Payable   Money            `json:"payable"`
	Discounts []discountView   `json:"discounts"`
	// ShippingFee is included in payable.
	ShippingFee Money  `json:"shippingFee"`
	Currency    string `json:"currency"`
	// Presale is set for a pre-sale quote.
	Presale *presaleTermsView `json:"presale,omitempty"`
	// Cod is set for a cash-on-delivery quote: whether COD is offered for the cart at its
	// destination, and if not, the reason's stable code.
	Cod *codAvailabilityView `json:"cod,omitempty"`
	// GroupBuy is set for a group-buy quote: the group the order would open or join.
	GroupBuy *groupBuyPlaceView `json:"groupBuy,omitempty"`
}

type codAvailabilityView struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	Message   string `json:"message,omitempty"`
}

type presaleLineTermsView struct {
	SkuID   string `json:"skuId"`
	Deposit Money  `json:"deposit"`
	Credit  Money  `json:"credit"`
}

// presaleTermsView is what a pre-sale cart or trade costs up front and after: the deposit, what
// it counts for against the price, and the balance due after discounts and shipping.
type presaleTermsView struct {
	PresaleID  string `json:"presaleId"`
	Deposit    Money  `json:"deposit"`
	Credit     Money  `json:"credit"`
	BalanceDue Money  `json:"balanceDue"`
	// Lines are each cart line's deposit and credit, on a quote (a trade and its orders show
	// their totals and shares).
	Lines []presaleLineTermsView `json:"lines,omitempty"`
	// DepositStatus is a trade's: pending, paid, refunded or forfeited.
	DepositStatus string `json:"depositStatus,omitempty"`
}

type orderLineView struct {
	LineNo      int32  `json:"lineNo"`
	SkuID       string `json:"skuId"`
	Title       string `json:"title" maxLen:"800"`
	WarehouseID string `json:"warehouseId"`
	Quantity    int64  `json:"quantity"`
	ListPrice   Money  `json:"listPrice"`
	UnitPrice   Money  `json:"unitPrice"`
	Total       Money  `json:"total"`
	Discount    Money  `json:"discount"`
	Payable     Money  `json:"payable"`
	PriceListID string `json:"priceListId,omitempty"`
}

// orderView: total = subtotal - discount + shippingFee, what the buyer pays for the order.
type orderView struct {
	OrderID      string          `json:"orderId"`
	TradeID      string          `json:"tradeId"`
	Flow         string          `json:"flow" enum:"flow"`
	UserID       string          `json:"userId"`
	SellerID     string          `json:"sellerId"`
	Status       string          `json:"status" enum:"orderStatus"`
	Lines        []orderLineView `json:"lines"`
	Subtotal     Money           `json:"subtotal"`
	Discount     Money           `json:"discount"`
	ShippingFee  Money           `json:"shippingFee"`
	Discounts    []discountView  `json:"discounts"`
	Total        Money           `json:"total"`
	Currency     string          `json:"currency"`
	Carrier      string          `json:"carrier,omitempty"`
	TrackingNo   string          `json:"trackingNo,omitempty"`
	CancelReason string          `json:"cancelReason,omitempty"`
	ShipsAt      string          `json:"shipsAt,omitempty"`
	Refund       *refundView     `json:"refund,omitempty"`
	// Refunds are every refund of the order, oldest first (a pre-sale order called off gets its
	// deposit and balance back, each from its payment); refund is the first.
	Refunds []refundView `json:"refunds,omitempty"`
	// Presale is set for a pre-sale order read with its trade: its share of the deposit and
	// credit, and the balance it leaves.
	Presale *presaleTermsView `json:"presale,omitempty"`
	// Paid is whether the order's money is in and kept: a cash-on-delivery order is not paid
	// before the carrier collected.
	Paid      bool   `json:"paid"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// refundView is the money going back for a refunded order; status is pending until the payment
// provider accepts it, then succeeded.
type refundView struct {
	RefundID  string `json:"refundId"`
	OrderID   string `json:"orderId,omitempty"`
	PaymentID string `json:"paymentId"`
	// AfterSaleID is the after-sale request the refund pays back; empty for a whole-order refund.
	AfterSaleID string `json:"afterSaleId,omitempty"`
	Amount      Money  `json:"amount"`
	Status      string `json:"status" enum:"refundStatus"`
	Reason      string `json:"reason"`
	CreatedAt   string `json:"createdAt"`
	SettledAt   string `json:"settledAt,omitempty"`
	// ProviderRef is what the provider calls the refund once it accepted it.
	ProviderRef string `json:"providerRef,omitempty"`
}

type tradeView struct {
	TradeID     string      `json:"tradeId"`
	Flow        string      `json:"flow" enum:"flow"`
	Orders      []orderView `json:"orders"`
	Subtotal    Money       `json:"subtotal"`
	Discount    Money       `json:"discount"`
	ShippingFee Money       `json:"shippingFee"`
	Total       Money       `json:"total"`
	Payable     Money       `json:"payable"`
	// Credit is money paid before the trade that counts toward its price (an auction winner's
	// deposit); Due is what the buyer still pays now (payable less the credit).
	Credit      Money       `json:"credit"`
	Due         Money       `json:"due"`
	Currency    string      `json:"currency"`
	Address     addressView `json:"address"`
	CreatedAt   string      `json:"createdAt"`
	PayDeadline string      `json:"payDeadline"`
	// Payments are every payment made for the trade, oldest first.
	Payments []paymentView `json:"payments"`
	// State is where the trade's flow stands (awaiting_payment, paid, awaiting_deposit...).
	State string `json:"state"`
	// Presale is set for a pre-sale trade.
	Presale *presaleTermsView `json:"presale,omitempty"`
	// GroupBuy is set for a group-buy trade: its place in its group.
	GroupBuy *groupBuyPlaceView `json:"groupBuy,omitempty"`
}

type orderPageView struct {
	Orders     []orderView `json:"orders"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

type paymentView struct {
	PaymentID string `json:"paymentId"`
	TradeID   string `json:"tradeId"`
	Method    string `json:"method"`
	Purpose   string `json:"purpose" enum:"paymentPurpose"`
	Status    string `json:"status" enum:"paymentStatus"`
	Amount    Money  `json:"amount"`
	Currency  string `json:"currency"`
	CreatedAt string `json:"createdAt"`
	// UserID is the buyer who pays.
	UserID string `json:"userId,omitempty"`
	// ProviderRef is what the provider calls the payment; SettledAt when it reached its outcome.
	ProviderRef string `json:"providerRef,omitempty"`
	SettledAt   string `json:"settledAt,omitempty"`
}

type skuView struct {
	SkuID    string   `json:"skuId"`
	Title    string   `json:"title" maxLen:"800"`
	SellerID string   `json:"sellerId"`
	Price    Money    `json:"price"`
	Currency string   `json:"currency"`
	Tags     []string `json:"tags"`
	// PresaleShipsAt is set for a pre-sale SKU (unix ms).
	PresaleShipsAt *int64 `json:"presaleShipsAt,omitempty"`
}

// stockView is a SKU's stock per warehouse; each level is the wire's struct, rendered as it is
// (damaged units came back unfit to sell: on hand, never available).
type stockView struct {
	SkuID      string              `json:"skuId"`
	Warehouses []*trade.StockLevel `json:"warehouses"`
}

type tokenView struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt"`
}

func moneyOf(m *trade.Money) Money {
	if m == nil {
		return Money{}
	}
	return Money{Minor: m.Amount, Currency: m.Currency}
}

func timeOf(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

func quoteLineOf(l *trade.QuoteLine) quoteLineView {
	return quoteLineView{SkuID: l.SkuId, Title: l.Title, SellerID: l.SellerId, WarehouseID: l.WarehouseId, Quantity: l.Quantity,
		ListPrice: moneyOf(l.ListPrice), UnitPrice: moneyOf(l.UnitPrice), Total: moneyOf(l.Total),
		Discount: moneyOf(l.Discount), Payable: moneyOf(l.Payable), PriceListID: l.PriceListId}
}

func discountsOf(ds []*trade.AppliedDiscount) []discountView {
	out := []discountView{}
	for _, d := range ds {
		out = append(out, discountView{PromotionID: d.PromotionId, Name: d.Name, Kind: d.Kind, CouponCode: d.CouponCode, Amount: moneyOf(d.Amount)})
	}
	return out
}

func quoteOf(q *trade.QuoteResponse) quoteView {
	v := quoteView{Total: moneyOf(q.Total), Discount: moneyOf(q.Discount), Payable: moneyOf(q.Payable), Discounts: discountsOf(q.Discounts),
		ShippingFee: moneyOf(q.ShippingFee), Presale: presaleTermsOf(q.Presale), Cod: codAvailabilityOf(q.Cod), GroupBuy: groupBuyPlaceOf(q.GroupBuy),
		Currency: q.GetTotal().GetCurrency(), Lines: []quoteLineView{}, Groups: []quoteGroupView{}}
	for _, l := range q.Lines {
		v.Lines = append(v.Lines, quoteLineOf(l))
	}
	for _, g := range q.Groups {
		gv := quoteGroupView{SellerID: g.SellerId, Key: g.Key, Total: moneyOf(g.Total), Discount: moneyOf(g.Discount),
			Payable: moneyOf(g.Payable), Discounts: discountsOf(g.Discounts), ShipsAt: timeOf(g.GetShipsAt()),
			ShippingFee: moneyOf(g.ShippingFee), Presale: presaleTermsOf(g.Presale)}
		for _, l := range g.Lines {
			gv.Lines = append(gv.Lines, quoteLineOf(l))
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

func orderOf(o *trade.Order) orderView {
	v := orderView{OrderID: o.OrderId, TradeID: o.TradeId, Flow: o.Flow, UserID: o.UserId, SellerID: o.SellerId, Status: o.Status, Total: moneyOf(o.Total),
		Currency: o.GetTotal().GetCurrency(), Carrier: o.Carrier, TrackingNo: o.TrackingNo, CancelReason: o.CancelReason, Paid: o.Paid,
		CreatedAt: timeOf(o.CreatedAt), UpdatedAt: timeOf(o.UpdatedAt), Lines: []orderLineView{}, ShipsAt: timeOf(o.GetShipsAt()),
		Subtotal: moneyOf(o.Subtotal), Discount: moneyOf(o.Discount), ShippingFee: moneyOf(o.ShippingFee), Discounts: discountsOf(o.Discounts),
		Presale: presaleTermsOf(o.Presale)}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, orderLineView{LineNo: l.LineNo, SkuID: l.SkuId, Title: l.Title, WarehouseID: l.WarehouseId,
			Quantity: l.Quantity, ListPrice: moneyOf(l.ListPrice), UnitPrice: moneyOf(l.UnitPrice), Total: moneyOf(l.Total), Discount: moneyOf(l.Discount),
			Payable: moneyOf(l.Payable), PriceListID: l.PriceListId})
	}
	if r := o.Refund; r != nil {
		v.Refund = refundOf(r)
	}
	for _, r := range o.Refunds {
		v.Refunds = append(v.Refunds, *refundOf(r))
	}
	return v
}

func refundOf(r *trade.Refund) *refundView {
	return &refundView{RefundID: r.RefundId, OrderID: r.OrderId, PaymentID: r.PaymentId, AfterSaleID: r.AfterSaleId, Amount: moneyOf(r.Amount), Status: r.Status,
		Reason: r.Reason, CreatedAt: timeOf(r.CreatedAt), SettledAt: timeOf(r.GetSettledAt()), ProviderRef: r.ProviderRef}
}

func tradeOf(t *trade.Trade) tradeView {
	v := tradeView{TradeID: t.TradeId, Flow: t.Flow, Total: moneyOf(t.Total), Payable: moneyOf(t.Payable),
		Subtotal: moneyOf(t.Subtotal), Discount: moneyOf(t.Discount), ShippingFee: moneyOf(t.ShippingFee),
		Currency: t.GetTotal().GetCurrency(), CreatedAt: timeOf(t.CreatedAt), PayDeadline: timeOf(t.PayDeadline), Orders: []orderView{},
		Payments: []paymentView{}}
	if a := t.Address; a != nil {
		v.Address = addressOf(a)
	}
	for _, o := range t.Orders {
		v.Orders = append(v.Orders, orderOf(o))
	}
	for _, p := range t.Payments {
		v.Payments = append(v.Payments, paymentOf(p))
	}
	v.State, v.Presale, v.GroupBuy = t.State, presaleTermsOf(t.Presale), groupBuyPlaceOf(t.GroupBuy)
	v.Credit, v.Due = moneyOf(t.Credit), moneyOf(t.Due)
	return v
}

func presaleTermsOf(p *trade.PresaleTerms) *presaleTermsView {
	if p == nil {
		return nil
	}
	v := &presaleTermsView{PresaleID: p.PresaleId, Deposit: moneyOf(p.Deposit), Credit: moneyOf(p.Credit), BalanceDue: moneyOf(p.BalanceDue),
		DepositStatus: p.DepositStatus}
	for _, l := range p.Lines {
		v.Lines = append(v.Lines, presaleLineTermsView{SkuID: l.SkuId, Deposit: moneyOf(l.Deposit), Credit: moneyOf(l.Credit)})
	}
	return v
}

func paymentOf(p *trade.Payment) paymentView {
	return paymentView{PaymentID: p.PaymentId, TradeID: p.TradeId, Method: p.Method, Purpose: p.Purpose, Status: p.Status, Amount: moneyOf(p.Amount),
		Currency: p.GetAmount().GetCurrency(), CreatedAt: timeOf(p.CreatedAt), ProviderRef: p.ProviderRef, SettledAt: timeOf(p.SettledAt),
		UserID: p.UserId}
}

func stockOf(s *trade.StockResponse) stockView {
	return stockView{SkuID: s.SkuId, Warehouses: append([]*trade.StockLevel{}, s.Levels...)}
}

func warehouseOf(w *trade.Warehouse) warehouseView {
	r := w.GetRegion()
	return warehouseView{WarehouseID: w.WarehouseId, Name: w.Name,
		Region: regionOf(r)}
}

func templateOf(t *trade.ShippingTemplate) shippingTemplateView {
	v := shippingTemplateView{SellerID: t.SellerId, Currency: t.Currency, Fee: t.Fee, FreeOver: t.FreeOver, Regions: []shippingRegionRuleView{}}
	for _, r := range t.Regions {
		rule := shippingRegionRuleView{Fee: r.Fee, FreeOver: r.FreeOver, NoDelivery: r.NoDelivery, Regions: []regionView{}}
		for _, g := range r.Regions {
			rule.Regions = append(rule.Regions, regionOf(g))
		}
		v.Regions = append(v.Regions, rule)
	}
	return v
}

func codAvailabilityOf(c *trade.CodAvailability) *codAvailabilityView {
	if c == nil {
		return nil
	}
	return &codAvailabilityView{Available: c.Available, Reason: c.Reason, Message: c.Message}
}
