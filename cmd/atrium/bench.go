package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks against a running server"}
	cmd.AddCommand(placeOrderBenchCmd(), flashSaleBenchCmd(), overloadBenchCmd(), auctionBenchCmd())
	return cmd
}

type benchFlags struct {
	common      commonFlags
	url         string
	concurrency int
	duration    time.Duration
	floor       bool
	pprofURL    string
	profileOut  string
	extensions  bool
	tenants     int
}

func placeOrderBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "place-order",
		Short: "Place orders through the full HTTP path of a running server (serve --demo), then run the bare SQL floor",
		Long: `Runs two phases side by side, with the same concurrency and duration:

  platform  POST /app/v1/orders through Hertz → Kitex → flow → database, one line per order,
            each with its own Idempotency-Key, against a running 'atrium serve --demo'.
  floor     the same SQL statements per order (the reads, the reservation, the trade, order and
            line rows, the idempotency key, the outbox event and the timer, in one transaction)
            issued by a minimal loop straight to the same database, with nothing around them.

  scripts   with --extensions: the platform phase again, with three extension points published
            for the bench tenant (member pricing, nearest warehouse, split by warehouse), so
            every order runs three Lua scripts and records them.

It prints orders/s, p50 and p99 of each phase and the ratios. With --pprof-url (serve
--pprof-addr) it also profiles the server's CPU during the platform phase and summarizes where
the time went.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.concurrency < 1 || f.concurrency > 4096 || f.duration < time.Second {
				return errors.New("--concurrency must be 1..4096 and --duration at least 1s")
			}
			return runPlaceOrderBench(cmd, f)
		},
	}
	f.common.register(cmd)
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "base URL of the running server")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 64, "concurrent buyers")
	cmd.Flags().DurationVar(&f.duration, "duration", 20*time.Second, "length of each phase")
	cmd.Flags().BoolVar(&f.floor, "floor", true, "also run the bare SQL floor against the server's database (--data-dir or --db-dsn)")
	cmd.Flags().StringVar(&f.pprofURL, "pprof-url", "", "the server's pprof address (serve --pprof-addr), e.g. http://127.0.0.1:6060")
	cmd.Flags().StringVar(&f.profileOut, "profile-out", "", "also save the CPU profile to this file")
	cmd.Flags().IntVar(&f.tenants, "tenants", 1, "spread the buyers over this many tenants (bench1..N), e.g. one per pod")
	cmd.Flags().BoolVar(&f.extensions, "extensions", false, "also run a phase with three script points published for the bench tenant (pricing, warehouse choice, split)")
	return cmd
}

// result is one phase's measurements.
type result struct {
	name      string
	ok        int64
	failed    int64
	elapsed   time.Duration
	latencies []time.Duration
	firstErr  string
}

func (r result) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
}

// runPhase calls op from n workers for d, showing a progress line, and collects latencies.
func runPhase(name string, n int, d time.Duration, out io.Writer, op func(ctx context.Context, worker, seq int) error) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var firstErr string
	lat := make([][]time.Duration, n)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				el := time.Since(start)
				fmt.Fprintf(out, "\r%-8s [%4.1fs/%s] %8d answered %8.0f/s  errors %d   ", name, el.Seconds(), d, ok.Load(),
					float64(ok.Load())/el.Seconds(), failed.Load())
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for seq := 0; ctx.Err() == nil; seq++ {
				t0 := time.Now()
				err := op(ctx, w, seq)
				if ctx.Err() != nil {
					return // cut off by the end of the phase: not a measurement
				}
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
					continue
				}
				ok.Add(1)
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	close(done)
	r := result{name: name, ok: ok.Load(), failed: failed.Load(), elapsed: time.Since(start), firstErr: firstErr}
	for _, l := range lat {
		r.latencies = append(r.latencies, l...)
	}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	fmt.Fprintf(out, "\r%-8s done: %d answered in %s, %d errors%30s\n", name, r.ok, r.elapsed.Round(time.Millisecond), r.failed, "")
	return r
}

type httpBench struct {
	base   string
	client *http.Client
}

func (h *httpBench) call(ctx context.Context, method, path, token string, body any, headers ...string) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode >= 300 {
		return resp.StatusCode, out, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	return resp.StatusCode, out, nil
}

func (h *httpBench) token(ctx context.Context, tenant, user, channel, role string) (string, error) {
	_, out, err := h.call(ctx, "POST", "/auth/v1/dev-token", "", map[string]string{"tenant": tenant, "userId": user, "channel": channel, "role": role})
	if err != nil {
		return "", fmt.Errorf("dev token (is the server running with --demo?): %w", err)
	}
	tok, _ := out["token"].(string)
	return tok, nil
}

const benchTenant = "bench"

func newHTTPBench(url string, concurrency int) *httpBench {
	return &httpBench{base: strings.TrimRight(url, "/"), client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: concurrency * 2, MaxIdleConnsPerHost: concurrency * 2}}}
}

// buyers returns an admin token and n buyer tokens of the bench tenant.
func (h *httpBench) buyers(ctx context.Context, prefix string, n int) (admin string, tokens []string, err error) {
	return h.buyersOf(ctx, benchTenant, prefix, n)
}

// buyersOf returns an admin token and n buyer tokens of tenant.
func (h *httpBench) buyersOf(ctx context.Context, tenant, prefix string, n int) (admin string, tokens []string, err error) {
	if admin, err = h.token(ctx, tenant, "bench-ops", "", "admin"); err != nil {
		return "", nil, err
	}
	tokens = make([]string, n)
	for i := range tokens {
		if tokens[i], err = h.token(ctx, tenant, fmt.Sprintf("%s%d", prefix, i), "app", "buyer"); err != nil {
			return "", nil, err
		}
	}
	return admin, tokens, nil
}

// benchSKU creates a SKU of the bench tenant and sets its stock.
func (h *httpBench) benchSKU(ctx context.Context, admin, sku string, stock map[string]any) error {
	if _, _, err := h.call(ctx, "PUT", "/admin/v1/skus/"+sku, admin, map[string]any{"title": "Bench item", "sellerId": "bench-seller",
		"currency": "CNY", "price": 990}); err != nil {
		return err
	}
	_, _, err := h.call(ctx, "PUT", "/admin/v1/skus/"+sku+"/stock", admin, stock)
	return err
}

// benchRun is what a bench places its orders with: buyers of the bench tenant and a fresh SKU
// with ample stock.
type benchRun struct {
	admin  string
	tokens []string
	run    int64 // distinguishes this run's idempotency keys
	sku    string
	body   map[string]any // an order of one unit of sku
}

// prepare makes n buyers and a SKU named after the bench.
func (h *httpBench) prepare(ctx context.Context, name string, n int) (*benchRun, error) {
	return h.prepareFor(ctx, benchTenant, name, n)
}

// prepareFor makes n buyers of tenant and a SKU of its named after the bench.
func (h *httpBench) prepareFor(ctx context.Context, tenant, name string, n int) (*benchRun, error) {
	admin, tokens, err := h.buyersOf(ctx, tenant, name+"-u", n)
	if err != nil {
		return nil, err
	}
	b := &benchRun{admin: admin, tokens: tokens, run: time.Now().UnixNano()}
	b.sku = fmt.Sprintf("%s-%d", name, b.run)
	if err := h.benchSKU(ctx, admin, b.sku, map[string]any{"warehouseId": "wh-" + name, "onHand": 900_000_000}); err != nil {
		return nil, err
	}
	b.body = orderOfOne(b.sku)
	return b, nil
}

// orderOfOne is an order body for one unit of sku.
func orderOfOne(sku string) map[string]any {
	return map[string]any{"flow": "fixed_price", "items": []any{map[string]any{"skuId": sku, "quantity": 1}},
		"address": map[string]any{"name": "Bench", "phone": "13800000000", "province": "Zhejiang", "city": "Hangzhou", "district": "Xihu", "detail": "1 Bench Rd"}}
}

func runPlaceOrderBench(cmd *cobra.Command, f benchFlags) error {
	ctx := cmd.Context()
	out := cmd.ErrOrStderr()
	h := newHTTPBench(f.url, f.concurrency)
	b, err := h.prepare(ctx, "bench", f.concurrency)
	if err != nil {
		return err
	}
	admin, tokens, run, body := b.admin, b.tokens, b.run, b.body
	// With --tenants N, the buyers are spread over N tenants (bench1..benchN, each with its own
	// SKU): on a database of several pods, one tenant per pod.
	bodies := make([]map[string]any, f.concurrency)
	for w := range bodies {
		bodies[w] = body
	}
	if f.tenants > 1 {
		for i := range f.tenants {
			tb, err := h.prepareFor(ctx, fmt.Sprintf("%s%d", benchTenant, i+1), "bench", f.concurrency)
			if err != nil {
				return err
			}
			for w := i; w < f.concurrency; w += f.tenants {
				tokens[w], bodies[w] = tb.tokens[w], tb.body
			}
		}
	}

	profc := make(chan []byte, 1)
	if f.pprofURL != "" {
		go func() {
			secs := max(1, int(f.duration.Seconds())-2)
			resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimRight(f.pprofURL, "/"), secs))
			if err != nil {
				fmt.Fprintln(out, "profile:", err)
				profc <- nil
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			profc <- b
		}()
	}
	platformRes := runPhase("platform", f.concurrency, f.duration, out, func(ctx context.Context, w, seq int) error {
		_, _, err := h.call(ctx, "POST", "/app/v1/orders", tokens[w], bodies[w], "Idempotency-Key", fmt.Sprintf("b%d-%d-%d", run, w, seq))
		return err
	})
	var prof []byte
	if f.pprofURL != "" {
		prof = <-profc
	}

	results := []result{platformRes}
	if f.extensions {
		if err := publishBenchScripts(ctx, h, admin, tokens[0], body); err != nil {
			return fmt.Errorf("publish bench scripts: %w", err)
		}
		results = append(results, runPhase("scripts", f.concurrency, f.duration, out, func(ctx context.Context, w, seq int) error {
			_, _, err := h.call(ctx, "POST", "/app/v1/orders", tokens[w], body, "Idempotency-Key", fmt.Sprintf("s%d-%d-%d", run, w, seq))
			return err
		}))
	}
	if f.floor {
		fl, err := newFloor(ctx, cmd, f.common, run)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		defer fl.close()
		results = append(results, runPhase("floor", f.concurrency, f.duration, out, fl.placeOrder))
	}

	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nplace-order: concurrency %d, %s per phase, one line per order\n", f.concurrency, f.duration)
	fmt.Fprintf(w, "%-9s %10s %10s %10s %8s\n", "phase", "orders/s", "p50", "p99", "errors")
	for _, r := range results {
		fmt.Fprintf(w, "%-9s %10.0f %10s %10s %8d\n", r.name, r.rate(), r.pct(0.50).Round(10*time.Microsecond),
			r.pct(0.99).Round(10*time.Microsecond), r.failed)
		if r.firstErr != "" {
			fmt.Fprintf(w, "          first error: %.200s\n", r.firstErr)
		}
	}
	byName := map[string]result{}
	for _, r := range results {
		byName[r.name] = r
	}
	ratio := func(label, a, b string) {
		ra, okA := byName[a]
		rb, okB := byName[b]
		if okA && okB && rb.rate() > 0 {
			fmt.Fprintf(w, "ratio %s: throughput %.2f, p50 latency %.2fx\n", label, ra.rate()/rb.rate(),
				float64(ra.pct(0.5))/float64(max(1, rb.pct(0.5))))
		}
	}
	ratio("platform/floor", "platform", "floor")
	ratio("scripts/platform (3 script points vs none)", "scripts", "platform")
	if len(prof) > 0 {
		if f.profileOut != "" {
			if err := os.WriteFile(f.profileOut, prof, 0o644); err != nil {
				return err
			}
		}
		if err := summarizeProfile(w, prof); err != nil {
			fmt.Fprintln(w, "profile summary:", err)
		}
	}
	return nil
}

// buckets attribute a sample's leaf function to a part of the stack.
var buckets = []struct{ name, prefix string }{
	{"sqlite (modernc, pure Go)", "modernc.org/"},
	{"mysql driver", "github.com/go-sql-driver/"},
	{"database/sql", "database/sql"},
	{"hertz (HTTP)", "github.com/cloudwego/hertz"},
	{"kitex, netpoll, thrift", "github.com/cloudwego/"},
	{"kitex, netpoll, thrift", "github.com/bytedance/"},
	{"encoding/json", "encoding/json"},
	{"crypto (jwt, hashing)", "crypto/"},
	{"crypto (jwt, hashing)", "github.com/golang-jwt/"},
	{"atrium", "github.com/atriumtrade/"},
	{"syscalls and network", "syscall."},
	{"syscalls and network", "internal/poll"},
	{"syscalls and network", "internal/runtime/syscall"},
	{"syscalls and network", "net."},
	{"runtime: gc and allocation", "runtime.gc"},
	{"runtime: gc and allocation", "runtime.mallocgc"},
	{"runtime: gc and allocation", "runtime.scanobject"},
	{"runtime: gc and allocation", "runtime.(*mspan)"},
	{"runtime: gc and allocation", "runtime.(*mheap)"},
	{"runtime: scheduler and other", "runtime."},
}

// summarizeProfile prints where the CPU went: by part of the stack (the leaf function's package)
// and the heaviest functions.
func summarizeProfile(w io.Writer, raw []byte) error {
	p, err := profile.Parse(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	vi := len(p.SampleType) - 1 // cpu nanoseconds
	byBucket := map[string]int64{}
	byFunc := map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		leaf := "?"
		if len(s.Location) > 0 && len(s.Location[0].Line) > 0 {
			leaf = s.Location[0].Line[0].Function.Name
		}
		byFunc[leaf] += v
		b := "other"
		for _, bk := range buckets {
			if strings.HasPrefix(leaf, bk.prefix) {
				b = bk.name
				break
			}
		}
		byBucket[b] += v
	}
	if total == 0 {
		return errors.New("empty profile")
	}
	print := func(title string, m map[string]int64, n int) {
		type kv struct {
			k string
			v int64
		}
		var kvs []kv
		for k, v := range m {
			kvs = append(kvs, kv{k, v})
		}
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].v > kvs[j].v })
		fmt.Fprintf(w, "\n%s\n", title)
		for i, x := range kvs {
			if i == n {
				break
			}
			fmt.Fprintf(w, "  %5.1f%%  %s\n", 100*float64(x.v)/float64(total), x.k)
		}
	}
	fmt.Fprintf(w, "\nserver CPU profile: %.1fs of CPU samples over %.1fs\n", float64(total)/1e9, float64(p.DurationNanos)/1e9)
	print("by part of the stack (flat):", byBucket, 20)
	print("heaviest functions (flat):", byFunc, 12)
	return nil
}
