package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
)

// TestAuditCommand: on a database with nothing wrong, atrium audit prints its checks and exits
// 0; with stock that does not add up it prints the finding and exits 1, and an incremental run
// after it still has it open; a --since it cannot read is refused.
func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := atrium(t, "audit", "--data-dir", dir, "--full")
	if err != nil || !strings.Contains(out, "0 findings open") {
		t.Fatalf("an empty database: %q %v", out, err)
	}
	cfg := platform.Defaults()
	cfg.DB.DataDir = dir
	db, err := dal.Open(context.Background(), cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Primary().Exec(`INSERT INTO inventory_levels (tenant, sku_id, warehouse_id, on_hand, available, reserved, sold, updated_at)
		VALUES ('acme', 'tea', 'wh1', 10, 9, 0, 0, 0)`) // a unit on hand that is nowhere
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err = atrium(t, "audit", "--data-dir", dir, "--full") // stock nobody ordered is in no window
	var e exitError
	if !errors.As(err, &e) || e.code != 1 || !strings.Contains(out, "stock.unbalanced") || !strings.Contains(out, "tea/wh1") ||
		!strings.Contains(out, "1 findings open") {
		t.Fatalf("a finding: %q %v", out, err)
	}
	if out, err := atrium(t, "audit", "--data-dir", dir, "--tenant", "acme"); !errors.As(err, &e) || e.code != 1 || !strings.Contains(out, "tea/wh1") {
		t.Fatalf("the next incremental run: %q %v", out, err)
	}
	if _, err := atrium(t, "audit", "--data-dir", dir, "--since", "yesterday"); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Fatalf("--since yesterday: %v", err)
	}
}
