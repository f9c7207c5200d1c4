package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
)

// consoleStack is `atrium serve --demo` in the test's process: the demo tenant seeded and the
// console's sign-in link as the demo prints it.
type consoleStack struct {
	t     *testing.T
	base  string
	link  string
	trade *platform.Trade
}

func startConsoleStack(t *testing.T) *consoleStack {
	t.Helper()
	rpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := platform.Defaults()
	cfg.DB.DataDir = t.TempDir()
	cfg.HTTP.Addr = httpLn.Addr().String()
	cfg.HTTP.DevMode = true
	cfg.HTTP.JWTSecret = randomSecret()
	cfg.Sandbox.Secret = "sandbox-secret-0123456789"
	cfg.Sandbox.CallbackURL = "http://" + cfg.HTTP.Addr + "/callbacks/v1/payments/sandbox"
	cfg.Node.TimerInterval = 50 * time.Millisecond
	cfg.Extensions.ReloadInterval = 20 * time.Millisecond
	cfg.Extensions.Wall = 250 * time.Millisecond // this shared VM stalls now and then
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	tr, err := platform.StartTrade(ctx, cfg, log, platform.TradeOptions{Listener: rpcLn})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := platform.StartAccess(cfg, log, platform.AccessOptions{Listener: httpLn, RPCAddr: rpcLn.Addr().String()})
	if err != nil {
		tr.Stop()
		t.Fatal(err)
	}
	ac.Gateway.Registry().MustRegister(tr.Collector()) // as serve does in one process
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ac.Stop(sctx)
		_ = tr.Stop()
	})
	if err := seedDemo(ctx, ac, cfg); err != nil {
		t.Fatal(err)
	}
	link, err := consoleLink(cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &consoleStack{t: t, base: "http://" + cfg.HTTP.Addr, link: link, trade: tr}
}

// call sends a request to the API and decodes the envelope's data into out (when not nil).
func (s *consoleStack) call(method, path, token string, body any, want int, out any, headers ...string) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: got %d %s; want %d", method, path, resp.StatusCode, raw, want)
	}
	if out != nil {
		var env struct{ Data json.RawMessage }
		if err := json.Unmarshal(raw, &env); err == nil && env.Data == nil {
			env.Data = raw // the dev-token endpoint answers without an envelope
		}
		if err := json.Unmarshal(raw, &env); err != nil || json.Unmarshal(env.Data, out) != nil {
			s.t.Fatalf("%s %s: cannot decode %s", method, path, raw)
		}
	}
}

func (s *consoleStack) token(user, channel, role string) string {
	var tok struct{ Token string }
	s.call("POST", "/auth/v1/dev-token", "", map[string]string{"tenant": demoTenant, "userId": user, "channel": channel, "role": role}, 200, &tok)
	return tok.Token
}

type placed struct {
	TradeID string `json:"tradeId"`
	Orders  []struct {
		OrderID string `json:"orderId"`
	} `json:"orders"`
}

// placePaid places an order for buyer and pays it through the sandbox provider.
func (s *consoleStack) placePaid(buyer, admin, key string, items ...map[string]any) placed {
	s.t.Helper()
	var p placed
	s.call("POST", "/app/v1/orders", buyer, map[string]any{"flow": "fixed_price", "items": items, "address": map[string]string{
		"name": "Li", "phone": "13800000000", "province": "Zhejiang", "city": "Hangzhou", "district": "Xihu", "detail": "1 Wensan Rd"}},
		201, &p, "Idempotency-Key", key)
	var pay struct{ PaymentID string }
	s.call("POST", "/app/v1/trades/"+p.TradeID+"/payments", buyer, map[string]string{"method": "sandbox"}, 201, &pay, "Idempotency-Key", "pay-"+key)
	s.call("POST", "/admin/v1/payments/"+pay.PaymentID+"/simulate", admin, map[string]string{"outcome": "succeeded"}, 200, nil)
	s.waitStatus(admin, p.Orders[0].OrderID, "paid")
	return p
}

