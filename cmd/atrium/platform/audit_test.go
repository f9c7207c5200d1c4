package platform_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

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
	rep, err := platform.NewAuditor(c, db, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil))).Run(context.Background(), audit.Options{Full: true})
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

// TestScheduledAudit: the trade role audits the books on its timer; a finding shows on
// GET /admin/v1/audit (the caller's tenant, filtered by kind) and in atrium_audit_findings, and
// closes at the next run after the repair. Buyers cannot read it.
func TestScheduledAudit(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		clk := &clock{t: time.Now()}
		s := start(t, db, clk)
		admin, buyer := s.token("acme", "ops", "", "admin"), s.token("acme", "u1", "app", "buyer")
		s.seed(admin, "tea", "s1", 1000, 10)
		tr := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 2)), "Idempotency-Key", "a1"), 201, "place").data()
		s.payTrade(t, admin, buyer, str(tr["tradeId"]))
		if r := must(t, s.do("GET", "/admin/v1/audit", admin, nil), 200, "before any run").data(); r["auditedAt"] != "" || len(r["findings"].([]any)) != 0 {
			t.Fatalf("before any run: %v", r)
		}
		if r := s.do("GET", "/admin/v1/audit", buyer, nil); r.status != 403 {
			t.Fatalf("a buyer reads the audit: %d %s", r.status, r.raw)
		}
		conn := openDB(t, db)
		defer conn.Close()
		if _, err := conn.Primary().Exec(`UPDATE inventory_levels SET available = available + 1 WHERE tenant = 'acme' AND sku_id = 'tea'`); err != nil {
			t.Fatal(err)
		}
		clk.Advance(61 * time.Second)
		var found map[string]any
		eventually(t, 15*time.Second, "the scheduled run found the stock", func() bool {
			found = must(t, s.do("GET", "/admin/v1/audit", admin, nil), 200, "audit").data()
			return len(found["findings"].([]any)) > 0 && found["auditedAt"] != "" // the run ended
		})
		f := found["findings"].([]any)[0].(map[string]any)
		if len(found["findings"].([]any)) != 1 || f["kind"] != "stock.unbalanced" || !strings.HasPrefix(str(f["subject"]), "tea/") ||
			f["check"] != "stock.levels" || found["auditedAt"] == "" || found["byKind"].(map[string]any)["stock.unbalanced"] != float64(1) {
			t.Fatalf("the finding: %v", found)
		}
		if r := must(t, s.do("GET", "/admin/v1/audit?kind=money", admin, nil), 200, "money only").data(); len(r["findings"].([]any)) != 0 {
			t.Fatalf("?kind=money: %v", r)
		}
		if r := must(t, s.do("GET", "/admin/v1/audit?kind=stock", admin, nil), 200, "stock only").data(); len(r["findings"].([]any)) != 1 {
			t.Fatalf("?kind=stock: %v", r)
		}
		other := s.token("globex", "ops", "", "admin")
		if r := must(t, s.do("GET", "/admin/v1/audit", other, nil), 200, "another tenant").data(); len(r["findings"].([]any)) != 0 {
			t.Fatalf("another tenant sees acme's findings: %v", r)
		}
		eventually(t, 15*time.Second, "the metric", func() bool {
			return strings.Contains(s.do("GET", "/metrics", "", nil).raw, `atrium_audit_findings{kind="stock.unbalanced"} 1`)
		})
		if _, err := conn.Primary().Exec(`UPDATE inventory_levels SET available = available - 1 WHERE tenant = 'acme' AND sku_id = 'tea'`); err != nil {
			t.Fatal(err)
		}
		clk.Advance(61 * time.Second)
		eventually(t, 15*time.Second, "the next run closed it", func() bool {
			return len(must(t, s.do("GET", "/admin/v1/audit", admin, nil), 200, "audit").data()["findings"].([]any)) == 0
		})
		eventually(t, 15*time.Second, "the metric back at 0", func() bool {
			return strings.Contains(s.do("GET", "/metrics", "", nil).raw, `atrium_audit_findings{kind="stock.unbalanced"} 0`)
		})
	})
}
