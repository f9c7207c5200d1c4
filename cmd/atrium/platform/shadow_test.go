package platform_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
)

// pricingScript is a pricing.unit_price script that pays the price given, plus extra minor units
// on each unit of cup; body replaces the cup rule when set.
func pricingScript(extra int, body string) string {
	if body == "" {
		body = "if line.skuId == \"cup\" then price = price + " + str(extra) + " end"
	}
	return "-- point: pricing.unit_price\n" +
		"function run(input)\n" +
		"  local out = {}\n" +
		"  for i, line in ipairs(input.lines) do\n" +
		"    local price = line.price\n" +
		"    " + body + "\n" +
		"    out[i] = {skuId = line.skuId, unitPrice = price}\n" +
		"  end\n" +
		"  return {lines = out}\n" +
		"end\n"
}

// TestShadowReplay: ten orders priced by a published script; a candidate that raises prices by
// exactly 1.00 on the two orders holding a cup reports 2 changed and +2.00 in total, beside the
// version that ran, and changes nothing; a candidate that fails or runs over its budget on those
// orders reports them as errors (with the script's line) and budget hits; bad requests get clear
// errors.
func TestShadowReplay(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("demo", "ops", "", "admin")
		s.seed(admin, "tea", "s1", 1000, 100)
		s.seed(admin, "cup", "s1", 500, 100)
		buyer := s.token("demo", "u1", "app", "buyer")
		v1 := s.publish(admin, "prices", pricingScript(0, ""), "demo/*")
		s.loaded("pricing.unit_price", "demo", "prices")
		for i := range 10 {
			items := []map[string]any{item("tea", 1+i%3)}
			if i == 3 || i == 7 {
				items = append(items, item("cup", 1))
			}
			must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(items...), "Idempotency-Key", "shadow-"+str(i)), 201, "order")
		}
		upload := func(source string) string {
			t.Helper()
			v := must(t, s.do("POST", "/admin/v1/extensions/scripts/prices/versions", admin, map[string]any{"source": source}), 201, "upload").data()
			return str(v["version"])
		}
		shadow := func(version string, body map[string]any) reply {
			t.Helper()
			return s.do("POST", "/admin/v1/extensions/scripts/prices/versions/"+version+"/shadow", admin, body)
		}

		v2 := upload(pricingScript(100, ""))
		rep := must(t, shadow(v2, map[string]any{"scope": "demo/*", "point": "pricing.unit_price"}), 200, "shadow").data()
		if rep["calls"] != float64(10) || rep["changed"] != float64(2) || rep["errors"] != float64(0) || rep["money"] != true ||
			rep["moneyDelta"].(map[string]any)["CNY"] != float64(200) || rep["changedMoney"] != float64(2) {
			t.Fatalf("shadow of +1.00 on cups: %v; want 10 calls, 2 changed, +200 CNY", rep)
		}
		for _, c := range rep["changedCalls"].([]any) {
			c := c.(map[string]any)
			if c["moneyDelta"] != float64(100) || c["ranScriptId"] != "prices" || c["ranVersion"] != float64(v1) || c["tradeId"] == "" ||
				c["baseline"] == nil || c["candidate"] == nil {
				t.Errorf("a changed call: %v", c)
			}
		}
		if len(rep["slowest"].([]any)) == 0 {
			t.Errorf("no slowest calls in %v", rep)
		}
		if r := must(t, shadow(v2, map[string]any{"scope": "demo/*", "limit": 3}), 200, "limited").data(); r["calls"] != float64(3) {
			t.Errorf("limit 3 replayed %v calls", r["calls"])
		}
		if r := must(t, shadow(v2, map[string]any{"scope": "demo/*", "since": time.Now().Add(time.Hour).Format(time.RFC3339)}), 200, "since").data(); r["calls"] != float64(0) {
			t.Errorf("since an hour from now replayed %v calls", r["calls"])
		}
		// Shadowing changed nothing: buyers still pay what v1 says.
		if q := must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("cup", 1)}}), 200, "quote").data(); q["total"] != "5.00" {
			t.Errorf("after a shadow replay a cup costs %v; want 5.00", q["total"])
		}

		failing := upload(pricingScript(0, "if line.skuId == \"cup\" then error(\"no cups today\") end"))
		rep = must(t, shadow(failing, map[string]any{"scope": "demo/*"}), 200, "failing").data()
		if rep["errors"] != float64(2) || rep["changed"] != float64(0) || rep["budgetHits"] != float64(0) {
			t.Fatalf("shadow of a failing candidate: %v", rep)
		}
		if e := str(rep["failedCalls"].([]any)[0].(map[string]any)["error"]); !strings.Contains(e, "no cups today") || !strings.Contains(e, ":6") {
			t.Errorf("the failure %q should carry the script's message and line 6", e)
		}
		looping := upload(pricingScript(0, "if line.skuId == \"cup\" then while true do end end"))
		if rep = must(t, shadow(looping, map[string]any{"scope": "demo/*"}), 200, "looping").data(); rep["budgetHits"] != float64(2) || rep["errors"] != float64(2) {
			t.Fatalf("shadow of a looping candidate: %v", rep)
		}

		for _, bad := range []struct {
			version string
			body    map[string]any
			status  int
			code    string
		}{
			{v2, map[string]any{}, 400, "request.invalid"},
			{v2, map[string]any{"scope": "elsewhere/*"}, 400, "extensions.invalid_scope"},
			{v2, map[string]any{"scope": "demo/*", "point": "delivery.shipping_fee"}, 400, "extensions.invalid_script"},
			{v2, map[string]any{"scope": "demo/*", "limit": 20000}, 400, "request.invalid"},
			{v2, map[string]any{"scope": "demo/*", "since": "last week"}, 400, "request.invalid"},
			{"99", map[string]any{"scope": "demo/*"}, 404, "extensions.script_not_found"},
			{"zero", map[string]any{"scope": "demo/*"}, 400, "request.invalid"},
		} {
			if r := shadow(bad.version, bad.body); r.status != bad.status || r.body["code"] != bad.code {
				t.Errorf("shadow v%s %v: %d %s; want %d %s", bad.version, bad.body, r.status, r.raw, bad.status, bad.code)
			}
		}
		if r := s.do("POST", "/admin/v1/extensions/scripts/prices/versions/"+v2+"/shadow", s.token("rival", "ops", "", "admin"),
			map[string]any{"scope": "rival/*"}); r.status != 404 {
			t.Errorf("another tenant shadowing demo's script: %d %s", r.status, r.raw)
		}
	})
}

