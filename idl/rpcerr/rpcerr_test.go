package rpcerr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cloudwego/kitex/pkg/kerrors"

	"github.com/atriumtrade/atrium/idl/rpcerr"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

var errSomethingNew = errors.New("not declared anywhere")

// TestErrorsCrossTheWire: a business error keeps its code and detail across the wire, and
// errors.Is works on the far side; anything else crosses as system.internal with no message.
func TestErrorsCrossTheWire(t *testing.T) {
	for _, tc := range []struct {
		err          error
		code, detail string
	}{
		{errkind.WithDetail(errkind.ErrInvalid, "name must be 1-80 characters"), "request.invalid", "name must be 1-80 characters"},
		{fmt.Errorf("wrapped: %w", errkind.ErrForbidden), "auth.forbidden", errkind.ErrForbidden.Public()},
		{fmt.Errorf("sql: Table 'test.orders' doesn't exist"), "system.internal", errkind.ErrInternal.Public()},
	} {
		back := rpcerr.FromKitex(rpcerr.ToKitex(tc.err))
		base, detail := errkind.Describe(back)
		if base.Code() != tc.code || detail != tc.detail {
			t.Errorf("%v crossed as %s %q; want %s %q", tc.err, base.Code(), detail, tc.code, tc.detail)
		}
	}
	if !errors.Is(rpcerr.FromKitex(rpcerr.ToKitex(errkind.WithDetail(errkind.ErrForbidden, "x"))), errkind.ErrForbidden) {
		t.Error("errors.Is does not hold across the wire")
	}
	fields := []errkind.FieldError{{Field: "address.district", Code: "not_in_parent", Message: "浦东新区 is not in 杭州市"}}
	back := rpcerr.FromKitex(rpcerr.ToKitex(errkind.WithFields(errkind.ErrInvalid, "address.district: 浦东新区 is not in 杭州市", fields)))
	if got := errkind.Fields(back); !errors.Is(back, errkind.ErrInvalid) || len(got) != 1 || got[0] != fields[0] {
		t.Errorf("the fields at fault crossed as %v %+v", back, got)
	}
	if rpcerr.ToKitex(nil) != nil || rpcerr.FromKitex(nil) != nil {
		t.Error("nil is not nil across the wire")
	}
	if err := rpcerr.FromKitex(errors.New("connection refused")); !errors.Is(err, errkind.ErrUnavailable) {
		t.Errorf("a transport failure: %v; want unavailable", err)
	}
}

// TestAnUnknownCodeKeepsItsCodeAndKind: a code this binary never declared (one a newer trade
// node sends) comes back as that code with its kind, so an access node one version behind
// answers it with the right status instead of a 500.
func TestAnUnknownCodeKeepsItsCodeAndKind(t *testing.T) {
	wire := kerrors.NewBizStatusErrorWithExtra(int32(errkind.Conflict)+1, "the balance window has closed",
		map[string]string{"code": "presale.balance_window_closed", "detail": "the balance window has closed"})
	base, detail := errkind.Describe(rpcerr.FromKitex(wire))
	if base.Code() != "presale.balance_window_closed" || base.Kind() != errkind.Conflict || detail != "the balance window has closed" {
		t.Fatalf("got %s (%s) %q", base.Code(), base.Kind(), detail)
	}
	if _, registered := errkind.Lookup("presale.balance_window_closed"); registered {
		t.Fatal("a code from the wire was registered in this binary")
	}
	odd := kerrors.NewBizStatusErrorWithExtra(99, "?", map[string]string{"code": "x.y"})
	if base, _ := errkind.Describe(rpcerr.FromKitex(odd)); base.Kind() != errkind.Internal {
		t.Fatalf("a kind this binary does not know: %s", base.Kind())
	}
}

// TestServerClassifiesAndLogs: the server's error handler lets the server classify what it
// knows (here, a made-up infrastructure error becomes unavailable), logs what is still internal
// with its cause, and leaves business errors as they are.
func TestServerClassifiesAndLogs(t *testing.T) {
	var logged bytes.Buffer
	h := rpcerr.Server(slog.New(slog.NewTextHandler(&logged, nil)), func(err error) error {
		if errors.Is(err, errSomethingNew) {
			return errors.Join(errkind.ErrUnavailable, err)
		}
		return err
	})
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		code string
	}{
		{errSomethingNew, "system.unavailable"},
		{errors.New("disk on fire"), "system.internal"},
		{errkind.ErrForbidden, "auth.forbidden"},
	} {
		base, _ := errkind.Describe(rpcerr.FromKitex(h(ctx, tc.err)))
		if base.Code() != tc.code {
			t.Errorf("%v: %s; want %s", tc.err, base.Code(), tc.code)
		}
	}
	if !strings.Contains(logged.String(), "disk on fire") || strings.Contains(logged.String(), "forbidden") {
		t.Errorf("the log:\n%s", logged.String())
	}
	if h(ctx, nil) != nil {
		t.Error("no error became one")
	}
}
