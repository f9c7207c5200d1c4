package limits_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/limits"
)

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func TestValidateAndPeriods(t *testing.T) {
	bad := []limits.Rule{
		{ID: "r", Name: "r", Kind: "mystery", Max: 1},
		{ID: "r", Name: "r", Kind: limits.PerUser, Max: 1},
		{ID: "r", Name: "r", Kind: limits.PerUser, Period: limits.Day, Max: 0},
		{ID: "r", Name: "r", Kind: limits.PerOrder, Period: limits.Day, Max: 1},
		{ID: "r", Name: "r", Kind: limits.PerUser, Period: limits.Week, Unit: "kg", Max: 1},
		{ID: "r", Name: "r", Kind: limits.PerUser, Period: limits.Day, Max: 1, Timezone: "Mars/Olympus"},
		{ID: "r r", Name: "r", Kind: limits.PerOrder, Max: 1},
		{ID: "r", Name: "", Kind: limits.PerOrder, Max: 1},
		{ID: "r", Name: "r", Kind: limits.PerOrder, Max: 1, SKUs: []string{strings.Repeat("s", 70000)}},
		{ID: "r", Name: "r", Kind: limits.PerOrder, Max: 1, Categories: []string{strings.Repeat("c", 65)}},
		{ID: "r", Name: "r", Kind: limits.PerOrder, Max: 1, SKUs: []string{""}},
		{ID: "r", Name: "r", Kind: limits.PerOrder, Max: 1, Categories: []string{"\xff"}},
		{ID: "r", Name: "r", Kind: limits.PerOrder, Max: 1, SKUs: names("s", 150), Categories: names("c", 51)},
	}
	edge := limits.Rule{ID: "r", Name: "r", Kind: limits.PerOrder, Max: 1,
		SKUs: append(names("s", 149), strings.Repeat("s", limits.MaxEntryLen)), Categories: names("c", 50)}
	if err := edge.Validate(); err != nil {
		t.Errorf("a %d-character entry is allowed: %v", limits.MaxEntryLen, err)
	}
	for i, r := range bad {
		if err := r.Validate(); !errors.Is(err, limits.ErrInvalidRule) {
			t.Errorf("case %d: got %v; want %v", i, err, limits.ErrInvalidRule)
		}
	}
	first := limits.Rule{ID: "new", Name: "New buyers", Kind: limits.FirstOrder}
	if err := first.Validate(); err != nil || first.Max != 1 || first.Period != limits.Lifetime {
		t.Fatalf("first order defaults: %+v, %v", first, err)
	}
	// 2026-11-21 23:30 UTC is already the 22nd in Shanghai; both days are in ISO week 47.
	at := time.Date(2026, 11, 21, 23, 30, 0, 0, time.UTC)
	day := limits.Rule{ID: "d", Name: "d", Kind: limits.PerUser, Period: limits.Day, Max: 1, Timezone: "Asia/Shanghai"}
	if err := day.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := day.PeriodKey(at); got != "d:2026-11-22" {
		t.Errorf("day key %s; want d:2026-11-22", got)
	}
	week := day
	week.Period = limits.Week
	if got := week.PeriodKey(at); got != "w:2026-47" {
		t.Errorf("week key %s; want w:2026-47", got)
	}
	if a, b := limits.AddressKey("CN", "Zhejiang", "Hangzhou", "Xihu", "1 Wensan  Rd", "138"), limits.AddressKey("cn", "zhejiang", "Hangzhou", "Xihu", "1 wensan rd", "138"); a != b {
		t.Errorf("address keys differ by spacing and case: %s %s", a, b)
	}
}
