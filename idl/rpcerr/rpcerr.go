// Package rpcerr carries Atrium's stable error codes across Kitex, beside the IDL whose services
// speak them. A business failure crosses as a Kitex business-status error (TTHeader transports
// it without turning it into a transport failure): the status code is the error kind plus one,
// extra["code"] the stable code, extra["detail"] the public message and extra["fields"] (JSON) the
// fields at fault, if the error names them. The client side turns it
// back into the same sentinel, so errors.Is works on both sides of the wire; a code the client's
// binary does not know (a newer trade node's) comes back as that code with its kind, so an
// access node one version behind still answers it with the right status, never 500.
//
// What is not a business failure is the server's to classify before it crosses (see Server):
// this package knows no database and no capability.
package rpcerr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/fallback"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/utils"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// ToKitex converts an error for the wire. An error that is no business failure crosses as
// system.internal, with no message: a SQL error never reaches a client.
func ToKitex(err error) error {
	if err == nil {
		return nil
	}
	base, public := errkind.Describe(err)
	extra := map[string]string{"code": base.Code(), "detail": public}
	if fields := errkind.Fields(err); len(fields) > 0 {
		if b, err := json.Marshal(fields); err == nil {
			extra["fields"] = string(b)
		}
	}
	return kerrors.NewBizStatusErrorWithExtra(int32(base.Kind())+1, public, extra)
}

// Server is the trade server's one error handler (server.WithErrorHandler): classify turns what
// the server knows about infrastructure (a cancelled request, a contended database, a value too
// large for its column) into business failures; anything still internal is logged here, with
// the method, and crosses without its message. The biz status is set on the call, so every
// handler simply returns its error.
func Server(log *slog.Logger, classify func(error) error) func(context.Context, error) error {
	return func(ctx context.Context, err error) error {
		if err == nil {
			return nil
		}
		if _, ok := kerrors.FromBizStatusError(err); ok {
			return err
		}
		if base, _ := errkind.Describe(err); base == errkind.ErrInternal && classify != nil {
			err = classify(err)
		}
		method := ""
		ri := rpcinfo.GetRPCInfo(ctx)
		if ri != nil && ri.Invocation() != nil {
			method = ri.Invocation().MethodName()
		}
		if base, _ := errkind.Describe(err); base == errkind.ErrInternal {
			log.ErrorContext(ctx, "rpc handler failed", "method", method, "err", err)
		}
		biz, _ := kerrors.FromBizStatusError(ToKitex(err))
		if ri != nil {
			if setter, ok := ri.Invocation().(rpcinfo.InvocationSetter); ok {
				setter.SetBizStatusErr(biz)
				return nil
			}
		}
		return biz
	}
}

// FromKitex converts a client-side error back. A business-status error becomes its code's
// sentinel with its detail (an unknown code, its kind's); a transport failure becomes
// system.unavailable, wrapping the original for the log.
func FromKitex(err error) error {
	if err == nil {
		return nil
	}
	if be, ok := kerrors.FromBizStatusError(err); ok {
		code, detail := be.BizExtra()["code"], be.BizExtra()["detail"]
		sentinel, ok := errkind.Lookup(code)
		if !ok {
			if code == "" {
				return errkind.ErrInternal
			}
			sentinel = errkind.Remote(errkind.Kind(be.BizStatusCode()-1), code, detail)
		}
		var fields []errkind.FieldError
		if f := be.BizExtra()["fields"]; f != "" && json.Unmarshal([]byte(f), &fields) == nil && len(fields) > 0 {
			return errkind.WithFields(sentinel, detail, fields)
		}
		if detail == "" || detail == sentinel.Public() {
			return sentinel
		}
		return errkind.WithMessage(sentinel, detail)
	}
	return errors.Join(errkind.ErrUnavailable, err)
}

// Client is the client option that makes every call of a client return its error converted
// (FromKitex): the one place where errors of the trade service's calls become the platform's, so
// that callers (the gateway's handlers, tools) use errors.Is and errkind on what a call returns
// and never convert it again. Kitex's own accounting (retries, tracing, metrics) still sees the
// original error.
func Client() client.Option {
	return client.WithFallback(fallback.NewFallbackPolicy(func(_ context.Context, _ utils.KitexArgs, _ utils.KitexResult, err error) error {
		return FromKitex(err)
	}))
}
