package gateway

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/common/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// route is one registered route and what the OpenAPI document says of it.
type route struct {
	Method     string
	Path       string
	Channel    *channel
	Summary    string
	Auth       bool
	Idempotent bool
	Request    any
	Response   any
	Status     int
	// Query are the query parameters the route reads.
	Query []queryParam
}

// queryParam is a query parameter, as the OpenAPI document declares it: a string, the page
// limit (Integer), or one of the values of an enumeration (WithEnums).
type queryParam struct {
	Name        string
	Description string
	Integer     bool
	Boolean     bool
	Enum        string
}

func (g *Gateway) add(r route, h app.HandlerFunc) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	hs := []app.HandlerFunc{}
	if r.Auth {
		hs = append(hs, g.authenticate(r.Channel))
	}
	hs = append(hs, h)
	g.h.Handle(r.Method, r.Path, hs...)
	g.routes = append(g.routes, r)
}

var (
	idKeyRe    = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	providerRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
)

func idempotencyKey(c *app.RequestContext) (string, error) {
	k := string(c.Request.Header.Peek("Idempotency-Key"))
	if k != "" && !idKeyRe.MatchString(k) {
		return "", errkind.Invalidf("Idempotency-Key must be 1-128 printable ASCII characters")
	}
	return k, nil
}

func (g *Gateway) routesInit() {
	for _, ch := range []*channel{appChannel, mpChannel} {
		g.buyerRoutes(ch)
		g.afterSaleBuyerRoutes(ch)
		g.auctionBuyerRoutes(ch)
		g.groupBuyBuyerRoutes(ch)
		g.regionRoutes(ch)
		g.addressRoutes(ch)
	}
	g.adminRoutes(adminChannel)
	g.storyRoutes(adminChannel)
	g.paymentListRoutes(adminChannel)
	g.skuListRoutes(adminChannel)
	g.afterSaleAdminRoutes(adminChannel)
	g.auctionAdminRoutes(adminChannel)
	g.groupBuyAdminRoutes(adminChannel)
	g.extensionRoutes(adminChannel)
	g.shadowRoutes(adminChannel)
	g.frontendRoutes(adminChannel)
	g.discountRoutes(adminChannel)
	g.priceListRoutes(adminChannel)
	g.limitRoutes(adminChannel)
	g.presaleRoutes(adminChannel)
	g.codRoutes(adminChannel)
	g.statsRoutes(adminChannel)
	g.toggleRoutes(adminChannel)
	g.liveRoutes(adminChannel)
	g.add(route{Method: "POST", Path: "/callbacks/v1/payments/:provider", Channel: appChannel,
		Summary: "Payment provider callback (signed by the provider)"}, g.serve(appChannel, g.paymentCallback))
	if g.cfg.DevMode {
		g.add(route{Method: "POST", Path: "/auth/v1/dev-token", Channel: appChannel, Summary: "Issue a token (dev mode only)",
			Request: devTokenRequest{}, Response: tokenView{}}, g.devToken)
	}
	g.add(route{Method: "GET", Path: "/healthz", Summary: "Liveness"}, func(ctx context.Context, c *app.RequestContext) {
		c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	g.add(route{Method: "GET", Path: "/readyz", Summary: "Readiness: the trade service and its database answer"}, g.ready)
	g.add(route{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics"},
		adaptor.HertzHandler(promhttp.HandlerFor(g.metrics.registry, promhttp.HandlerOpts{})))
	g.consoleRoutes()
	g.add(route{Method: "GET", Path: "/openapi.json", Summary: "This API"}, func(ctx context.Context, c *app.RequestContext) {
		c.Data(http.StatusOK, "application/json", g.OpenAPI())
	})
}

func (g *Gateway) buyerRoutes(ch *channel) {
	p := ch.prefix
	g.orderListRoutes(ch)
	g.add(route{Method: "POST", Path: p + "/quotes", Channel: ch, Auth: true, Summary: "Price a cart and preview the split",
		Request: quoteRequest{}, Response: quoteView{}}, g.serve(ch, g.quote(ch)))
	g.add(route{Method: "POST", Path: p + "/orders", Channel: ch, Auth: true, Idempotent: true, Status: http.StatusCreated,
		Summary: "Place an order", Request: placeOrderRequest{}, Response: tradeView{}}, g.serve(ch, g.placeOrder(ch)))
	g.add(route{Method: "GET", Path: p + "/orders/:orderId", Channel: ch, Auth: true, Summary: "Get one of my orders",
		Response: orderView{}}, g.serve(ch, g.getOrder))
	g.add(route{Method: "GET", Path: p + "/trades/:tradeId", Channel: ch, Auth: true, Summary: "Get one of my trades",
		Response: tradeView{}}, g.serve(ch, g.getTrade))
	g.add(route{Method: "POST", Path: p + "/trades/:tradeId/payments", Channel: ch, Auth: true, Idempotent: true,
		Status: http.StatusCreated, Summary: "Create a payment for what the trade owes", Request: createPaymentRequest{},
		Response: paymentView{}}, g.serve(ch, g.createPayment(ch)))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/cancel", Channel: ch, Auth: true, Summary: "Cancel an unpaid order",
		Response: orderView{}}, g.serve(ch, g.cancelOrder))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/complete", Channel: ch, Auth: true, Summary: "Confirm receipt",
		Response: orderView{}}, g.serve(ch, g.completeOrder))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/refund", Channel: ch, Auth: true,
		Summary: "Refund a paid order that has not shipped: its goods, discounts and shipping part go back", Response: orderView{}},
		g.serve(ch, g.refundOrder))
}

