package rpcerr_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/rpcerr"
)

// TestErrorsCrossTheWire: a business error keeps its code and detail; a database error is
// internal and shows nothing of itself, except a value too large for its column, which is the
// client's input refused; contention and deadlines are unavailable.
func TestErrorsCrossTheWire(t *testing.T) {
	ctx := context.Background()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	tooLong := fmt.Errorf("limits: put rule: %w", &mysql.MySQLError{Number: 1406, Message: "Data too long for column 'body' at row 1"})
	for _, tc := range []struct {
		err          error
		code, detail string
	}{
		{errkind.WithDetail(errkind.ErrInvalid, "name must be 1-80 characters"), "request.invalid", "name must be 1-80 characters"},
		{tooLong, "request.value_too_large", dal.ErrValueTooLarge.Public()},
		{fmt.Errorf("x: %w", &mysql.MySQLError{Number: 1146, Message: "Table 'test.orders' doesn't exist"}), "system.internal", errkind.ErrInternal.Public()},
		{fmt.Errorf("x: %w", dal.ErrContention), "system.unavailable", errkind.ErrUnavailable.Public()},
		{context.DeadlineExceeded, "system.unavailable", errkind.ErrUnavailable.Public()},
	} {
		back := rpcerr.FromKitex(rpcerr.ToKitex(ctx, log, "Test", tc.err))
		base, detail := errkind.Describe(back)
		if base.Code() != tc.code || detail != tc.detail {
			t.Errorf("%v crossed as %s %q; want %s %q", tc.err, base.Code(), detail, tc.code, tc.detail)
		}
		if strings.Contains(detail, "column") || strings.Contains(detail, "Table") {
			t.Errorf("%v: the client sees SQL: %q", tc.err, detail)
		}
	}
	if !errors.Is(rpcerr.FromKitex(rpcerr.ToKitex(ctx, log, "Test", tooLong)), dal.ErrValueTooLarge) {
		t.Error("a too-large value is not dal.ErrValueTooLarge on the client side")
	}
	if !strings.Contains(logged.String(), "did not fit its column") || !strings.Contains(logged.String(), "doesn't exist") {
		t.Errorf("the server's log lacks the causes:\n%s", logged.String())
	}
}
