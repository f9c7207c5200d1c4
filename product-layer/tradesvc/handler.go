// Package tradesvc serves the trade node's Kitex services (see idl/trade.thrift): the reads and
// the lifecycle every kind of trade shares, the intake (quote and place, looking each flow's Face
// up by the request's flow: no switch over scenarios), services for a flow's own verbs (auctions),
// and one per capability for its operators. Reads and lifecycle moves go through the trade core,
// which dispatches on the trade's stored scenario. Each handler converts the generated DTOs to domain types at the
// boundary, checks that the caller may do what it asks, invokes the flow or capability (which
// validates what it is given), and converts the result back; errors go back as they are and are
// made fit for the wire in one place (idl/rpcerr.Server). No generated type goes past this package.
package tradesvc

import (
	"context"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/delivery"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/frontend"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/limits"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/aftersale"
	"github.com/atriumtrade/atrium/product-layer/auction"
	"github.com/atriumtrade/atrium/product-layer/audit"
	"github.com/atriumtrade/atrium/product-layer/cod"
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

// views are what answers that show trades need: the core, and each flow's face for what its
// trades show of their own. The handlers that answer with trades hold them; every handler holds
// only what it uses.
type views struct {
	core  *tradecore.Core
	faces map[identity.Scenario]Face
}

// afterSales is what the after-sale services use.
type afterSales struct {
	aftersale *aftersale.Flow
	core      *tradecore.Core
}

// Catalog is the SKUs, as operators manage and list them.
type Catalog interface {
	catalog.Store
	catalog.Lister
}

// Deps are what the handler serves from.
type Deps struct {
	DB Pinger
	// Core is the trade core every flow runs on: reads, payments and lifecycle moves of trades of
	// every flow go through it.
	Core *tradecore.Core
	// Faces are the flows that take buyers' carts, one each (FixedPriceFace, PresaleFace, ...).
	Faces     []Face
	Catalog   Catalog
	Inventory *inventory.Service
	Simulator Simulator
	Ext       *extensions.Admin
	Frontends frontend.Store
	// Discounts and Limits are the operators' side of those capabilities; nil disables their
	// admin API (discount.disabled, limits.disabled).
	Discounts *discount.Admin
	Limits    *limits.Admin
	Delivery  *delivery.Service
	// Prices manages price lists; nil disables the admin API (pricing.disabled).
	Prices *pricing.Prices
	// Presales manages pre-sale campaigns; Presale runs pre-sale trades (a campaign's cancel).
	Presales *presale.Admin
	Presale  *presale.Flow
	// CodRules manages the tenants' cash-on-delivery rules.
	CodRules *cod.Admin
	// Stats is the order-events projection the admin reads.
	Stats stats.Store
	// Audit is where the auditor keeps its findings.
	Audit audit.Store
	// AfterSale runs after-sale requests on trades of every flow.
	AfterSale *aftersale.Flow
	// Auctions runs auctions.
	Auctions *auction.Flow
	// Journal reads back trades' events and timers, for an operator's view of a trade.
	Journal Journal
}

// The handlers, one per service, each with what it uses.
type (
	Queries struct {
		db Pinger
		*views
		story story
	}
	Lifecycle struct {
		core      *tradecore.Core
		aftersale *aftersale.Flow
		simulator Simulator
	}
	Intake       struct{ *views }
	CatalogAdmin struct {
		catalog   Catalog
		inventory *inventory.Service
	}
	DeliveryAdmin struct{ delivery *delivery.Service }
	PricingAdmin  struct {
		prices *pricing.Prices
		now    func() time.Time
	}
	ExtensionsAdmin struct {
		ext  *extensions.Admin
		core *tradecore.Core
	}
	FrontendsAdmin struct{ frontends frontend.Store }
	DiscountAdmin  struct {
		discounts *discount.Admin
		now       func() time.Time
	}
	LimitsAdmin  struct{ limits *limits.Admin }
	PresaleAdmin struct {
		presales *presale.Admin
		presale  *presale.Flow
	}
	CodAdmin       struct{ codRules *cod.Admin }
	StatsAdmin     struct{ stats stats.Store }
	AuditAdmin     struct{ audit audit.Store }
	AfterSales     struct{ afterSales }
	AfterSaleAdmin struct{ afterSales }
	Auctions       struct{ auctions *auction.Flow }
	AuctionAdmin   struct {
		auctions *auction.Flow
		*views
	}
)

var (
	_ trade.TradeQueries    = (*Queries)(nil)
	_ trade.TradeLifecycle  = (*Lifecycle)(nil)
	_ trade.TradeIntake     = (*Intake)(nil)
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
	_ trade.AuditAdmin      = (*AuditAdmin)(nil)
)

// Services are the handlers of every service the trade node serves.
type Services struct {
	views           *views
	Queries         *Queries
	Lifecycle       *Lifecycle
	Intake          *Intake
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
	AuditAdmin      *AuditAdmin
	AfterSales      *AfterSales
	AfterSaleAdmin  *AfterSaleAdmin
	Auctions        *Auctions
	AuctionAdmin    *AuctionAdmin
}

// New returns the handlers.
func New(d Deps) (*Services, error) {
	fs, err := faces(d.Faces)
	if err != nil {
		return nil, err
	}
	for sc := range fs {
		if _, err := d.Core.FlowOf(sc); err != nil {
			return nil, fmt.Errorf("tradesvc: a face for %s, which the core does not run", sc)
		}
	}
	v := &views{core: d.Core, faces: fs}
	for _, f := range fs {
		if bf, ok := f.(binder); ok {
			bf.bind(v)
		}
	}
	as := afterSales{aftersale: d.AfterSale, core: d.Core}
	return &Services{views: v, Queries: &Queries{db: d.DB, views: v,
		story: story{afterSales: as, journal: d.Journal, ext: d.Ext}}, Lifecycle: &Lifecycle{core: d.Core, aftersale: d.AfterSale, simulator: d.Simulator},
		Intake: &Intake{v}, CatalogAdmin: &CatalogAdmin{catalog: d.Catalog, inventory: d.Inventory}, DeliveryAdmin: &DeliveryAdmin{d.Delivery},
		PricingAdmin: &PricingAdmin{prices: d.Prices, now: d.Core.Now}, ExtensionsAdmin: &ExtensionsAdmin{ext: d.Ext, core: d.Core}, FrontendsAdmin: &FrontendsAdmin{d.Frontends},
		DiscountAdmin: &DiscountAdmin{discounts: d.Discounts, now: d.Core.Now}, LimitsAdmin: &LimitsAdmin{d.Limits}, PresaleAdmin: &PresaleAdmin{presales: d.Presales, presale: d.Presale},
		CodAdmin: &CodAdmin{d.CodRules}, StatsAdmin: &StatsAdmin{d.Stats}, AuditAdmin: &AuditAdmin{d.Audit}, AfterSales: &AfterSales{as}, AfterSaleAdmin: &AfterSaleAdmin{as},
		Auctions: &Auctions{d.Auctions}, AuctionAdmin: &AuctionAdmin{auctions: d.Auctions, views: v}}, nil
}

// binder is a face that serves services of its own flow beside the intake (a flow's buyer and
// operator verbs): it is given what every handler serves from.
type binder interface{ bind(*views) }

// Face is the face of flow sc, if the node runs it: a flow's own services are served by its face
// (see binder).
func (s *Services) Face(sc identity.Scenario) (Face, bool) {
	f, ok := s.views.faces[sc]
	return f, ok
}

// caller is an authenticated caller.
type caller struct {
	tenant, bizCode, userID, role, channel, memberLevel string
}

func (cl caller) buyer() tradecore.Buyer {
	return tradecore.Buyer{UserID: cl.userID, MemberLevel: cl.memberLevel, Channel: cl.channel}
}

func asBuyer(c *trade.Caller) (caller, error) {
	cl, err := parseCaller(c)
	if err != nil {
		return cl, err
	}
	if cl.role != RoleBuyer || !identity.ValidUserID(cl.userID) {
		return cl, errkind.WithDetail(errkind.ErrForbidden, "this operation is for buyers")
	}
	return cl, nil
}

func asAdmin(c *trade.Caller) (caller, error) {
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

func items(in []*trade.Item) []pricing.Item {
	out := make([]pricing.Item, 0, len(in))
	for _, it := range in {
		if it != nil {
			out = append(out, pricing.Item{SKUID: it.SkuId, Quantity: it.Quantity})
		}
	}
	return out
}
