package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/stats"
)

// GetOrderStats implements its service.
func (h *StatsAdmin) GetOrderStats(ctx context.Context, req *trade.OrderStatsRequest) (*trade.OrderStats, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if h.stats == nil {
		return nil, errkind.WithDetail(errkind.ErrUnavailable, "order statistics are not kept on this node")
	}
	rep, err := h.stats.Report(ctx, cl.tenant, stats.Query{From: req.From, To: req.To, Flow: req.Flow, SKUID: req.SkuId})
	if err != nil {
		return nil, err
	}
	out := &trade.OrderStats{From: rep.From, To: rep.To, ByStatus: []*trade.OrderStatusCount{}, SkuDaily: []*trade.SkuDailySales{}}
	for _, c := range rep.ByStatus {
		out.ByStatus = append(out.ByStatus, &trade.OrderStatusCount{Flow: c.Flow, Status: c.Status, Currency: c.Currency, Orders: c.Orders, Amount: c.Amount})
	}
	for _, d := range rep.SKUDaily {
		out.SkuDaily = append(out.SkuDaily, &trade.SkuDailySales{Day: d.Day, SkuId: d.SKUID, Currency: d.Currency, Orders: d.Orders,
			Units: d.Units, Amount: d.Amount, RefundedUnits: d.RefundedUnits, RefundedAmount: d.RefundedAmount})
	}
	return out, nil
}
