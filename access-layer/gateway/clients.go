package gateway

import (
	"context"

	"github.com/cloudwego/kitex/client/callopt"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersales"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctionadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctions"
	"github.com/atriumtrade/atrium/kitex_gen/trade/cashondelivery"
	"github.com/atriumtrade/atrium/kitex_gen/trade/catalogadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/codadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/deliveryadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/discountadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/extensionsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/fixedprice"
	"github.com/atriumtrade/atrium/kitex_gen/trade/frontendsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/limitsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/presale"
	"github.com/atriumtrade/atrium/kitex_gen/trade/presaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/pricingadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/statsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradelifecycle"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradequeries"
)

// Clients are the trade node's services as the access layer calls them (all served by one Kitex
// server; see idl/trade.thrift).
type Clients struct {
	Queries    tradequeries.Client
	Lifecycle  tradelifecycle.Client
	FixedPrice fixedprice.Client
	Presale    presale.Client
	COD        cashondelivery.Client
	Catalog    catalogadmin.Client
	Delivery   deliveryadmin.Client
	Pricing    pricingadmin.Client
	Extensions extensionsadmin.Client
	Frontends  frontendsadmin.Client
	Discounts  discountadmin.Client
	Limits     limitsadmin.Client
	Presales   presaleadmin.Client
	CodRules   codadmin.Client
	Stats      statsadmin.Client
	// AfterSales and AfterSaleAdmin serve after-sale requests on trades of every flow.
	AfterSales     aftersales.Client
	AfterSaleAdmin aftersaleadmin.Client
	// Auctions and AuctionAdmin serve auctions.
	Auctions     auctions.Client
	AuctionAdmin auctionadmin.Client
}

type (
	quoteCall func(context.Context, *trade.QuoteRequest, ...callopt.Option) (*trade.QuoteResponse, error)
	placeCall func(context.Context, *trade.PlaceOrderRequest, ...callopt.Option) (*trade.Trade, error)
)

// errFlow refuses a flow no service runs.
func errFlow(flow string) error {
	return errkind.Invalidf("flow %q is not offered; use fixed_price, presale or cod", flow)
}

// quoteIn is the quote of the flow a buyer's request names ("" is fixed price).
func (c Clients) quoteIn(flow string) (quoteCall, error) {
	switch flow {
	case "", "fixed_price":
		return c.FixedPrice.Quote, nil
	case "presale":
		return c.Presale.QuotePresale, nil
	case "cod":
		return c.COD.QuoteCod, nil
	}
	return nil, errFlow(flow)
}

// placeIn is the order placement of the flow a buyer's request names.
func (c Clients) placeIn(flow string) (placeCall, error) {
	switch flow {
	case "", "fixed_price":
		return c.FixedPrice.PlaceOrder, nil
	case "presale":
		return c.Presale.PlacePresaleOrder, nil
	case "cod":
		return c.COD.PlaceCodOrder, nil
	}
	return nil, errFlow(flow)
}
