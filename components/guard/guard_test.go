package guard_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/atriumtrade/atrium/components/guard"
	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

func setup(t *testing.T) (*guard.Guard, *toggles.Toggles) {
	t.Helper()
	g, err := guard.Setup(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := toggles.New(nil)
	g.Load(guard.Declare(tg))
	t.Cleanup(func() { tg.Apply(toggles.File, "", map[string]string{}) }) // back to no rules
	return g, tg
}

func blocked(g *guard.Guard, resource, typ string) float64 {
	reg := prometheus.NewRegistry()
	reg.MustRegister(g.Collector())
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var res, ty string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "resource":
					res = l.GetValue()
				case "type":
					ty = l.GetValue()
				}
			}
			if res == resource && ty == typ {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestRulesAreCheckedAsToggles(t *testing.T) {
	_, tg := setup(t)
	for key, bad := range map[string]string{
		"sentinel.flowRules":           `[{"resource":"POST /app/v1/orders","threshold":-1}]`,
		"sentinel.hotParamRules":       `[{"resource":"sku","metricType":1,"threshold":5,"durationInSec":1,"specificItems":[{"valKind":0,"valStr":"1","threshold":1}]}]`,
		"sentinel.circuitBreakerRules": `[{"resource":"payment:sandbox","strategy":9}]`,
		"sentinel.systemRules":         `{"metricType":0}`,
	} {
		if errs := tg.Apply(toggles.File, "r", map[string]string{key: bad}); len(errs) != 1 {
			t.Errorf("%s: %s accepted", key, bad)
		}
	}
	if errs := tg.Apply(toggles.File, "r", map[string]string{"sentinel.flowRules": `[{"resource":"x","threshhold":5}]`}); len(errs) != 1 {
		t.Error("a misspelt field was accepted")
	}
	good := `[{"resource":"POST /app/v1/orders","threshold":10,"statIntervalInMs":1000}]`
	if errs := tg.Apply(toggles.File, "r", map[string]string{"sentinel.flowRules": good}); len(errs) != 0 {
		t.Fatal(errs)
	}
}

func TestFlowRuleRefusesAtOnceAndCounts(t *testing.T) {
	g, tg := setup(t)
	const res = "POST /app/v1/flow-test"
	tg.Apply(toggles.File, "r", map[string]string{"sentinel.flowRules": fmt.Sprintf(`[{"resource":%q,"threshold":3,"statIntervalInMs":60000}]`, res)})
	admitted, refused := 0, 0
	for range 10 {
		start := time.Now()
		done, err := g.Inbound(res)
		if err == nil {
			admitted++
			done()
			continue
		}
		refused++
		if !errors.Is(err, errkind.ErrTooManyRequests) {
			t.Fatalf("refusal: %v", err)
		}
		if time.Since(start) > 100*time.Millisecond {
			t.Fatalf("a refusal waited %s", time.Since(start))
		}
	}
	if admitted != 3 || refused != 7 || blocked(g, res, "flow") != 7 {
		t.Fatalf("admitted %d refused %d counted %v", admitted, refused, blocked(g, res, "flow"))
	}
	// The rule goes away with the toggle: everything is admitted again.
	tg.Apply(toggles.File, "r2", map[string]string{})
	if done, err := g.Inbound(res); err != nil {
		t.Fatalf("after the rule was removed: %v", err)
	} else {
		done()
	}
}

func TestHotSKUIsThrottledWhileOthersFlow(t *testing.T) {
	g, tg := setup(t)
	tg.Apply(toggles.File, "r", map[string]string{"sentinel.hotParamRules": `[{"resource":"sku","metricType":1,"paramIndex":0,
		"threshold":1000,"durationInSec":60,"specificItems":[{"valKind":1,"valStr":"hot-1","threshold":5}]}]`})
	hot, cold := 0, 0
	for range 20 {
		if g.Hot("sku", "acme", "hot-1") == nil {
			hot++
		}
		if g.Hot("sku", "acme", "cold-1", "cold-2") == nil {
			cold++
		}
	}
	if hot != 5 || cold != 20 || blocked(g, "sku", "hotspot") != 15 {
		t.Fatalf("hot admitted %d, cold %d, counted %v", hot, cold, blocked(g, "sku", "hotspot"))
	}
	// An order with the hot SKU among others is refused whole.
	if err := g.Hot("sku", "acme", "cold-3", "hot-1"); !errors.Is(err, errkind.ErrTooManyRequests) {
		t.Fatalf("an order with the hot SKU: %v", err)
	}
}

func TestBreakerOpensOnFailuresAndClosesOnRecovery(t *testing.T) {
	g, tg := setup(t)
	const res = "payment:flaky"
	tg.Apply(toggles.File, "r", map[string]string{"sentinel.circuitBreakerRules": fmt.Sprintf(`[{"resource":%q,"strategy":2,
		"retryTimeoutMs":300,"minRequestAmount":3,"statIntervalMs":10000,"threshold":3}]`, res)})
	down := errors.New("provider down")
	calls := 0
	call := func(fail bool) error {
		return g.Call(res, func() error {
			calls++
			if fail {
				return down
			}
			return nil
		}, nil)
	}
	for range 3 {
		if err := call(true); !errors.Is(err, down) {
			t.Fatalf("while closed: %v", err)
		}
	}
	// Open: refused at once without calling.
	before := calls
	start := time.Now()
	err := call(true)
	if !errors.Is(err, errkind.ErrTooManyRequests) || calls != before || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("open breaker: %v, called %d", err, calls-before)
	}
	if !strings.Contains(err.Error(), res) || blocked(g, res, "circuit_breaker") != 1 {
		t.Fatalf("open breaker: %v, counted %v", err, blocked(g, res, "circuit_breaker"))
	}
	// After the retry timeout, one probe goes through; a success closes the breaker.
	time.Sleep(400 * time.Millisecond)
	if err := call(false); err != nil {
		t.Fatalf("probe: %v", err)
	}
	for range 5 {
		if err := call(false); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	}
}