// TestShadowReplayOfAFirstScript: with default calls sampled (extensions.sampleDefault), a point
// that no script has served yet has calls to replay a first script on, beside what the Go default
// returned; a scope of a business line finds that line's calls only, and sampling changes no
// price.
func TestShadowReplayOfAFirstScript(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, db dal.Config) {
		path := filepath.Join(t.TempDir(), "toggles.yaml")
		if err := os.WriteFile(path, []byte("extensions.sampleDefault: \"10000\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s := startWith(t, db, &clock{t: time.Now()}, func(c *platform.Config) { c.Toggles.File = path })
		admin := s.token("demo", "ops", "", "admin")
		s.seed(admin, "tea", "s1", 1000, 100)
		s.seed(admin, "cup", "s1", 500, 100)
		buyer := s.token("demo", "u1", "app", "buyer")
		for i := range 4 {
			items := []map[string]any{item("tea", 1)}
			if i == 2 {
				items = append(items, item("cup", 2))
			}
			d := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(items...), "Idempotency-Key", "first-"+str(i)), 201, "order").data()
			if i == 2 && d["total"] != "20.00" {
				t.Fatalf("with sampling on, a tea and two cups cost %v; want 20.00", d["total"])
			}
		}
		v := must(t, s.do("POST", "/admin/v1/extensions/scripts/prices/versions", admin, map[string]any{"source": pricingScript(100, "")}), 201, "upload").data()
		shadow := func(scope string) map[string]any {
			t.Helper()
			return must(t, s.do("POST", "/admin/v1/extensions/scripts/prices/versions/"+str(v["version"])+"/shadow", admin,
				map[string]any{"scope": scope, "point": "pricing.unit_price"}), 200, "shadow "+scope).data()
		}
		rep := shadow("demo/*")
		if rep["calls"] != float64(4) || rep["changed"] != float64(1) || rep["moneyDelta"].(map[string]any)["CNY"] != float64(200) {
			t.Fatalf("a first script over sampled default calls: %v; want 4 calls, 1 changed, +200 CNY", rep)
		}
		if c := rep["changedCalls"].([]any)[0].(map[string]any); c["ranScriptId"] != nil || c["baseline"] == nil {
			t.Errorf("the changed call ran the default: %v", c)
		}
		if rep := shadow("demo.default/fixed_price"); rep["calls"] != float64(4) {
			t.Errorf("at the orders' own line and flow: %v calls; want 4", rep["calls"])
		}
		for _, scope := range []string{"demo.flash/*", "demo.default/cod"} {
			if rep := shadow(scope); rep["calls"] != float64(0) {
				t.Errorf("at %s, which none of the orders is: %v calls; want 0", scope, rep["calls"])
			}
		}
	})
}
