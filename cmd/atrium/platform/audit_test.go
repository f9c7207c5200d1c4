package platform_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

// auditFindings runs the auditor over everything on cfg's database and returns its findings
// (the crash tests add them to their own ledger checks: after the kills and restarts, the books
// of every flow must be clean to it too).
func auditFindings(t *testing.T, cfg dal.Config) []string {
	t.Helper()
	db := openDB(t, cfg)
	defer db.Close()
	c := platform.Defaults()
	c.DB = cfg
	rep, err := platform.NewAuditor(c, db, slog.New(slog.NewTextHandler(io.Discard, nil))).Run(context.Background(), audit.Options{Full: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	read := 0
	for _, ch := range rep.Checks {
		if ch.Err != nil {
			t.Fatalf("audit check %s: %v", ch.Name, ch.Err)
		}
		if ch.Name == "money.trades" {
			read += ch.Rows
		}
	}
	if read == 0 {
		t.Fatal("the auditor read no trades: it checked nothing")
	}
	for _, f := range rep.Findings {
		out = append(out, fmt.Sprintf("audit: %s %s: %s", f.Kind, f.Subject, f.Detail))
	}
	return out
}
