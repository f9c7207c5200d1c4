package platform

import (
	"context"
	"errors"

	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/rpcinfo"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/components/guard"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// admitRPC is the Kitex adapter of the guard: each method is a resource ("TradeIntake/PlaceOrder")
// under the flow and system rules. A refusal is handed to the server's error handler, which sets
// it as the call's business status (Kitex runs that handler only for the handler's own errors).
// The readiness probe (TradeQueries/Ping) is never refused.
func admitRPC(g *guard.Guard, errHandler func(context.Context, error) error) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			ri := rpcinfo.GetRPCInfo(ctx)
			if ri == nil || ri.Invocation() == nil {
				return next(ctx, req, resp)
			}
			resource := ri.Invocation().ServiceName() + "/" + ri.Invocation().MethodName()
			if resource == "TradeQueries/Ping" {
				return next(ctx, req, resp)
			}
			done, err := g.Inbound(resource)
			if err != nil {
				return errHandler(ctx, err)
			}
			defer done()
			return next(ctx, req, resp)
		}
	}
}

// guardedProvider calls a payment provider under its circuit breaker ("payment:<name>"): while
// the provider keeps failing, payments and refunds get payment.provider_unavailable at once
// instead of waiting on it, and the breaker lets a probe through after its retry timeout. A
// refusal the provider gives for the request itself (a refund that does not fit) does not count.
type guardedProvider struct {
	payment.Provider
	g *guard.Guard
}

func (p guardedProvider) resource() string { return "payment:" + p.Name() }

func (p guardedProvider) open(err error) error {
	if errors.Is(err, guard.ErrBlocked) {
		return errkind.WithDetail(payment.ErrProviderFailed, "payment provider %s is failing; it is not being called for a while", p.Name())
	}
	return err
}

// theCallersFault: the provider answered, and refused this request.
func theCallersFault(err error) bool {
	if errors.Is(err, context.Canceled) {
		return true // the caller went away
	}
	base, _ := errkind.Describe(err)
	return base.Kind() == errkind.Invalid || base.Kind() == errkind.Conflict || base.Kind() == errkind.NotFound
}

func (p guardedProvider) CreateIntent(ctx context.Context, pay *payment.Payment) (ref string, err error) {
	err = p.g.Call(p.resource(), func() error {
		ref, err = p.Provider.CreateIntent(ctx, pay)
		return err
	}, theCallersFault)
	return ref, p.open(err)
}

func (p guardedProvider) Refund(ctx context.Context, pay *payment.Payment, r *payment.Refund) (ack payment.RefundAck, err error) {
	err = p.g.Call(p.resource(), func() error {
		ack, err = p.Provider.Refund(ctx, pay, r)
		return err
	}, theCallersFault)
	return ack, p.open(err)
}

// guardScripts runs each extension point's script calls under its circuit breaker ("ext:<point>"):
// while a point's scripts keep failing or exceeding their budget, they are not run for a while
// and the point's policy applies at once (its default result, or extensions.breaker_open).
func guardScripts(g *guard.Guard) extensions.CallGuard {
	return func(point string, call func() error) error {
		err := g.Call("ext:"+point, call, theCallersFault)
		if errors.Is(err, guard.ErrBlocked) {
			return errkind.WithDetail(extensions.ErrBreakerOpen, "the scripts of %s keep failing; they are not being run for a while", point)
		}
		return err
	}
}
