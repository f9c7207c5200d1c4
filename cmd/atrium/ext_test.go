package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/catalog/catalogsql"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
)

// atrium runs the CLI with args and returns what it printed and its error.
func atrium(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv("ATRIUM_EXTENSIONS_WALL", "250ms") // this shared VM stalls now and then
	root := rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

const examples = "../../extensions/scripts/demo/"

// TestExtValidateExamples: every shipped example validates (all seven of them: a glob that
// matched nothing would prove nothing), and a script whose fixture fails does not.
func TestExtValidateExamples(t *testing.T) {
	files, err := filepath.Glob(examples + "*.lua")
	if err != nil || len(files) < 7 {
		t.Fatalf("%d examples under %s (%v); want the 7 shipped", len(files), examples, err)
	}
	for _, f := range files {
		out, err := atrium(t, "ext", "validate", f)
		if err != nil || !strings.HasPrefix(out, "ok: ") || strings.Contains(out, " 0 fixture") {
			t.Errorf("%s: %q %v; want ok with its fixtures run", f, out, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.lua")
	err = os.WriteFile(bad, []byte("-- point: pricing.unit_price\n-- test: {\"input\": {\"currency\": \"CNY\", \"buyer\": {\"userId\": \"u\"}, \"at\": 0, \"lines\": []}, \"output\": {\"lines\": []}}\nfunction run(i) while true do end end\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := atrium(t, "ext", "validate", bad); err == nil || !strings.Contains(err.Error(), "extensions.fixture_failed") {
		t.Fatalf("a looping script validated: %v", err)
	}
}

func TestExtRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	os.WriteFile(in, []byte(`{"currency":"CNY","buyer":{"userId":"u1","memberLevel":"gold"},"at":0,
		"lines":[{"skuId":"tea","title":"Tea","sellerId":"s1","tags":[],"quantity":1,"listPrice":1999}]}`), 0o644)
	out, err := atrium(t, "ext", "run", "--point", "pricing.unit_price", "--script", examples+"member_pricing.lua", "--input", in)
	if err != nil || strings.TrimSpace(out) != `{"lines":[{"skuId":"tea","unitPrice":1799}]}` {
		t.Fatalf("got %q, %v", out, err)
	}
	if _, err := atrium(t, "ext", "run", "--point", "no.such", "--script", examples+"member_pricing.lua", "--input", in); err == nil ||
		!strings.Contains(err.Error(), "extensions.unknown_point") {
		t.Fatalf("unknown point: %v", err)
	}
	if _, err := atrium(t, "ext", "run", "--point", "splitting.split_key", "--script", examples+"member_pricing.lua", "--input", in); err == nil ||
		!strings.Contains(err.Error(), "request.invalid") {
		t.Fatalf("an input of another point: %v", err)
	}
}

// TestExtReplay places an order under a published script on a real database, then replays the
// logged call with the CLI against that database.
func TestExtReplay(t *testing.T) {
	dir := t.TempDir()
	cfg := platform.Defaults()
	cfg.DB.DataDir = dir
	cfg.Sandbox.Secret, cfg.Sandbox.CallbackURL = "0123456789abcdef", "http://127.0.0.1:1/unused"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Extensions.ReloadInterval = 20 * time.Millisecond
	cfg.Extensions.Wall = 250 * time.Millisecond
	ctx := context.Background()
	tr, err := platform.StartTrade(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), platform.TradeOptions{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Stop()
	sku, _ := catalog.NewSKU("demo", "tea", "Tea", "s1", money.New(1999, money.MustCurrency("CNY")))
	if err := catalogsql.New(tr.DB).Upsert(ctx, sku); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.NewService(inventorysql.New(tr.DB)).SetOnHand(ctx, "demo", "tea", "wh1", 10); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(examples + "member_pricing.lua")
	v, err := tr.Admin.Upload(ctx, "demo", "member-pricing", string(src), "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Admin.Publish(ctx, "demo", "demo/*", "member-pricing", v.Version, 10000, "ops"); err != nil {
		t.Fatal(err)
	}
	ident, _ := identity.New("demo", "", fixedprice.Scenario)
	deadline := time.Now().Add(2 * time.Second)
	for len(tr.Engine.Resolve("pricing.unit_price", extensions.Override, extensions.Call{Identity: ident, UserID: "g1"})) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("publication not loaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	trade, err := tr.Flow.PlaceOrder(ctx, fixedprice.PlaceOrder{Identity: ident, Buyer: fixedprice.Buyer{UserID: "g1", MemberLevel: "gold"},
		Items: []pricing.Item{{SKUID: "tea", Quantity: 1}}, Address: order.Address{Name: "Li", Phone: "13800000000", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}})
	if err != nil {
		t.Fatal(err)
	}
	if trade.Total().Minor() != 1799 {
		t.Fatalf("gold price %d; want 1799", trade.Total().Minor())
	}
	orderID := trade.Orders()[0].ID()
	// A candidate that drops the member price: the gold buyer would have paid 19.99, not 17.99.
	candidate := "-- point: pricing.unit_price\nfunction run(input)\n  local out = {}\n  for i, l in ipairs(input.lines) do out[i] = {skuId = l.skuId, unitPrice = l.price} end\n  return {lines = out}\nend\n"
	if _, err := tr.Admin.Upload(ctx, "demo", "member-pricing", candidate, "ops", ""); err != nil {
		t.Fatal(err)
	}
	tr.Stop()

	out, err := atrium(t, "ext", "shadow", "--data-dir", dir, "--tenant", "demo", "--script", "member-pricing", "--version", "2", "--scope", "demo/*")
	if err != nil || !strings.Contains(out, "calls 1  changed 1  errors 0") || !strings.Contains(out, "buyers would pay +200 CNY") {
		t.Fatalf("shadow: %q %v", out, err)
	}
	if _, err := atrium(t, "ext", "shadow", "--data-dir", dir, "--tenant", "demo", "--script", "member-pricing", "--version", "2", "--scope", "other/*"); err == nil ||
		!strings.Contains(err.Error(), "extensions.invalid_scope") {
		t.Fatalf("shadow at another tenant's scope: %v", err)
	}

	out, err = atrium(t, "ext", "replay", "--data-dir", dir, "--tenant", "demo", "--order", orderID, "--point", "pricing.unit_price")
	if err != nil || !strings.Contains(out, "member-pricing v1") || !strings.Contains(out, "(same as recorded)") {
		t.Fatalf("replay: %q %v", out, err)
	}
	if _, err := atrium(t, "ext", "replay", "--data-dir", dir, "--tenant", "other", "--order", orderID); err == nil ||
		!strings.Contains(err.Error(), "order.not_found") {
		t.Fatalf("another tenant's order: %v", err)
	}
}