func (g *Gateway) adminRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/skus/:skuId", Channel: ch, Auth: true, Summary: "Create or update a SKU (price in minor units)",
		Request: upsertSKURequest{}, Response: skuView{}}, g.serve(ch, g.upsertSKU(ch)))
	g.add(route{Method: "GET", Path: p + "/skus/:skuId", Channel: ch, Auth: true, Summary: "Get a SKU",
		Response: skuView{}}, g.serve(ch, g.getSKU))
	g.add(route{Method: "PUT", Path: p + "/skus/:skuId/stock", Channel: ch, Auth: true, Summary: "Set the on-hand stock of a SKU in a warehouse",
		Request: setStockRequest{}, Response: stockView{}}, g.serve(ch, g.setStock(ch)))
	g.add(route{Method: "GET", Path: p + "/skus/:skuId/stock", Channel: ch, Auth: true, Summary: "Stock of a SKU per warehouse",
		Response: stockView{}}, g.serve(ch, g.getStock))
	g.add(route{Method: "PUT", Path: p + "/warehouses/:warehouseId", Channel: ch, Auth: true,
		Summary: "Register a warehouse and where it is (the default choice ships from the one nearest the buyer)",
		Request: putWarehouseRequest{}, Response: warehouseView{}}, g.serve(ch, g.putWarehouse(ch)))
	g.add(route{Method: "GET", Path: p + "/warehouses", Channel: ch, Auth: true, Summary: "List the registered warehouses",
		Response: warehouseListView{}}, g.serve(ch, g.listWarehouses))
	g.add(route{Method: "DELETE", Path: p + "/warehouses/:warehouseId", Channel: ch, Auth: true,
		Summary:  "Delete a warehouse registered by mistake: one that never held stock (one that did is kept: 409 inventory.warehouse_in_use)",
		Response: warehouseDeletedView{}}, g.serve(ch, g.deleteWarehouse))
	g.add(route{Method: "PUT", Path: p + "/shipping-templates/:sellerId", Channel: ch, Auth: true,
		Summary: "Set a seller's shipping fee per trade and free-shipping threshold (sellerId * is the default), with exceptions by destination region (another fee, or no delivery)",
		Request: shippingTemplateRequest{}, Response: shippingTemplateView{}}, g.serve(ch, g.putShippingTemplate(ch)))
	g.add(route{Method: "GET", Path: p + "/shipping-templates", Channel: ch, Auth: true, Summary: "List the shipping templates",
		Response: shippingTemplateListView{}}, g.serve(ch, g.listShippingTemplates))
	g.orderSearchRoutes(ch)
	g.add(route{Method: "GET", Path: p + "/orders/:orderId", Channel: ch, Auth: true, Summary: "Get any order of the tenant",
		Response: orderView{}}, g.serve(ch, g.getOrder))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/cancel", Channel: ch, Auth: true,
		Summary: "Cancel an unpaid order in its flow's way (an auction winner's or pre-sale's deposit is forfeited unless refundDeposit gives it back as goodwill; the body is optional)",
		Request: cancelRequest{}, Response: orderView{}}, g.serve(ch, g.cancelOrderAdmin(ch)))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/refund", Channel: ch, Auth: true,
		Summary: "Refund a paid order that has not shipped", Response: orderView{}}, g.serve(ch, g.refundOrder))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/shipments", Channel: ch, Auth: true, Summary: "Ship a paid order",
		Request: shipRequest{}, Response: orderView{}}, g.serve(ch, g.shipOrder(ch)))
	g.add(route{Method: "POST", Path: p + "/orders/:orderId/delivery", Channel: ch, Auth: true, Summary: "Record the delivery outcome: delivered (a cash-on-delivery order with what the carrier collected), or refused at the door (COD)",
		Request: deliveryRequest{}, Response: orderView{}}, g.serve(ch, g.deliverOrder(ch)))
	g.add(route{Method: "POST", Path: p + "/payments/:paymentId/simulate", Channel: ch, Auth: true,
		Summary: "Make the sandbox provider report an outcome (it sends its signed callback)",
		Request: simulateRequest{}, Response: paymentView{}}, g.serve(ch, g.simulatePayment(ch)))
}

