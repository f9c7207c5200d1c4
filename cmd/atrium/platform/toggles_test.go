package platform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/components/toggles/apollotest"
)

// TestTogglesReachTheRunningServer: a change to the toggles file reaches the running stack
// without a restart: COD switched off for one tenant and not another, a shorter unpaid window for
// new trades; a bad value is rejected and counted and the last good one stays; GET
// /admin/v1/toggles shows each value and where it came from.
func TestTogglesReachTheRunningServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toggles.yaml")
	publish := func(values map[string]string) {
		t.Helper()
		var b strings.Builder
		for k, v := range values {
			fmt.Fprintf(&b, "%s: %q\n", k, v) // a dotted key at the top level is the nested key
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) {
		c.Toggles.File, c.Toggles.Poll = path, 50*time.Millisecond
	})
	togglesReach(t, s, "file", publish)
}

// TestApolloTogglesReachTheRunningServer is the same through Apollo: releases on an in-process
// Apollo reach both roles of the running stack through agollo's long poll, and the view shows
// each value's release key.
func TestApolloTogglesReachTheRunningServer(t *testing.T) {
	apollo := apollotest.New("atrium-trade", "default", "")
	apollo.Hold = 5 * time.Second
	apollo.Publish("application", map[string]string{})
	url, err := apollo.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(apollo.Stop)
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) {
		c.Toggles.Source = "apollo"
		c.Apollo = toggles.ApolloConfig{Server: url, AppID: "atrium-trade"}
	})
	togglesReach(t, s, "apollo", func(values map[string]string) {
		key := apollo.Publish("application", values)
		admin := s.token("acme", "ops", "", "admin")
		eventually(t, 5*time.Second, "release "+key+" on the admin view", func() bool {
			for _, e := range must(t, s.do("GET", "/admin/v1/toggles", admin, nil), 200, "toggles").data()["toggles"].([]any) {
				if e := e.(map[string]any); e["source"] == "apollo" && strings.HasSuffix(str(e["release"]), key) {
					return true
				}
			}
			return len(values) == 0
		})
	})
}

