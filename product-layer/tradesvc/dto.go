package tradesvc

import (
	"time"

	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

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
		UserId: o.UserID(), Flow: string(o.Scenario()),
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
		Address: addressDTO(a)}
	for _, o := range t.Orders() {
		dto.Orders = append(dto.Orders, orderDTO(o))
	}
	return dto
}

func paymentDTO(p *payment.Payment) *trade.Payment {
	return &trade.Payment{PaymentId: p.ID(), TradeId: p.TradeID(), Method: p.Provider(), Status: string(p.Status()),
		Amount: moneyDTO(p.Amount()), ProviderRef: p.ProviderRef(), CreatedAt: millis(p.CreatedAt()), Purpose: string(p.Purpose()),
		SettledAt: millis(p.SettledAt()), UserId: p.UserID()}
}

// addressDTO and addressFrom map the one address type across the wire.
func addressDTO(a order.Address) *trade.Address {
	return &trade.Address{Name: a.Name, Phone: a.Phone, Country: a.Country, Province: a.Province, City: a.City, District: a.District,
		Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode, StreetCode: a.StreetCode,
		Detail: a.Detail, PostalCode: a.PostalCode}
}

func addressFrom(a *trade.Address) order.Address {
	return order.Address{Name: a.Name, Phone: a.Phone, Country: a.Country, Province: a.Province, City: a.City,
		District: a.District, Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode,
		StreetCode: a.StreetCode, Detail: a.Detail, PostalCode: a.PostalCode}
}
