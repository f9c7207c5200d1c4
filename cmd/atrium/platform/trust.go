package platform

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/utils"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/atriumtrade/atrium/components/servicetoken"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Trust between the roles: an access node signs, for every call it makes, a service token naming
// the caller the call carries (components/servicetoken); a trade node verifies it before any
// handler runs (before admission too: a forged call costs a signature check, not a slot) and
// refuses a call whose token is missing, expired, signed by a key it does not hold, for another
// audience, or for another caller than the call names, with auth.service_token_invalid, counted
// by reason. The token travels in TTHeader's metainfo, beside the trace context.

// TokenKey is the metainfo key of the service token.
const TokenKey = "atrium-service-token"

// claimsOf are the claims a call's caller makes: a call without one (a payment callback, a ping)
// acts for no tenant.
func claimsOf(req any) servicetoken.Claims {
	r, ok := req.(interface{ GetCaller() *trade.Caller })
	if !ok || r.GetCaller() == nil {
		return servicetoken.Claims{}
	}
	c := r.GetCaller()
	var extra map[string]string
	if c.BizCode != "" || c.MemberLevel != "" {
		extra = map[string]string{"bizCode": c.BizCode, "memberLevel": c.MemberLevel}
	}
	return servicetoken.Claims{Tenant: c.Tenant, User: c.UserId, Role: c.Role, Channel: c.Channel, Extra: extra}
}

func firstArg(req any) any {
	if args, ok := req.(utils.KitexArgs); ok {
		return args.GetFirstArgument()
	}
	return nil
}

// SignedCalls are the client options of a node that calls the trade service (the access role, or
// a tool of the operators'): each call carries a token for its caller, signed as issuer. With no
// keys configured, none.
func SignedCalls(cfg RPCConfig, issuer string) ([]client.Option, error) {
	if !cfg.Auth.On() {
		return nil, nil
	}
	signer, err := servicetoken.NewSigner(cfg.Auth, issuer, ServiceName)
	if err != nil {
		return nil, err
	}
	return []client.Option{client.WithMiddleware(signRPC(signer))}, nil
}

// signRPC is the access role's client middleware: each call carries a token for its caller.
func signRPC(s *servicetoken.Signer) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			tok, err := s.Sign(claimsOf(firstArg(req)))
			if err != nil {
				return fmt.Errorf("sign the service token: %w", err)
			}
			return next(metainfo.WithValue(ctx, TokenKey, tok), req, resp)
		}
	}
}

var refusedRPC = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atrium_rpc_refused_total",
	Help: "Calls a trade node refused before any handler ran because their service token was not valid, by reason " +
		"(missing, expired, signature, audience, malformed, caller_mismatch)."}, []string{"reason"})

// verifyRPC is the trade role's server middleware: a call runs only with a valid token for the
// caller it names.
func verifyRPC(v *servicetoken.Verifier, errHandler func(context.Context, error) error) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			tok, _ := metainfo.GetValue(ctx, TokenKey)
			got, err := v.Verify(tok)
			if err == nil {
				want := claimsOf(firstArg(req))
				if got.Tenant != want.Tenant || got.User != want.User || got.Role != want.Role || got.Channel != want.Channel ||
					!maps.Equal(got.Extra, want.Extra) {
					err = servicetoken.Refuse(servicetoken.ReasonCaller, "the token is for %s/%s (%s), the call for %s/%s (%s)",
						got.Tenant, got.User, got.Role, want.Tenant, want.User, want.Role)
				}
			}
			if err != nil {
				var r *servicetoken.Refusal
				if errors.As(err, &r) {
					refusedRPC.WithLabelValues(r.Reason).Inc()
				}
				return errHandler(ctx, err)
			}
			return next(ctx, req, resp)
		}
	}
}
