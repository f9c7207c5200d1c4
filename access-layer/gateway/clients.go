package gateway

import (
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersales"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctionadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctions"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auditadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/catalogadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/codadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/deliveryadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/discountadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/extensionsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/frontendsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/groupbuys"
	"github.com/atriumtrade/atrium/kitex_gen/trade/limitsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/presaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/pricingadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/statsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradeintake"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradelifecycle"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradequeries"
)

// Clients are the trade node's services as the access layer calls them (all served by one Kitex
// server; see idl/trade.thrift).
type Clients struct {
	Queries   tradequeries.Client
	Lifecycle tradelifecycle.Client
	// Intake quotes and places carts of every flow: the trade node looks the flow up by name.
	Intake     tradeintake.Client
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
	// Audit reads the auditor's findings.
	Audit auditadmin.Client
	// AfterSales and AfterSaleAdmin serve after-sale requests on trades of every flow.
	AfterSales     aftersales.Client
	AfterSaleAdmin aftersaleadmin.Client
	// Auctions and AuctionAdmin serve auctions.
	Auctions     auctions.Client
	AuctionAdmin auctionadmin.Client
	// GroupBuys serves group-buy campaigns and groups.
	GroupBuys groupbuys.Client
}
