package chaos

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

// TestScheduleIsTheSeeds: a seed gives the same schedule every time, another seed another one;
// faults never overlap, stay inside the trading, and every kind comes before any comes twice.
func TestScheduleIsTheSeeds(t *testing.T) {
	cp := func(seed uint64) *campaign {
		return &campaign{o: Options{Seed: seed, Duration: 3 * time.Minute, DB: dal.Config{Driver: "sqlite"}}, trades: []*proc{{}, {}}}
	}
	a, b := cp(42).schedule(), cp(42).schedule()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("seed 42 gave two schedules:\n%v\n%v", a, b)
	}
	if reflect.DeepEqual(a, cp(43).schedule()) {
		t.Fatal("seeds 42 and 43 gave the same schedule")
	}
	kinds := cp(42).kinds()
	if len(a) < len(kinds) {
		t.Fatalf("%d faults in 3 minutes; want at least one of each of %d kinds", len(a), len(kinds))
	}
	seen := map[string]bool{}
	for i, f := range a {
		if i < len(kinds) {
			if seen[f.kind] {
				t.Fatalf("%s came twice in the first round: %v", f.kind, a[:len(kinds)])
			}
			seen[f.kind] = true
		}
		if f.at < 5*time.Second || f.at >= 3*time.Minute-10*time.Second {
			t.Fatalf("fault %d at %s: outside the trading", i, f.at)
		}
		if i > 0 && a[i-1].at+a[i-1].lasts >= f.at {
			t.Fatalf("faults %d and %d overlap: %v, %v", i-1, i, a[i-1], f)
		}
		if f.target < 0 || f.target >= 2 {
			t.Fatalf("fault %d targets node %d of 2", i, f.target)
		}
	}
}

// TestLedgerCatchesAKeyAnsweringTwoThings: the same key answering the same id again is fine; a
// key answering another id is a violation.
func TestLedgerCatchesAKeyAnsweringTwoThings(t *testing.T) {
	l := newLedger()
	l.answered("k1", "T1")
	l.answered("k1", "T1")
	l.answered("k2", "T2")
	if n := l.violationCount(); n != 0 {
		t.Fatalf("%d violations: %v", n, l.problems)
	}
	l.answered("k1", "T3")
	if n := l.violationCount(); n != 1 {
		t.Fatalf("%d violations; want 1: %v", n, l.problems)
	}
	l.trade("T1", []string{"O1", "O2"})
	l.trade("T1", []string{"O1"})
	if n := l.violationCount(); n != 2 {
		t.Fatalf("a trade acknowledged with other orders: %d violations; want 2", n)
	}
}

func TestMinor(t *testing.T) {
	for in, want := range map[any]int64{"12.30": 1230, "0.05": 5, "7": 700, "128.00": 12800, "x": -1, nil: -1} {
		if got := minor(in); got != want {
			t.Errorf("minor(%v) = %d; want %d", in, got, want)
		}
	}
}

// TestAnAnswerOf500IsAViolation: a 500 is counted as a violation whatever the fault; refusals
// are tallied by code.
func TestAnAnswerOf500IsAViolation(t *testing.T) {
	tl := newTally()
	tl.op("place", answer{status: 201})
	tl.op("place", answer{status: 409, body: map[string]any{"code": "limits.exceeded"}})
	tl.op("place", answer{status: 500, raw: "boom"})
	if ops, _, v := tl.totals(); ops != 3 || v != 1 {
		t.Fatalf("ops %d, violations %d; want 3 and 1", ops, v)
	}
	if tl.ops["place"]["limits.exceeded"] != 1 || tl.ops["place"]["ok"] != 1 {
		t.Fatalf("outcomes: %v", tl.ops["place"])
	}
}

// TestCheckLogsFindsPanicsAndRaces: a node's log holding a panic, a fatal error or a race report
// is a violation; a log of SIGKILLs and restarts is not.
func TestCheckLogsFindsPanicsAndRaces(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) *proc {
		p := &proc{name: name, log: logPath(dir, name)}
		if err := os.WriteFile(p.log, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cp := &campaign{nodes: []*proc{
		write("calm", "=== chaos: start 1 of calm\nlevel=INFO msg=\"serving HTTP\"\n=== chaos: start 2 of calm\n"),
		write("raced", "level=INFO msg=ok\n==================\nWARNING: DATA RACE\nWrite at 0x00c000 by goroutine 7:\n"),
		write("panicked", "panic: runtime error: index out of range [3] with length 3\n"),
	}}
	inv := cp.checkLogs()
	if inv.Checked != 3 || len(inv.Violations) != 2 {
		t.Fatalf("%d logs checked, violations %v; want 3 and 2", inv.Checked, inv.Violations)
	}
}

// TestMiniProgramSpelling: a body goes to the mini-program in snake_case with money as *_fee
// minor units; its answers come back in the app's shape, an errcode as the status it stands for.
func TestMiniProgramSpelling(t *testing.T) {
	got := toMP(map[string]any{"groupBuyId": "gb", "amount": "105.00", "items": []any{map[string]any{"skuId": "tea", "quantity": 1}},
		"address": map[string]any{"postalCode": "310000"}})
	want := map[string]any{"group_buy_id": "gb", "amount_fee": int64(10500), "items": []any{map[string]any{"sku_id": "tea", "quantity": 1}},
		"address": map[string]any{"postal_code": "310000"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("toMP: %v; want %v", got, want)
	}
	a := answer{status: 200, body: map[string]any{"errcode": float64(0), "errmsg": "ok", "data": map[string]any{"trade_id": "T1",
		"orders": []any{map[string]any{"order_id": "O1", "total_fee": float64(1990)}}, "min_next_bid_fee": float64(10500)}}}
	fromMP(&a)
	if !a.ok() || a.data()["tradeId"] != "T1" || a.data()["minNextBid"] != "105.00" ||
		a.data()["orders"].([]any)[0].(map[string]any)["total"] != "19.90" {
		t.Fatalf("fromMP: %+v", a)
	}
	for errcode, want := range map[float64]struct {
		code    string
		certain bool
	}{50301: {"system.unavailable", false}, 45007: {"payment.provider_unavailable", false}, 45008: {"payment.already_settled", true},
		48003: {"limits.exceeded", true}, 12345: {"mp.12345", false}} {
		a := answer{status: 200, body: map[string]any{"errcode": errcode, "errmsg": "x"}}
		fromMP(&a)
		if a.ok() || a.certain() != want.certain || a.code() != want.code {
			t.Fatalf("errcode %v: %+v (certain %v); want %s, certain %v", errcode, a, a.certain(), want.code, want.certain)
		}
	}
}