func itemsOf(in []itemRequest) []*trade.Item {
	out := make([]*trade.Item, len(in))
	for i, it := range in {
		out[i] = &trade.Item{SkuId: it.SkuID, Quantity: it.Quantity}
	}
	return out
}

// hotSKUs checks an order's SKUs against the hot-parameter rules on "sku": an order with a SKU
// over its rate is refused whole, while orders for other SKUs go on.
func (g *Gateway) hotSKUs(tenant string, items []*trade.Item) error {
	if g.guard == nil {
		return nil
	}
	ids := make([]string, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.SkuId] {
			seen[it.SkuId] = true
			ids = append(ids, it.SkuId)
		}
	}
	return g.guard.Hot("sku", tenant, ids...)
}

func (g *Gateway) quote(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req quoteRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		r := &trade.QuoteRequest{Caller: callerOf(c), Flow: req.Flow, Items: itemsOf(req.Items), Coupons: req.Coupons, PresaleId: req.PresaleID,
			GroupBuyId: req.GroupBuyID, GroupId: req.GroupID}
		if req.Currency != "" {
			r.Currency = &req.Currency
		}
		if d := cmp.Or(req.Address, req.Destination); d != nil {
			r.Destination = d.rpc() // the trade node reads where it is and ignores who and the detail
		}
		traceFlow(ctx, req.Flow)
		resp, err := g.rpc.Intake.Quote(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, quoteOf(resp), nil
	}
}

func (g *Gateway) placeOrder(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		key, err := idempotencyKey(c)
		if err != nil {
			return 0, nil, err
		}
		var req placeOrderRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		r := &trade.PlaceOrderRequest{Caller: callerOf(c), Flow: req.Flow, Items: itemsOf(req.Items), IdempotencyKey: key, Coupons: req.Coupons,
			PresaleId: req.PresaleID, GroupBuyId: req.GroupBuyID, GroupId: req.GroupID}
		if req.Currency != "" {
			r.Currency = &req.Currency
		}
		if req.ExpectedTotal.Set() {
			amt, err := ch.parseMoney("expectedTotal", req.ExpectedTotal, req.Currency)
			if err != nil {
				return 0, nil, err
			}
			r.ExpectedTotal = &trade.Money{Amount: amt.Minor(), Currency: amt.Currency().Code()}
		}
		if a := req.Address; a != nil {
			r.Address = a.rpc()
		}
		traceFlow(ctx, req.Flow)
		if err := g.hotSKUs(r.Caller.GetTenant(), r.Items); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Intake.PlaceOrder(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		tracePlaced(ctx, resp)
		return http.StatusCreated, tradeOf(resp), nil
	}
}

