package platform

import (
	"errors"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/aftersales"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctionadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/auctions"
	"github.com/atriumtrade/atrium/kitex_gen/trade/catalogadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/codadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/deliveryadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/discountadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/extensionsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/frontendsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/limitsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/presaleadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/pricingadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/statsadmin"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradeintake"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradelifecycle"
	"github.com/atriumtrade/atrium/kitex_gen/trade/tradequeries"
	"github.com/atriumtrade/atrium/product-layer/tradesvc"
)

// rpcService is one Kitex service of the trade node, on both sides: how the trade role registers
// its handler and how the access role dials its client. rpcServices is the one list of them:
// registerServices and NewTradeClients derive from it, so a service added there is served and
// dialled, and one removed is neither.
type rpcService struct {
	register func(server.Server, *tradesvc.Services) error
	dial     func(*gateway.Clients, []client.Option) error
}

// service pairs a generated service's server and client sides with the handler that serves it
// and the gateway's client field that calls it.
func service[H, C any](reg func(server.Server, H, ...server.RegisterOption) error, newClient func(string, ...client.Option) (C, error),
	handler func(*tradesvc.Services) H, field func(*gateway.Clients) *C) rpcService {
	return rpcService{
		register: func(s server.Server, h *tradesvc.Services) error { return reg(s, handler(h)) },
		dial: func(c *gateway.Clients, opts []client.Option) error {
			cl, err := newClient(ServiceName, opts...)
			*field(c) = cl
			return err
		},
	}
}

type svcs = tradesvc.Services
type clients = gateway.Clients

var rpcServices = []rpcService{
	service(tradequeries.RegisterService, tradequeries.NewClient,
		func(h *svcs) trade.TradeQueries { return h.Queries }, func(c *clients) *tradequeries.Client { return &c.Queries }),
	service(tradelifecycle.RegisterService, tradelifecycle.NewClient,
		func(h *svcs) trade.TradeLifecycle { return h.Lifecycle }, func(c *clients) *tradelifecycle.Client { return &c.Lifecycle }),
	service(tradeintake.RegisterService, tradeintake.NewClient,
		func(h *svcs) trade.TradeIntake { return h.Intake }, func(c *clients) *tradeintake.Client { return &c.Intake }),
	service(catalogadmin.RegisterService, catalogadmin.NewClient,
		func(h *svcs) trade.CatalogAdmin { return h.CatalogAdmin }, func(c *clients) *catalogadmin.Client { return &c.Catalog }),
	service(deliveryadmin.RegisterService, deliveryadmin.NewClient,
		func(h *svcs) trade.DeliveryAdmin { return h.DeliveryAdmin }, func(c *clients) *deliveryadmin.Client { return &c.Delivery }),
	service(pricingadmin.RegisterService, pricingadmin.NewClient,
		func(h *svcs) trade.PricingAdmin { return h.PricingAdmin }, func(c *clients) *pricingadmin.Client { return &c.Pricing }),
	service(extensionsadmin.RegisterService, extensionsadmin.NewClient,
		func(h *svcs) trade.ExtensionsAdmin { return h.ExtensionsAdmin }, func(c *clients) *extensionsadmin.Client { return &c.Extensions }),
	service(frontendsadmin.RegisterService, frontendsadmin.NewClient,
		func(h *svcs) trade.FrontendsAdmin { return h.FrontendsAdmin }, func(c *clients) *frontendsadmin.Client { return &c.Frontends }),
	service(discountadmin.RegisterService, discountadmin.NewClient,
		func(h *svcs) trade.DiscountAdmin { return h.DiscountAdmin }, func(c *clients) *discountadmin.Client { return &c.Discounts }),
	service(limitsadmin.RegisterService, limitsadmin.NewClient,
		func(h *svcs) trade.LimitsAdmin { return h.LimitsAdmin }, func(c *clients) *limitsadmin.Client { return &c.Limits }),
	service(presaleadmin.RegisterService, presaleadmin.NewClient,
		func(h *svcs) trade.PresaleAdmin { return h.PresaleAdmin }, func(c *clients) *presaleadmin.Client { return &c.Presales }),
	service(codadmin.RegisterService, codadmin.NewClient,
		func(h *svcs) trade.CodAdmin { return h.CodAdmin }, func(c *clients) *codadmin.Client { return &c.CodRules }),
	service(statsadmin.RegisterService, statsadmin.NewClient,
		func(h *svcs) trade.StatsAdmin { return h.StatsAdmin }, func(c *clients) *statsadmin.Client { return &c.Stats }),
	service(aftersales.RegisterService, aftersales.NewClient,
		func(h *svcs) trade.AfterSales { return h.AfterSales }, func(c *clients) *aftersales.Client { return &c.AfterSales }),
	service(aftersaleadmin.RegisterService, aftersaleadmin.NewClient,
		func(h *svcs) trade.AfterSaleAdmin { return h.AfterSaleAdmin }, func(c *clients) *aftersaleadmin.Client { return &c.AfterSaleAdmin }),
	service(auctions.RegisterService, auctions.NewClient,
		func(h *svcs) trade.Auctions { return h.Auctions }, func(c *clients) *auctions.Client { return &c.Auctions }),
	service(auctionadmin.RegisterService, auctionadmin.NewClient,
		func(h *svcs) trade.AuctionAdmin { return h.AuctionAdmin }, func(c *clients) *auctionadmin.Client { return &c.AuctionAdmin }),
}

// registerServices registers every service's handler on the one server.
func registerServices(svr server.Server, h *tradesvc.Services) error {
	var errs []error
	for _, s := range rpcServices {
		errs = append(errs, s.register(svr, h))
	}
	return errors.Join(errs...)
}

// dialServices dials every service's client with opts.
func dialServices(opts []client.Option) (gateway.Clients, error) {
	var c gateway.Clients
	var errs []error
	for _, s := range rpcServices {
		errs = append(errs, s.dial(&c, opts))
	}
	return c, errors.Join(errs...)
}
