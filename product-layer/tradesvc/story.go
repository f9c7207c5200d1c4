package tradesvc

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	tradecore "github.com/atriumtrade/atrium/product-layer/trade"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Journal reads back what the platform wrote about a record as it changed: the events of a key
// (a trade's are keyed by its id) and the durable timers of refs (tradecore.TimerRef).
type Journal interface {
	Events(ctx context.Context, tenant, key string, limit int) ([]JournalEvent, error)
	Timers(ctx context.Context, refs ...string) ([]JournalTimer, error)
}

// JournalEvent is one event as it was written.
type JournalEvent struct {
	ID, Topic, Actor string
	At               time.Time
	Payload          []byte
}

// JournalTimer is one durable timer: pending while Done is zero.
type JournalTimer struct {
	Kind, Ref string
	Due, Done time.Time
	Attempts  int
	LastError string
}

// timelineLimit bounds the events a story shows: a trade's life writes tens of them; a trade
// that wrote more shows its first ones.
const timelineLimit = 500

// story is what an operator's view of a trade is read from beside the trade itself.
type story struct {
	afterSales
	journal Journal
	ext     *extensions.Admin
}

// GetTradeStory implements its service.
func (h *Queries) GetTradeStory(ctx context.Context, req *trade.TradeRef) (*trade.TradeStory, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	t, err := h.core.Trade(ctx, cl.tenant, cl.actor(), req.TradeId)
	if err != nil {
		return nil, err
	}
	view, err := h.tradeView(ctx, cl, t)
	if err != nil {
		return nil, err
	}
	out := &trade.TradeStory{Trade: view, UserId: t.UserID(), BizCode: t.Identity().BizCode(), AfterSales: []*trade.AfterSale{},
		Timers: []*trade.TradeTimer{}, Timeline: []*trade.TimelineEntry{}, Scripts: []*trade.ScriptRun{}}
	if in, err := h.core.Instance(ctx, cl.tenant, t.ID()); err == nil {
		out.FlowVersion, out.FlowUpdatedAt = in.Version, millis(in.UpdatedAt)
	} else if !errors.Is(err, tradecore.ErrInstanceNotFound) {
		return nil, err
	}
	refs := []string{tradecore.TimerRef(cl.tenant, t.ID())}
	for _, o := range view.Orders {
		for _, r := range o.Refunds {
			refs = append(refs, tradecore.TimerRef(cl.tenant, r.RefundId))
		}
	}
	as, err := h.story.aftersale.OfTrade(ctx, cl.tenant, cl.actor(), t)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		dto, err := h.story.afterSaleDTO(ctx, a)
		if err != nil {
			return nil, err
		}
		out.AfterSales = append(out.AfterSales, dto)
		refs = append(refs, tradecore.TimerRef(cl.tenant, a.ID()))
	}
	timers, err := h.story.journal.Timers(ctx, refs...)
	if err != nil {
		return nil, err
	}
	for _, tm := range timers {
		out.Timers = append(out.Timers, &trade.TradeTimer{Kind: tm.Kind, Ref: tm.Ref, DueAt: millis(tm.Due), DoneAt: millis(tm.Done),
			Attempts: int32(tm.Attempts), LastError: tm.LastError})
	}
	events, err := h.story.journal.Events(ctx, cl.tenant, t.ID(), timelineLimit)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		var about struct {
			OrderID string `json:"orderId"`
		}
		_ = json.Unmarshal(e.Payload, &about) // every event is a JSON object; one without an order names none
		out.Timeline = append(out.Timeline, &trade.TimelineEntry{EventId: e.ID, Event: e.Topic, At: millis(e.At), Actor: e.Actor,
			OrderId: about.OrderID, Detail: string(e.Payload)})
	}
	runs, err := h.story.ext.Runs(ctx, cl.tenant, t.ID())
	if err != nil {
		return nil, err
	}
	out.Scripts = scriptRunDTOs(runs)
	return out, nil
}