func (g *Gateway) getOrder(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Queries.GetOrder(ctx, &trade.OrderRef{Caller: callerOf(c), OrderId: c.Param("orderId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, orderOf(resp), nil
}

func (g *Gateway) getTrade(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Queries.GetTrade(ctx, &trade.TradeRef{Caller: callerOf(c), TradeId: c.Param("tradeId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, tradeOf(resp), nil
}

func (g *Gateway) createPayment(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		key, err := idempotencyKey(c)
		if err != nil {
			return 0, nil, err
		}
		var req createPaymentRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Lifecycle.CreatePayment(ctx, &trade.CreatePaymentRequest{Caller: callerOf(c), TradeId: c.Param("tradeId"),
			Method: req.Method, IdempotencyKey: key, Purpose: req.Purpose})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, paymentOf(resp), nil
	}
}

func (g *Gateway) cancelOrder(ctx context.Context, c *app.RequestContext) (int, any, error) {
	return g.cancel(ctx, c, false)
}

// cancelRequest is an operator's cancel: refundDeposit gives back, as goodwill, a deposit the
// cancel would forfeit.
type cancelRequest struct {
	RefundDeposit bool `json:"refundDeposit,omitempty"`
}

func (g *Gateway) cancelOrderAdmin(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req cancelRequest
		if len(bytes.TrimSpace(c.Request.Body())) > 0 {
			if err := ch.decode(c.Request.Body(), &req); err != nil {
				return 0, nil, err
			}
		}
		return g.cancel(ctx, c, req.RefundDeposit)
	}
}

func (g *Gateway) cancel(ctx context.Context, c *app.RequestContext, refundDeposit bool) (int, any, error) {
	resp, err := g.rpc.Lifecycle.CancelOrder(ctx, &trade.CancelOrderRequest{Caller: callerOf(c), OrderId: c.Param("orderId"),
		RefundDeposit: refundDeposit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, orderOf(resp), nil
}

func (g *Gateway) refundOrder(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Lifecycle.RefundOrder(ctx, &trade.OrderRef{Caller: callerOf(c), OrderId: c.Param("orderId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, orderOf(resp), nil
}

func (g *Gateway) completeOrder(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Lifecycle.CompleteOrder(ctx, &trade.OrderRef{Caller: callerOf(c), OrderId: c.Param("orderId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, orderOf(resp), nil
}

func (g *Gateway) upsertSKU(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req upsertSKURequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if req.Price == nil {
			return 0, nil, errkind.Invalidf("price is required (an integer in minor units)")
		}
		resp, err := g.rpc.Catalog.UpsertSKU(ctx, &trade.UpsertSKURequest{Caller: callerOf(c), SkuId: c.Param("skuId"), Title: req.Title,
			SellerId: req.SellerID, Price: &trade.Money{Amount: *req.Price, Currency: req.Currency}, Tags: req.Tags,
			PresaleShipsAt: req.PresaleShipsAt})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, skuOf(resp), nil
	}
}

func (g *Gateway) getSKU(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Catalog.GetSKU(ctx, &trade.SKURef{Caller: callerOf(c), SkuId: c.Param("skuId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, skuOf(resp), nil
}

func skuOf(s *trade.SKU) skuView {
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	return skuView{SkuID: s.SkuId, Title: s.Title, SellerID: s.SellerId, Price: moneyOf(s.Price),
		Currency: s.GetPrice().GetCurrency(), Tags: tags, PresaleShipsAt: s.PresaleShipsAt}
}

func (g *Gateway) putWarehouse(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req putWarehouseRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		in := &trade.PutWarehouseRequest{Caller: callerOf(c), WarehouseId: c.Param("warehouseId"), Name: req.Name}
		if r := req.Region; r != nil {
			in.Region = r.rpc()
		}
		resp, err := g.rpc.Catalog.PutWarehouse(ctx, in)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, warehouseOf(resp), nil
	}
}

func (g *Gateway) listWarehouses(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Catalog.ListWarehouses(ctx, &trade.ListWarehousesRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	v := warehouseListView{Warehouses: []warehouseView{}}
	for _, w := range resp.Warehouses {
		v.Warehouses = append(v.Warehouses, warehouseOf(w))
	}
	return http.StatusOK, v, nil
}

func (g *Gateway) putShippingTemplate(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req shippingTemplateRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if req.Fee == nil {
			return 0, nil, errkind.Invalidf("fee is required (an integer in minor units)")
		}
		tmpl := &trade.ShippingTemplate{SellerId: c.Param("sellerId"), Currency: req.Currency, Fee: *req.Fee, FreeOver: req.FreeOver}
		for _, r := range req.Regions {
			rule := &trade.ShippingRegionRule{Fee: r.Fee, FreeOver: r.FreeOver, NoDelivery: r.NoDelivery}
			for _, g := range r.Regions {
				rule.Regions = append(rule.Regions, g.rpc())
			}
			tmpl.Regions = append(tmpl.Regions, rule)
		}
		resp, err := g.rpc.Delivery.PutShippingTemplate(ctx, &trade.PutShippingTemplateRequest{Caller: callerOf(c), Template: tmpl})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, templateOf(resp), nil
	}
}

func (g *Gateway) listShippingTemplates(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Delivery.ListShippingTemplates(ctx, &trade.ListShippingTemplatesRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	v := shippingTemplateListView{Templates: []shippingTemplateView{}}
	for _, t := range resp.Templates {
		v.Templates = append(v.Templates, templateOf(t))
	}
	return http.StatusOK, v, nil
}

func (g *Gateway) setStock(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req setStockRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if req.OnHand == nil && req.Hot == nil {
			return 0, nil, errkind.Invalidf("onHand or hot is required")
		}
		resp, err := g.rpc.Catalog.SetStock(ctx, &trade.SetStockRequest{Caller: callerOf(c), SkuId: c.Param("skuId"),
			WarehouseId: req.WarehouseID, OnHand: req.OnHand, Hot: req.Hot})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, stockOf(resp), nil
	}
}

func (g *Gateway) getStock(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Catalog.GetStock(ctx, &trade.SKURef{Caller: callerOf(c), SkuId: c.Param("skuId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, stockOf(resp), nil
}

func (g *Gateway) shipOrder(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req shipRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Lifecycle.ShipOrder(ctx, &trade.ShipOrderRequest{Caller: callerOf(c), OrderId: c.Param("orderId"),
			Carrier: req.Carrier, TrackingNo: req.TrackingNo})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, orderOf(resp), nil
	}
}

func (g *Gateway) deliverOrder(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req deliveryRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Lifecycle.DeliverOrder(ctx, &trade.DeliverOrderRequest{Caller: callerOf(c), OrderId: c.Param("orderId"), Outcome: req.Outcome,
			Collected: req.Collected})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, orderOf(resp), nil
	}
}

func (g *Gateway) simulatePayment(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req simulateRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Lifecycle.SimulatePayment(ctx, &trade.SimulatePaymentRequest{Caller: callerOf(c), PaymentId: c.Param("paymentId"),
			Outcome: req.Outcome})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, paymentOf(resp), nil
	}
}

// paymentCallback forwards a provider's callback, raw, to the trade service, which verifies
// the signature with the provider's secret (the access layer never holds it).
func (g *Gateway) paymentCallback(ctx context.Context, c *app.RequestContext) (int, any, error) {
	provider := c.Param("provider")
	if !providerRe.MatchString(provider) {
		return 0, nil, ErrRouteNotFound
	}
	headers := map[string]string{}
	c.Request.Header.VisitAll(func(k, v []byte) { headers[string(k)] = string(v) })
	if _, err := g.rpc.Lifecycle.PaymentCallback(ctx, &trade.PaymentCallbackRequest{Provider: provider, Headers: headers,
		Body: append([]byte(nil), c.Request.Body()...)}); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, struct {
		Accepted bool `json:"accepted"`
	}{true}, nil
}

// devToken issues tokens without a login, for the demo and tests. It is only routed in dev mode.
func (g *Gateway) devToken(ctx context.Context, c *app.RequestContext) {
	var req devTokenRequest
	if err := appChannel.decode(c.Request.Body(), &req); err != nil {
		g.fail(ctx, c, appChannel, err)
		return
	}
	ch := req.Channel
	if req.Role == roleAdmin && ch == "" {
		ch = adminChannel.name
	}
	now := g.now()
	const ttl = 24 * time.Hour
	tok, err := Issue(g.secret, Claims{Tenant: req.Tenant, BizCode: req.BizCode, Channel: ch, Role: req.Role, MemberLevel: req.MemberLevel,
		Azp: req.FrontendID, RegisteredClaims: jwtSubject(req.UserID)}, ttl, now)
	if err != nil {
		g.fail(ctx, c, appChannel, err)
		return
	}
	g.writeJSON(c, http.StatusOK, tokenView{Token: tok, ExpiresAt: now.Add(ttl).UTC().Format(time.RFC3339)})
}

func (g *Gateway) ready(ctx context.Context, c *app.RequestContext) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := g.rpc.Queries.Ping(ctx, &trade.PingRequest{}); err != nil {
		g.log.WarnContext(ctx, "not ready", "err", err)
		c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// warehouseDeletedView answers a deleted warehouse.
type warehouseDeletedView struct {
	WarehouseID string `json:"warehouseId"`
	Deleted     bool   `json:"deleted"`
}

func (g *Gateway) deleteWarehouse(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Catalog.DeleteWarehouse(ctx, &trade.WarehouseRef{Caller: callerOf(c), WarehouseId: c.Param("warehouseId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, warehouseDeletedView{WarehouseID: resp.WarehouseId, Deleted: true}, nil
}
