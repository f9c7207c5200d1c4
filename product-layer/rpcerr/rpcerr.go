// Package rpcerr carries Atrium's stable error codes across Kitex. A business failure becomes a
// Kitex business-status error (TTHeader transports it without turning it into a transport
// failure): the status code is the error kind, extra["code"] the stable code and
// extra["detail"] the public message. The client side turns it back into the same sentinel, so
// errors.Is works on both sides of the wire. Anything else is logged where it happened and crosses
// as system.internal, with no message: a SQL error never reaches a client.
package rpcerr

import (
	"context"
	"errors"
	"log/slog"

	"github.com/cloudwego/kitex/pkg/kerrors"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/components/dal"
)

// ToKitex converts a handler error for the wire.
func ToKitex(ctx context.Context, log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	base, public := errkind.Describe(err)
	if base == errkind.ErrInternal {
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, dal.ErrContention):
			base, public = errkind.ErrUnavailable, errkind.ErrUnavailable.Public()
		case dal.IsTooLarge(err):
			// A capability let through a value its column cannot hold: the client's input is
			// refused (the transaction rolled back), and the log says which bound is missing.
			log.WarnContext(ctx, "a value did not fit its column", "method", method, "err", err)
			base, public = dal.ErrValueTooLarge, dal.ErrValueTooLarge.Public()
		default:
			log.ErrorContext(ctx, "rpc handler failed", "method", method, "err", err)
		}
	}
	return kerrors.NewBizStatusErrorWithExtra(int32(base.Kind())+1, public, map[string]string{"code": base.Code(), "detail": public})
}

// FromKitex converts a client-side error back. A business-status error with a known code
// becomes that code's sentinel with its detail; a transport failure becomes system.unavailable,
// wrapping the original for the log.
func FromKitex(err error) error {
	if err == nil {
		return nil
	}
	if be, ok := kerrors.FromBizStatusError(err); ok {
		code := be.BizExtra()["code"]
		if sentinel, ok := errkind.Lookup(code); ok {
			detail := be.BizExtra()["detail"]
			if detail == "" || detail == sentinel.Public() {
				return sentinel
			}
			return errkind.WithDetail(sentinel, "%s", detail)
		}
		return errkind.ErrInternal
	}
	return errors.Join(errkind.ErrUnavailable, err)
}