func (s *consoleStack) orderStatus(admin, orderID string) string {
	var o struct{ Status string }
	s.call("GET", "/admin/v1/orders/"+orderID, admin, nil, 200, &o)
	return o.Status
}

func (s *consoleStack) waitStatus(admin, orderID, want string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.orderStatus(admin, orderID) != want {
		if time.Now().After(deadline) {
			s.t.Fatalf("order %s: got %s; want %s", orderID, s.orderStatus(admin, orderID), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const consolePricing = `-- point: pricing.unit_price
-- Pays the price given%s.
function run(input)
  local out = {}
  for i, line in ipairs(input.lines) do
    local price = line.price%s
    out[i] = {skuId = line.skuId, unitPrice = price}
  end
  return {lines = out}
end
`

// browser starts Debian's chromium headless, or skips (fails in CI) where there is none.
func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on this machine (CI installs Debian's chromium)")
		}
		t.Skip("no chromium on this machine: apt-get install chromium to run the console's browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	// The first call starts the browser and binds it to bctx (not to the timeout below).
	if err := chromedp.Do(bctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	// Every page error fails the test: an exception or a console error is a broken console.
	if err := chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Errorf("page exception at %s:%d: %s", d.URL, d.LineNumber+1, msg)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				t.Errorf("console error: %s", strings.Join(parts, " "))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 4*time.Minute)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

// shotsDir is where the browser test leaves its screenshots (ATRIUM_CONSOLE_SHOTS, or a fixed
// place under the temp dir so that they outlive the test).
func shotsDir(t *testing.T) string {
	dir := os.Getenv("ATRIUM_CONSOLE_SHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "atrium-console-shots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// unlabelled lists the visible controls and links with no accessible name.
const unlabelled = `(() => {
  const bad = [];
  const shown = el => el.getClientRects().length > 0 && !el.closest('[hidden]');
  for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
    if (!shown(el) && el.tagName !== 'TEXTAREA') continue;
    const name = [...(el.labels || [])].map(l => l.textContent).join(' ').trim() || el.getAttribute('aria-label') ||
      (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent.trim() : '');
    if (!name) bad.push(el.outerHTML.slice(0, 100));
  }
  return bad;
})()`

// unreached lists the visible controls the Tab key did not reach (each reached one is marked).
const unreached = `(() => [...document.querySelectorAll('main input, main select, main textarea, main button, main a[href], header a[href], header button')]
  .filter(el => el.getClientRects().length > 0 && !el.disabled && !el.dataset.reached).map(el => el.outerHTML.slice(0, 100)))()`

const markFocused = `(() => { const el = document.activeElement; if (!el || el === document.body) return ''; el.dataset.reached = '1'; return el.tagName + (el.classList.contains('code') ? ':code' : el.classList.contains('skip') ? ':skip' : ''); })()`

// checkPage waits for the page whose heading contains heading, then checks it at 1280 and
// 390 px wide: every control named, every control reached by the keyboard, nothing wider than the
// screen at 390 px; and writes a screenshot at each width.
func checkPage(t *testing.T, ctx context.Context, dir, name, heading string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//main//h1[contains(., %q)]`, heading)))); err != nil {
		t.Fatalf("%s: no heading %q: %v", name, heading, err)
	}
	if bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](unlabelled)); err != nil || len(bad) > 0 {
		t.Errorf("%s: controls without a name: %v %v", name, bad, err)
	}
	// Tab from the top of the page (the skip link) through every control; the editor takes Tab to indent, and
	// Escape then Tab leaves it.
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('a.skip').focus(),
		document.querySelectorAll('input, select, textarea, button, a[href], summary').length`))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// Some controls take several stops (a date-time input has one per part): tab until focus
	// leaves the page (back to the body) or comes round to the skip link again.
	for i := 0; i < 4*n+20; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("%s: tab: %v", name, err)
		}
		what, err := chromedp.Run(ctx, chromedp.Evaluate[string](markFocused))
		if err != nil {
			t.Fatalf("%s: tab: %v", name, err)
		}
		if what == "TEXTAREA:code" {
			_ = chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape))
		}
		if i > 0 && (what == "" || what == "A:skip") {
			break
		}
	}
	if bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](unreached)); err != nil || len(bad) > 0 {
		t.Errorf("%s: controls the keyboard does not reach: %v %v", name, bad, err)
	}
	for _, w := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900), chromedp.Sleep(100*time.Millisecond)); err != nil {
			t.Fatalf("%s at %d px: %v", name, w, err)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil {
			t.Fatalf("%s at %d px: %v", name, w, err)
		}
		if over > 0 {
			t.Errorf("%s at %d px: the page is %d px wider than the screen", name, w, over)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s at %d px: %v", name, w, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// do runs browser steps or fails the test.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	do(t, ctx, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitText waits until the element at sel holds want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.textContent.includes(%q); })()`, sel, want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel)))
		t.Fatalf("%s: got %q; want it to hold %q (%v)", sel, got, want, err)
	}
}