func togglesReach(t *testing.T, s *stack, source string, publish func(map[string]string)) {
	quoteCOD := func(tenant string) string {
		t.Helper()
		buyer := s.token(tenant, "u1", "app", "buyer")
		q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"flow": "cod", "items": []any{item("tea", 1)},
			"destination": map[string]any{"province": "Zhejiang", "city": "Hangzhou"}}), 200, "quote").data()
		c := q["cod"].(map[string]any)
		if c["available"] == true {
			return "available"
		}
		return str(c["reason"])
	}
	for _, tenant := range []string{"acme", "globex"} {
		admin := s.token(tenant, "ops", "", "admin")
		s.seed(admin, "tea", "s1", 1990, 1000) // orders go through until the flow rule below reaches the node
		must(t, s.do("PUT", "/admin/v1/cod-rules", admin, map[string]any{"enabled": true, "currency": "CNY"}), 200, "cod rules")
	}
	if quoteCOD("acme") != "available" || quoteCOD("globex") != "available" {
		t.Fatal("COD before any toggle")
	}
	publish(map[string]string{"tenants.acme.cod.enabled": "false", "trade.unpaidWindow": "2m"})
	eventually(t, 5*time.Second, "COD off for acme", func() bool { return quoteCOD("acme") == "cod.disabled" })
	if quoteCOD("globex") != "available" {
		t.Fatal("COD went off for another tenant")
	}
	buyer := s.token("globex", "u2", "app", "buyer")
	tr := must(t, s.do("POST", "/app/v1/orders", buyer, map[string]any{"items": []any{item("tea", 1)}, "address": address}), 201, "place").data()
	created, _ := time.Parse(time.RFC3339Nano, str(tr["createdAt"]))
	deadline, _ := time.Parse(time.RFC3339Nano, str(tr["payDeadline"]))
	if d := deadline.Sub(created); d != 2*time.Minute {
		t.Fatalf("a new trade's unpaid window is %s; want the toggle's 2m", d)
	}

	admin := s.token("acme", "ops", "", "admin")
	// Each role applies a file once it has settled: wait until the access role's view has it too,
	// or the next file may be the first it reads (its last good window would be the default).
	eventually(t, 5*time.Second, "the window on the access role", func() bool {
		for _, e := range must(t, s.do("GET", "/admin/v1/toggles", admin, nil), 200, "toggles").data()["toggles"].([]any) {
			if e := e.(map[string]any); e["key"] == "trade.unpaidWindow" {
				return e["value"] == "2m"
			}
		}
		return false
	})
	publish(map[string]string{"tenants.acme.cod.enabled": "false", "trade.unpaidWindow": "soon", "cache.ttl": "0s", "extensions.instructions": "500000"})
	var view map[string]any
	eventually(t, 5*time.Second, "the bad value counted", func() bool {
		view = must(t, s.do("GET", "/admin/v1/toggles", admin, nil), 200, "toggles").data()
		return view["rejected"] != float64(0)
	})
	got := map[string]map[string]any{}
	for _, e := range view["toggles"].([]any) {
		e := e.(map[string]any)
		got[str(e["key"])] = e
	}
	if w := got["trade.unpaidWindow"]; w["value"] != "2m" || w["source"] != source || w["default"] != "30m0s" {
		t.Fatalf("the window after a bad value: %v", w)
	}
	if c := got["tenants.acme.cod.enabled"]; c["value"] != "false" || c["source"] != source {
		t.Fatalf("acme's override: %v", c)
	}
	if c := got["cod.enabled"]; c["value"] != "true" || c["source"] != "default" {
		t.Fatalf("cod.enabled: %v", c)
	}
	for key, want := range map[string]string{"cache.ttl": "0s", "extensions.instructions": "500000"} {
		if e := got[key]; e["value"] != want || e["source"] != source {
			t.Fatalf("%s: %v", key, e)
		}
	}
	if e := got["extensions.wall"]; e["source"] != "default" || e["value"] != testWall.String() {
		t.Fatalf("extensions.wall: %v", e)
	}
	// Another tenant's operator sees the platform's keys, not acme's own switches.
	for _, e := range must(t, s.do("GET", "/admin/v1/toggles", s.token("globex", "ops", "", "admin"), nil), 200, "globex").data()["toggles"].([]any) {
		if key := str(e.(map[string]any)["key"]); strings.HasPrefix(key, "tenants.") {
			t.Fatalf("globex's operator sees %s", key)
		}
	}
	if r := s.do("GET", "/admin/v1/toggles", s.token("acme", "u1", "app", "buyer"), nil); r.status != 403 {
		t.Errorf("a buyer reads the toggles: %d %s", r.status, r.raw)
	}
	if r := s.do("GET", "/metrics", "", nil); !strings.Contains(r.raw, "\natrium_toggle_rejected_total ") {
		t.Error("atrium_toggle_rejected_total is not exported")
	}
	publish(map[string]string{"trade.unpaidWindow": "10m"})
	eventually(t, 5*time.Second, "COD back for acme", func() bool { return quoteCOD("acme") == "available" })

	// A Sentinel flow rule starts answering 429 on POST /app/v1/orders, and lifting it lets orders in.
	order := map[string]any{"items": []any{item("tea", 1)}, "address": address}
	publish(map[string]string{"sentinel.flowRules": `[{"resource":"POST /app/v1/orders","threshold":0,"statIntervalInMs":1000}]`})
	n := 0
	eventually(t, 5*time.Second, "429 on POST /app/v1/orders", func() bool {
		n++
		return s.do("POST", "/app/v1/orders", buyer, order, "Idempotency-Key", fmt.Sprint("flow-", n)).status == 429
	})
	publish(map[string]string{"sentinel.flowRules": `[]`})
	eventually(t, 5*time.Second, "orders after the rule is lifted", func() bool {
		n++
		return s.do("POST", "/app/v1/orders", buyer, order, "Idempotency-Key", fmt.Sprint("flow-", n)).status == 201
	})
}

// TestShippedTogglesExamplesApply: every commented example in configs/toggles.yaml, uncommented,
// is accepted by a running server (no value rejected) and shows as set from the file.
func TestShippedTogglesExamplesApply(t *testing.T) {
	b, err := os.ReadFile("../../../configs/toggles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`^# ([a-zA-Z.]+:|\s{2,})`)
	var out strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if example.MatchString(line) {
			line = strings.TrimPrefix(line, "# ")
		}
		out.WriteString(line + "\n")
	}
	path := filepath.Join(t.TempDir(), "toggles.yaml")
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) { c.Toggles.File = path })
	view := must(t, s.do("GET", "/admin/v1/toggles", s.token("acme", "ops", "", "admin"), nil), 200, "toggles").data()
	if view["rejected"] != float64(0) {
		t.Fatalf("the shipped examples were rejected (see the log):\n%s", out.String())
	}
	fromFile := map[string]bool{}
	for _, e := range view["toggles"].([]any) {
		if e := e.(map[string]any); e["source"] == "file" {
			fromFile[str(e["key"])] = true
		}
	}
	for _, key := range []string{"trade.unpaidWindow", "cod.enabled", "cache.ttl", "extensions.wall", "extensions.instructions",
		"tenants.acme.cod.enabled", "sentinel.flowRules", "sentinel.hotParamRules", "sentinel.circuitBreakerRules", "sentinel.systemRules"} {
		if !fromFile[key] {
			t.Errorf("%s has no example in configs/toggles.yaml", key)
		}
	}
}
