package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// TestClassify: what the trade server knows of its infrastructure becomes a business failure
// before it crosses the wire: a caller that gave up or a contended database is unavailable, a
// value too large for its column is the client's input refused (and logged), anything else
// stays internal.
func TestClassify(t *testing.T) {
	var logged bytes.Buffer
	c := classify(slog.New(slog.NewTextHandler(&logged, nil)))
	for _, tc := range []struct {
		err  error
		want *errkind.Error
	}{
		{fmt.Errorf("x: %w", context.DeadlineExceeded), errkind.ErrUnavailable},
		{fmt.Errorf("x: %w", context.Canceled), errkind.ErrUnavailable},
		{fmt.Errorf("x: %w", dal.ErrContention), errkind.ErrUnavailable},
		{fmt.Errorf("limits: put: %w", &mysql.MySQLError{Number: 1406, Message: "Data too long for column 'body'"}), dal.ErrValueTooLarge},
		{fmt.Errorf("x: %w", &mysql.MySQLError{Number: 1146, Message: "Table doesn't exist"}), errkind.ErrInternal},
		{errors.New("disk on fire"), errkind.ErrInternal},
	} {
		if base, _ := errkind.Describe(c(tc.err)); base != tc.want {
			t.Errorf("%v: %s; want %s", tc.err, base.Code(), tc.want.Code())
		}
	}
	if !strings.Contains(logged.String(), "did not fit its column") {
		t.Errorf("the log:\n%s", logged.String())
	}
}