// xp is an XPath selector.
func xp(format string, args ...any) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(format, args...))
}

// TestConsoleInABrowser drives the console in headless Chromium as an operator does: signs in
// with the link the demo prints, finds an order by its buyer, opens its trade and ships it;
// uploads a script version, test-runs it on a past order's logged input, shadow-replays it (the
// page shows how many results change and by how much money), publishes it to 50 % of users and
// rolls it back; reads a toggle and the live numbers; approves an after-sale from the queue; and
// disables a coupon among the campaigns. Every main page is checked for names, keyboard reach and
// width at 390 px, and photographed at 1280 and 390 px.
func TestConsoleInABrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	s := startConsoleStack(t)
	dir := shotsDir(t)
	admin := s.token("ops", "admin", "admin")

	// A pricing script that changes nothing runs for every order, so orders log its calls.
	var v1 struct{ Version int }
	s.call("POST", "/admin/v1/extensions/scripts/prices/versions", admin, map[string]string{"source": fmt.Sprintf(consolePricing, "", ""), "notes": "as listed"}, 201, &v1)
	s.call("POST", "/admin/v1/extensions/publications", admin, map[string]any{"scriptId": "prices", "version": v1.Version, "scope": "demo/*", "grayBasisPoints": 10000}, 201, nil)
	ident, _ := identity.New(demoTenant, "", fixedprice.Scenario)
	deadline := time.Now().Add(5 * time.Second)
	for len(s.trade.Engine.Resolve("pricing.unit_price", extensions.Override, extensions.Call{Identity: ident, UserID: "alice"})) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("publication not loaded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the campaigns page lists: a promotion and its coupon, a pre-sale, a group buy and a
	// running auction of the kettle.
	now := time.Now()
	s.call("PUT", "/admin/v1/promotions/spring", admin, map[string]any{"name": "Spring 5 off", "kind": "amount_off", "currency": "CNY",
		"amount": 500, "couponOnly": true}, 200, nil)
	s.call("PUT", "/admin/v1/coupons/SPRING1", admin, map[string]any{"promotionId": "spring", "totalUses": 100}, 200, nil)
	s.call("PUT", "/admin/v1/presales/tea-week", admin, map[string]any{"name": "Tea week", "currency": "CNY",
		"skus":            []any{map[string]any{"skuId": "kettle-iron", "price": 45900, "deposit": 5000, "depositCredit": 8000}},
		"depositStartsAt": now.UnixMilli(), "depositEndsAt": now.Add(time.Hour).UnixMilli(), "balanceStartsAt": now.Add(time.Hour).UnixMilli(),
		"balanceEndsAt": now.Add(2 * time.Hour).UnixMilli()}, 200, nil)
	s.call("PUT", "/admin/v1/groupbuys/kettle-together", admin, map[string]any{"name": "Kettle together", "currency": "CNY",
		"skus": []any{map[string]any{"skuId": "kettle-iron", "price": 39900}}, "groupSize": 3, "formationSeconds": 3600,
		"startsAt": now.Add(-time.Minute).UnixMilli(), "endsAt": now.Add(24 * time.Hour).UnixMilli()}, 200, nil)
	s.call("PUT", "/admin/v1/auctions/kettle-auction", admin, map[string]any{"skuId": "kettle-iron", "title": "Signed kettle", "currency": "CNY",
		"startPrice": 10000, "increments": []any{map[string]any{"from": 0, "step": 500}}, "reservePrice": 30000, "deposit": 5000,
		"startsAt": now.Add(-time.Minute).UnixMilli(), "endsAt": now.Add(time.Hour).UnixMilli(), "antiSnipeSeconds": 120, "extendSeconds": 180,
		"maxExtensions": 1, "payWindowSeconds": 3600}, 200, nil)

	alice, bob := s.token("alice", "app", "buyer"), s.token("bob", "app", "buyer")
	mine := s.placePaid(alice, admin, "alice-1", map[string]any{"skuId": "tea-longjing", "quantity": 1}, map[string]any{"skuId": "cup-celadon", "quantity": 1})
	s.placePaid(bob, admin, "bob-1", map[string]any{"skuId": "tea-longjing", "quantity": 2})
	// Alice's tea and cup ship from two sellers: two orders; the cup's is the one to ship.
	var cupOrder string
	for _, o := range mine.Orders {
		var got struct {
			Lines []struct{ SkuID string }
		}
		s.call("GET", "/admin/v1/orders/"+o.OrderID, admin, nil, 200, &got)
		if got.Lines[0].SkuID == "cup-celadon" {
			cupOrder = o.OrderID
		}
	}
	if cupOrder == "" {
		t.Fatalf("no cup order in %+v", mine)
	}

	// Sign in with the demo's link: the token leaves the address bar.
	do(t, ctx, "sign in", chromedp.Navigate(s.link), chromedp.WaitVisible(xp(`//main//h1[text()="Orders"]`)))
	if url, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(url, "token=") {
		t.Errorf("the token stayed in the address bar: %s %v", url, err)
	}
	if who := text(t, ctx, "#who"); who != "demo-ops @ demo" {
		t.Errorf("signed in as %q; want demo-ops @ demo", who)
	}
	checkPage(t, ctx, dir, "orders", "Orders")

	// Find Alice's orders by buyer; Bob's do not show.
	do(t, ctx, "search by buyer", chromedp.SetValue(chromedp.CSS(`form[role=search] input[name=buyer]`), "alice"),
		chromedp.Click(chromedp.CSS(`form[role=search] button[type=submit]`)))
	waitText(t, ctx, "main p.muted", "2 orders shown")
	if c := text(t, ctx, "main table tbody"); strings.Contains(c, "bob") || !strings.Contains(c, cupOrder) {
		t.Errorf("orders of alice: %q", c)
	}

	// Open the trade and ship the cup's order.
	do(t, ctx, "open the trade", chromedp.Click(xp(`//a[text()=%q]`, cupOrder)))
	checkPage(t, ctx, dir, "trade", "Trade")
	ship := fmt.Sprintf(`form[aria-label="Ship order %s"]`, cupOrder)
	do(t, ctx, "ship", chromedp.SetValue(chromedp.CSS(ship+` input[name=carrier]`), "SF"),
		chromedp.SetValue(chromedp.CSS(ship+` input[name=trackingNo]`), "SF1234567890"),
		chromedp.Click(chromedp.CSS(ship+` button[type=submit]`)))
	waitText(t, ctx, "#flash", "Ship "+cupOrder+": done")
	waitText(t, ctx, fmt.Sprintf(`section[aria-label="Order %s"] h3`, cupOrder), "shipped")
	if st := s.orderStatus(admin, cupOrder); st != "shipped" {
		t.Errorf("order after shipping in the console: %s; want shipped", st)
	}

	// Alice asks for her money back for the cup now on its way: a request for an operator.
	var as struct{ AfterSaleID, Status string }
	s.call("POST", "/app/v1/orders/"+cupOrder+"/aftersales", alice, map[string]any{"kind": "refund_only", "reason": "changed my mind",
		"lines": []any{map[string]any{"lineNo": 1, "quantity": 1}}}, 201, &as, "Idempotency-Key", "as-1")
	if as.Status != "requested" {
		t.Fatalf("after-sale: %+v; want requested", as)
	}

	// Scripts: the list, then a new version that puts 1.00 on every cup.
	do(t, ctx, "scripts", chromedp.Click(xp(`//nav//a[text()="Scripts"]`)))
	checkPage(t, ctx, dir, "scripts", "Scripts")
	do(t, ctx, "open prices", chromedp.Click(xp(`//main//a[text()="prices"]`)), chromedp.WaitVisible(xp(`//main//h2[text()="Version 1"]`)))
	v2 := fmt.Sprintf(consolePricing, ", and 1.00 more for a cup", "\n    if line.skuId == \"cup-celadon\" then price = price + 100 end")
	do(t, ctx, "edit", chromedp.SetValue(chromedp.CSS(`textarea.code`), v2),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('textarea.code').dispatchEvent(new Event('input'))`),
		chromedp.SetValue(chromedp.CSS(`input[name=notes]`), "cups cost 1.00 more"),
		chromedp.Click(xp(`//button[text()="Validate"]`)))
	waitText(t, ctx, `form[aria-label="Edit prices"]`, "Valid: point pricing.unit_price")
	do(t, ctx, "save", chromedp.Click(xp(`//button[text()="Save as new version"]`)), chromedp.WaitVisible(xp(`//main//h2[text()="Version 2"]`)))
	// Test-run v2 on the input v1 was called with for Alice's cup order.
	do(t, ctx, "load an order's input", chromedp.SetValue(chromedp.CSS(`input[name=orderId]`), cupOrder),
		chromedp.Click(xp(`//button[text()="Load its input"]`)))
	waitText(t, ctx, `form[aria-label="Test-run v2"]`, "Loaded the input prices v1")
	do(t, ctx, "test-run", chromedp.Click(xp(`//button[text()="Test-run v2"]`)))
	waitText(t, ctx, "#testrun-result", "Output in ")
	if got := text(t, ctx, "#testrun-result"); !regexp.MustCompile(`^Output in [0-9.]+ ms \(budget 250 ms\), [1-9][0-9,]* of 1,000,000 instructions:$`).MatchString(got) {
		t.Errorf("test-run: %q; want its time and instructions beside the budget", got)
	}
	if out := text(t, ctx, `#testrun-result + pre.json`); !strings.Contains(out, `"unitPrice": 4000`) {
		t.Errorf("test-run output: %s; want the cup at 40.00", out)
	}
	// Shadow-replay v2 over the logged calls: Alice's order changes by +1.00, Bob's does not.
	do(t, ctx, "shadow", chromedp.Click(xp(`//button[text()="Shadow-replay v2"]`)))
	waitText(t, ctx, "#shadow-calls", "2")
	if got := text(t, ctx, "#shadow-changed"); got != "1" {
		t.Errorf("shadow: %s results change; want 1", got)
	}
	if got := text(t, ctx, "#shadow-money"); got != "+1.00 CNY" {
		t.Errorf("shadow: buyers would pay %s; want +1.00 CNY", got)
	}
	checkPage(t, ctx, dir, "script", "Script")

	// Publish v2 to half the buyers, then roll back to v1.
	type pub struct {
		Point, Scope, StableScript, GrayScript string
		StableVersion, GrayVersion             int
		GrayBasisPoints                        int
	}
	published := func() pub {
		var ps []pub
		s.call("GET", "/admin/v1/extensions/publications", admin, nil, 200, &ps)
		for _, p := range ps {
			if p.Point == "pricing.unit_price" && p.Scope == "demo/*" {
				return p
			}
		}
		return pub{}
	}
	do(t, ctx, "publish", chromedp.SetValue(chromedp.CSS(`form[aria-label="Publish v2"] input[name=share]`), "50"),
		chromedp.Click(xp(`//button[text()="Publish v2"]`)))
	waitText(t, ctx, "#flash", "to 50% at demo/*: done")
	if p := published(); p.GrayScript != "prices" || p.GrayVersion != 2 || p.GrayBasisPoints != 5000 || p.StableVersion != 1 {
		t.Errorf("after publishing to 50%%: %+v; want v2 to 5000 bp beside v1", p)
	}
	do(t, ctx, "roll back", chromedp.Click(xp(`//button[text()="Roll back"]`)))
	waitText(t, ctx, "#flash", "Roll back pricing.unit_price at demo/*: done")
	if p := published(); p.GrayScript != "" || p.StableScript != "prices" || p.StableVersion != 1 {
		t.Errorf("after rolling back: %+v; want v1 alone", p)
	}

	// Toggles: a value and where it came from.
	do(t, ctx, "toggles", chromedp.Click(xp(`//nav//a[text()="Toggles"]`)))
	checkPage(t, ctx, dir, "toggles", "Toggles")
	waitText(t, ctx, "main table", "trade.unpaidWindow")
	waitText(t, ctx, "main", "Sentinel blocks on this node in the last")

	// Live numbers: the orders placed above, by flow, and the routes they went through.
	do(t, ctx, "live", chromedp.Click(xp(`//nav//a[text()="Live"]`)))
	checkPage(t, ctx, dir, "live", "Live numbers")
	if got, err := strconv.ParseFloat(text(t, ctx, "#live-orders"), 64); err != nil || got <= 0 {
		t.Errorf("live: orders per minute %v %v; want more than 0", got, err)
	}
	waitText(t, ctx, "main", "fixed_price")
	waitText(t, ctx, "main", "POST /app/v1/orders")

	// The after-sale queue: approve Alice's request.
	do(t, ctx, "after-sales", chromedp.Click(xp(`//nav//a[text()="After-sales"]`)))
	checkPage(t, ctx, dir, "aftersales", "After-sales")
	do(t, ctx, "approve", chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[aria-label="Approve after-sale %s"] button[type=submit]`, as.AfterSaleID))))
	waitText(t, ctx, "#flash", "Approve "+as.AfterSaleID+": done")
	var decided struct{ Status, DecidedBy string }
	s.call("GET", "/admin/v1/aftersales/"+as.AfterSaleID, admin, nil, 200, &decided)
	if decided.Status == "requested" || decided.DecidedBy != "demo-ops" {
		t.Errorf("after approving in the console: %+v; want decided by demo-ops", decided)
	}

	// Campaigns: what runs now, by state, and the verb that ends each; disable the coupon.
	do(t, ctx, "campaigns", chromedp.Click(xp(`//nav//a[text()="Campaigns"]`)))
	checkPage(t, ctx, dir, "campaigns", "Campaigns")
	for _, want := range []string{"SPRING1", "tea-week", "kettle-together", "kettle-auction", "running"} {
		waitText(t, ctx, "main", want)
	}
	do(t, ctx, "disable a coupon", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(chromedp.CSS(`button[aria-label="Disable coupon SPRING1"]`)))
	waitText(t, ctx, "#flash", "Disable coupon SPRING1: done")
	var coupon struct{ State string }
	s.call("GET", "/admin/v1/coupons/SPRING1", admin, nil, 200, &coupon)
	if coupon.State != "disabled" {
		t.Errorf("coupon after disabling in the console: %s", coupon.State)
	}

	// Signing out forgets the token.
	do(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`#signout`)), chromedp.WaitVisible(xp(`//main//h1[text()="Sign in"]`)))
	checkPage(t, ctx, dir, "signin", "Sign in")
	t.Logf("screenshots in %s", dir)
}
