package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

type statusCountView struct {
	Flow     string `json:"flow"`
	Status   string `json:"status"`
	Currency string `json:"currency"`
	Orders   int64  `json:"orders"`
	Amount   int64  `json:"amount"`
}

type skuDayView struct {
	Day            string `json:"day"`
	SKUID          string `json:"skuId"`
	Currency       string `json:"currency"`
	Orders         int64  `json:"orders"`
	Units          int64  `json:"units"`
	Amount         int64  `json:"amount"`
	RefundedUnits  int64  `json:"refundedUnits"`
	RefundedAmount int64  `json:"refundedAmount"`
}

// orderStatsView is the order-events projection as operators read it (minor units): built from
// the trade events, a moment behind the orders themselves.
type orderStatsView struct {
	From     string            `json:"from"`
	To       string            `json:"to"`
	ByStatus []statusCountView `json:"byStatus"`
	SKUDaily []skuDayView      `json:"skuDaily"`
}

func (g *Gateway) statsRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/stats/orders", Channel: ch, Auth: true,
		Summary:  "The tenant's orders by flow and status now, and each SKU's sales per UTC day (?from=&to= YYYY-MM-DD, default the last 30 days; ?flow=, ?skuId=), from the order events",
		Response: orderStatsView{}}, g.serve(ch, g.orderStats))
	g.add(route{Method: "GET", Path: ch.prefix + "/audit", Channel: ch, Auth: true,
		Summary:  "The auditor's open findings in the tenant's books (stock, money, deposits, what is stranded), the oldest first, with when the books were last audited (?kind= a kind or a family such as money)",
		Response: trade.AuditReport{}}, g.serve(ch, g.audit))
}

func (g *Gateway) audit(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Audit.GetAudit(ctx, &trade.AuditRequest{Caller: callerOf(c), Kind: c.Query("kind")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, resp, nil
}

func (g *Gateway) orderStats(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Stats.GetOrderStats(ctx, &trade.OrderStatsRequest{Caller: callerOf(c), From: c.Query("from"), To: c.Query("to"),
		Flow: c.Query("flow"), SkuId: c.Query("skuId")})
	if err != nil {
		return 0, nil, err
	}
	v := orderStatsView{From: resp.From, To: resp.To, ByStatus: []statusCountView{}, SKUDaily: []skuDayView{}}
	for _, s := range resp.ByStatus {
		v.ByStatus = append(v.ByStatus, statusCountView{Flow: s.Flow, Status: s.Status, Currency: s.Currency, Orders: s.Orders, Amount: s.Amount})
	}
	for _, d := range resp.SkuDaily {
		v.SKUDaily = append(v.SKUDaily, skuDayView{Day: d.Day, SKUID: d.SkuId, Currency: d.Currency, Orders: d.Orders, Units: d.Units,
			Amount: d.Amount, RefundedUnits: d.RefundedUnits, RefundedAmount: d.RefundedAmount})
	}
	return http.StatusOK, v, nil
}
