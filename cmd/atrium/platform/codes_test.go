package platform_test

import (
	"testing"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// TestEveryCodeIsInTheTable: every stable code declared anywhere in the binary (every flow the
// platform registers included) has one row in the gateway's table, every row names a declared
// code, errcodes are unique and statuses are errors. It lives here because only the composition
// root links every package that declares codes.
func TestEveryCodeIsInTheTable(t *testing.T) {
	table := gateway.ErrorTable()
	rows := map[string]bool{}
	for _, row := range table {
		rows[row.Code] = true
	}
	declared := map[string]bool{}
	for _, e := range errkind.All() {
		declared[e.Code()] = true
		if !rows[e.Code()] {
			t.Errorf("code %s is declared but has no row in the gateway's error table", e.Code())
		}
	}
	errcodes := map[int]string{}
	for _, row := range table {
		if !declared[row.Code] {
			t.Errorf("error table row %s names no declared code", row.Code)
		}
		if prev, dup := errcodes[row.Errcode]; dup {
			t.Errorf("errcode %d used by %s and %s", row.Errcode, prev, row.Code)
		}
		errcodes[row.Errcode] = row.Code
		if row.Status < 400 || row.Status > 599 {
			t.Errorf("%s: status %d is not an error", row.Code, row.Status)
		}
	}
	if len(table) < 100 {
		t.Fatalf("the table has %d rows; the platform declares more codes", len(table))
	}
}
