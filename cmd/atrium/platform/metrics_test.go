package platform_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// families lists the metric families a /metrics answer holds, with their types.
func families(t *testing.T, raw string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(raw, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = f[3]
		}
	}
	return out
}

// TestDashboardQueriesExportedMetrics: after a little of everything (orders, a refused request,
// a Sentinel block, a script over its budget), every metric configs/grafana/atrium.json queries
// is one the server exports, and the series the issue names carry their labels.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	s, rules := guarded(t)
	admin := s.token("demo", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 10)
	buyer := s.token("demo", "u1", "app", "buyer")
	tr := must(t, s.do("POST", "/app/v1/orders", buyer, orderBody(item("tea", 1)), "Idempotency-Key", "m1"), 201, "place").data()
	orderID := str(tr["orders"].([]any)[0].(map[string]any)["orderId"])
	must(t, s.do("POST", "/app/v1/orders/"+orderID+"/cancel", buyer, nil), 200, "cancel")
	if r := s.do("GET", "/app/v1/orders/nope", buyer, nil); r.status != 404 {
		t.Fatalf("unknown order: %d", r.status)
	}
	rules(map[string]string{"sentinel.flowRules": `[{"resource":"GET /app/v1/orders","threshold":0}]`})
	eventually(t, 5*time.Second, "a Sentinel block", func() bool { return s.do("GET", "/app/v1/orders", buyer, nil).status == 429 })
	s.publish(admin, "spin-price", "-- point: pricing.unit_price\nfunction run(i) while true do end end\n", "demo/*")
	s.loaded("pricing.unit_price", "demo", "spin-price")
	must(t, s.do("POST", "/app/v1/quotes", buyer, map[string]any{"items": []any{item("tea", 1)}}), 200, "quote")

	raw := s.do("GET", "/metrics", "", nil).raw
	have := families(t, raw)
	b, err := os.ReadFile("../../../configs/grafana/atrium.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`\b(?:atrium|go)_[a-z_]+\b`)
	queried := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, m := range name.FindAllString(target.Expr, -1) {
				queried++
				family := m
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(m, suffix); ok && have[base] == "histogram" {
						family = base
					}
				}
				if _, ok := have[family]; !ok {
					t.Errorf("panel %q queries %s, which /metrics does not export", p.Title, m)
				}
			}
		}
	}
	if queried < 20 {
		t.Fatalf("the dashboard queries only %d metrics", queried)
	}
	for _, want := range []string{`atrium_orders_total{flow="fixed_price",status="pending_payment"} 1`, `atrium_orders_total{flow="fixed_price",status="cancelled"} 1`,
		`atrium_http_errors_total{code="order.not_found",method="GET",route="/app/v1/orders/:orderId"} 1`,
		`atrium_rpc_requests_total{code="ok",method="TradeIntake/PlaceOrder"} 1`,
		`atrium_extension_errors_total{code="extensions.budget_exceeded",point="pricing.unit_price"} 1`,
		`atrium_events_total{topic="order.created"} 1`, `go_sql_max_open_connections{db_name="primary"}`} {
		if !strings.Contains(raw, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestTradeRoleServesMetrics: a trade role on its own serves /metrics with its RPC, order and
// backlog series and the Go runtime's.
func TestTradeRoleServesMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := platform.Defaults()
	cfg.DB = dal.Config{Driver: "sqlite", DataDir: t.TempDir()}
	cfg.Sandbox.Secret = "sandbox-secret-0123456789"
	cfg.Sandbox.CallbackURL = "http://127.0.0.1:1/unused"
	tr, err := platform.StartTrade(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), platform.TradeOptions{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Stop()
	addr, err := tr.ServeMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := platform.NewTradeClients(cfg.RPC, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Queries.Ping(context.Background(), &trade.PingRequest{}); err != nil {
		t.Fatal(err)
	}
	ready, err := http.Get("http://" + addr.String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusOK {
		t.Errorf("the trade role's /readyz answered %d; want 200", ready.StatusCode)
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	have := families(t, string(body))
	for _, f := range []string{"atrium_rpc_requests_total", "atrium_rpc_request_duration_seconds", "atrium_outbox_unpublished",
		"atrium_timers_due", "atrium_inventory_holds", "atrium_toggle_rejected_total", "go_goroutines", "go_sql_in_use_connections"} {
		if _, ok := have[f]; !ok {
			t.Errorf("the trade role's /metrics lacks %s", f)
		}
	}
}