func TestCallerErrorsDoNotOpenTheBreaker(t *testing.T) {
	g, tg := setup(t)
	const res = "payment:strict"
	tg.Apply(toggles.File, "r", map[string]string{"sentinel.circuitBreakerRules": fmt.Sprintf(`[{"resource":%q,"strategy":2,
		"retryTimeoutMs":10000,"minRequestAmount":1,"statIntervalMs":10000,"threshold":1}]`, res)})
	bad := errkind.Invalidf("bad amount")
	for range 5 {
		err := g.Call(res, func() error { return bad }, func(err error) bool { b, _ := errkind.Describe(err); return b.Kind() == errkind.Invalid })
		if !errors.Is(err, errkind.ErrInvalid) {
			t.Fatalf("caller error: %v", err)
		}
	}
}

// TestSystemRuleBoundsInboundConcurrency: a system rule on concurrency refuses an inbound request
// while that many are in flight, whatever their resource, and admits again once they end.
func TestSystemRuleBoundsInboundConcurrency(t *testing.T) {
	g, tg := setup(t)
	if errs := tg.Apply(toggles.File, "r", map[string]string{"sentinel.systemRules": `[{"metricType":2,"triggerCount":2}]`}); len(errs) != 0 {
		t.Fatal(errs)
	}
	var open []func()
	for _, res := range []string{"POST /app/v1/orders", "GET /app/v1/orders"} {
		done, err := g.Inbound(res)
		if err != nil {
			t.Fatalf("%s under the bound: %v", res, err)
		}
		open = append(open, done)
	}
	if _, err := g.Inbound("POST /mp/v1/orders"); !errors.Is(err, errkind.ErrTooManyRequests) || blocked(g, "POST /mp/v1/orders", "system") != 1 {
		t.Fatalf("a third request in flight: %v", err)
	}
	for _, done := range open {
		done()
	}
	done, err := g.Inbound("POST /mp/v1/orders")
	if err != nil {
		t.Fatalf("after the others ended: %v", err)
	}
	done()
}
