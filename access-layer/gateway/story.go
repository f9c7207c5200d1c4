package gateway

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// tradeStoryView is an operator's whole view of one trade (the admin channel: minor units).
type tradeStoryView struct {
	// Trade is the trade as it stands: its buyer's address, orders and lines (list price, each
	// discount, payable, refunds), payments, and where its flow stands (state).
	Trade   tradeView `json:"trade"`
	UserID  string    `json:"userId"`
	BizCode string    `json:"bizCode"`
	// FlowVersion counts the moves of the trade's flow; FlowUpdatedAt is the last.
	FlowVersion   int64           `json:"flowVersion"`
	FlowUpdatedAt string          `json:"flowUpdatedAt,omitempty"`
	AfterSales    []afterSaleView `json:"afterSales"`
	// Timers are the durable timers of the trade, its refunds and after-sales: pending (no
	// doneAt), or done (run, or called off) and not purged yet.
	Timers []timerView `json:"timers"`
	// Timeline is every event of the trade in the order it was written, with who acted.
	Timeline []timelineView `json:"timeline"`
	// Scripts are the extension script versions that ran for the trade and what they decided.
	Scripts []scriptRunView `json:"scripts"`
}

type timerView struct {
	Kind      string `json:"kind"`
	Ref       string `json:"ref"`
	DueAt     string `json:"dueAt"`
	DoneAt    string `json:"doneAt,omitempty"`
	Attempts  int32  `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
}

type timelineView struct {
	EventID string `json:"eventId"`
	Event   string `json:"event"`
	At      string `json:"at"`
	// Actor is who acted: buyer:<id>, operator:<id>, provider:<name>, timer:<kind>, or system.
	Actor   string          `json:"actor"`
	OrderID string          `json:"orderId,omitempty"`
	Detail  json.RawMessage `json:"detail"`
}

func (g *Gateway) storyRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/trades/:tradeId", Channel: ch, Auth: true,
		Summary:  "A trade's whole story: buyer, address, money per line, payments, refunds, after-sales, flow state, timers, timeline and the scripts that ran",
		Response: tradeStoryView{}}, g.serve(ch, g.tradeStory))
}

func (g *Gateway) tradeStory(ctx context.Context, c *app.RequestContext) (int, any, error) {
	s, err := g.rpc.Queries.GetTradeStory(ctx, &trade.TradeRef{Caller: callerOf(c), TradeId: c.Param("tradeId")})
	if err != nil {
		return 0, nil, err
	}
	v := tradeStoryView{Trade: tradeOf(s.Trade), UserID: s.UserId, BizCode: s.BizCode, FlowVersion: s.FlowVersion,
		FlowUpdatedAt: timeOf(s.FlowUpdatedAt), AfterSales: []afterSaleView{}, Timers: []timerView{}, Timeline: []timelineView{},
		Scripts: []scriptRunView{}}
	for _, a := range s.AfterSales {
		v.AfterSales = append(v.AfterSales, afterSaleOf(a))
	}
	for _, t := range s.Timers {
		v.Timers = append(v.Timers, timerView{Kind: t.Kind, Ref: t.Ref, DueAt: timeOf(t.DueAt), DoneAt: timeOf(t.DoneAt),
			Attempts: t.Attempts, LastError: t.LastError})
	}
	for _, e := range s.Timeline {
		v.Timeline = append(v.Timeline, timelineView{EventID: e.EventId, Event: e.Event, At: timeOf(e.At), Actor: e.Actor,
			OrderID: e.OrderId, Detail: rawOrNil([]byte(e.Detail))})
	}
	for _, r := range s.Scripts {
		v.Scripts = append(v.Scripts, scriptRunOf(r))
	}
	return http.StatusOK, v, nil
}
