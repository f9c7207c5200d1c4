package platform

import (
	"context"

	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/tradesvc"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/utils"
)

// actorRPC puts who makes each call into its context (identity.WithActor), so that what the call
// writes (a trade's events) records who acted: the caller of a buyer's or an operator's request,
// the provider of a payment callback; and the caller's tenant (identity.WithTenant), by which the
// call's statements go to the tenant's pod.
func actorRPC() endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			if args, ok := req.(utils.KitexArgs); ok {
				first := args.GetFirstArgument()
				if a := actorOfRequest(first); a != "" {
					ctx = identity.WithActor(ctx, a)
				}
				// The caller's tenant routes the call's statements to the tenant's pod.
				if r, ok := first.(interface{ GetCaller() *trade.Caller }); ok && identity.ValidTenant(r.GetCaller().GetTenant()) {
					ctx = identity.WithTenant(ctx, r.GetCaller().GetTenant())
				}
			}
			return next(ctx, req, resp)
		}
	}
}

func actorOfRequest(req any) string {
	switch r := req.(type) {
	case interface{ GetCaller() *trade.Caller }:
		c := r.GetCaller()
		if c == nil {
			return ""
		}
		if c.Role == tradesvc.RoleAdmin {
			return "operator:" + c.UserId
		}
		return "buyer:" + c.UserId
	case *trade.PaymentCallbackRequest:
		return "provider:" + r.Provider
	}
	return ""
}

// journal is the outbox and the timer queue as tradesvc.Journal: what the platform wrote about a
// trade as it changed, read back for an operator's view of it.
type journal struct {
	events *outbox.Writer
	timers *delay.Queue
}

func (j journal) Events(ctx context.Context, tenant, key string, limit int) ([]tradesvc.JournalEvent, error) {
	es, err := j.events.OfKey(ctx, tenant, key, limit)
	out := make([]tradesvc.JournalEvent, len(es))
	for i, e := range es {
		out[i] = tradesvc.JournalEvent{ID: e.ID, Topic: e.Topic, Actor: e.Actor, At: e.OccurredAt, Payload: e.Payload}
	}
	return out, err
}

func (j journal) Timers(ctx context.Context, refs ...string) ([]tradesvc.JournalTimer, error) {
	js, err := j.timers.Jobs(ctx, refs...)
	out := make([]tradesvc.JournalTimer, len(js))
	for i, t := range js {
		out[i] = tradesvc.JournalTimer{Kind: t.Kind, Ref: t.Ref, Due: t.Due, Done: t.Done, Attempts: t.Attempts, LastError: t.LastError}
	}
	return out, err
}
