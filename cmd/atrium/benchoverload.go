package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
)

type overloadFlags struct {
	url         string
	toggles     string
	concurrency int
	duration    time.Duration
	factor      float64
	admit       float64
}

func overloadBenchCmd() *cobra.Command {
	var f overloadFlags
	cmd := &cobra.Command{
		Use:   "overload",
		Short: "Offer several times the measured capacity to a running server and check that Sentinel sheds the excess",
		Long: `Against a running 'atrium serve --demo' whose toggles file this command may write (--toggles-file,
the server's toggles.file; it is restored at the end), in four phases:

  capacity  closed loop: --concurrency buyers place orders as fast as they are answered; its rate
            is the capacity.
  unloaded  open loop at --admit × capacity, no rule: the latency of that rate when nothing
            else arrives.
  overload  a Sentinel flow rule on POST /app/v1/orders admits --admit × capacity (throttling:
            evenly spaced, an order waits at most 5ms for its slot) and orders arrive at --factor × capacity: admitted orders should keep
            about the unloaded latency, the rest get 429 at once, nothing gets a 5xx.
  settle    the rule is lifted and the load stops; the server's goroutines and heap (from its
            /metrics) are compared with before the overload, and the bench SKU's stock with the
            orders that were answered 201.

It prints each phase's rates and latencies by outcome, and the ratios.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.toggles == "" {
				return errors.New("--toggles-file is required: the toggles file the server watches (serve's toggles.file)")
			}
			if f.concurrency < 1 || f.concurrency > 1024 || f.duration < 2*time.Second || f.factor < 1 || f.factor > 50 || f.admit <= 0 || f.admit > 1 {
				return errors.New("--concurrency must be 1..1024, --duration at least 2s, --factor 1..50 and --admit in (0,1]")
			}
			return runOverloadBench(cmd, f)
		},
	}
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "base URL of the running server")
	cmd.Flags().StringVar(&f.toggles, "toggles-file", "configs/toggles.yaml", "the toggles file the server watches")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 16, "concurrent buyers of the capacity phase")
	cmd.Flags().DurationVar(&f.duration, "duration", 10*time.Second, "length of each phase")
	cmd.Flags().Float64Var(&f.factor, "factor", 5, "offered load of the overload phase, in multiples of the capacity")
	cmd.Flags().Float64Var(&f.admit, "admit", 0.7, "rate the flow rule admits, as a share of the capacity")
	return cmd
}

// openResult is one open-loop phase: every request's latency, by outcome.
type openResult struct {
	name     string
	offered  int64
	elapsed  time.Duration
	mu       sync.Mutex
	byStatus map[int][]time.Duration
	errors   int64
}

func (r *openResult) add(status int, d time.Duration) {
	r.mu.Lock()
	r.byStatus[status] = append(r.byStatus[status], d)
	r.mu.Unlock()
}

func (r *openResult) count(status int) int { return len(r.byStatus[status]) }

func (r *openResult) pct(status int, p float64) time.Duration {
	l := r.byStatus[status]
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// openLoop sends requests at rate per second for d whatever the answers (as buyers do during a
// peak), each on its own goroutine, and records every answer.
func openLoop(name string, rate float64, d time.Duration, out io.Writer, send func(ctx context.Context, seq int) (int, error)) *openResult {
	r := &openResult{name: name, byStatus: map[int][]time.Duration{}}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second) // answers still due when the phase ends
	defer cancel()
	var wg sync.WaitGroup
	var seq atomic.Int64
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	nextReport := time.Second
	for now := range tick.C {
		el := now.Sub(start)
		if el >= d {
			break
		}
		due := int(rate * el.Seconds())
		for ; sent < due; sent++ {
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				t0 := time.Now()
				status, err := send(ctx, n)
				if err != nil && status == 0 {
					atomic.AddInt64(&r.errors, 1)
					return
				}
				r.add(status, time.Since(t0))
			}(int(seq.Add(1)))
		}
		if el >= nextReport {
			nextReport += time.Second
			r.mu.Lock()
			fmt.Fprintf(out, "\r%-9s [%4.1fs/%s] offered %6.0f/s  201: %7d  429: %7d  5xx: %d   ", name, el.Seconds(), d, rate,
				len(r.byStatus[201]), len(r.byStatus[429]), r.fiveXX())
			r.mu.Unlock()
		}
	}
	r.offered = int64(sent)
	wg.Wait()
	r.elapsed = time.Since(start)
	for _, l := range r.byStatus {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	fmt.Fprintf(out, "\r%-9s done: %d sent, %d answered 201, %d 429%40s\n", name, sent, r.count(201), r.count(429), "")
	return r
}

// fiveXX counts the answers that were server errors (hold r.mu while the phase runs).
func (r *openResult) fiveXX() int {
	n := 0
	for s, l := range r.byStatus {
		if s >= 500 {
			n += len(l)
		}
	}
	return n
}

// serverGauges reads the server's goroutines and heap in use from its /metrics.
func serverGauges(ctx context.Context, h *httpBench) (goroutines, heap float64, err error) {
	m, err := h.metrics(ctx, "go_goroutines", "go_memstats_heap_inuse_bytes")
	return m["go_goroutines"], m["go_memstats_heap_inuse_bytes"], err
}

func runOverloadBench(cmd *cobra.Command, f overloadFlags) error {
	ctx := cmd.Context()
	out := cmd.ErrOrStderr()
	original, err := os.ReadFile(f.toggles)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, line := range strings.Split(string(original), "\n") {
		if strings.HasPrefix(line, "sentinel:") || strings.HasPrefix(line, "sentinel.flowRules:") {
			return fmt.Errorf("%s sets Sentinel rules of its own; point --toggles-file at a file without them", f.toggles)
		}
	}
	restore := func() error {
		if original == nil {
			return os.Remove(f.toggles)
		}
		return writeAtomically(f.toggles, original)
	}
	defer restore()

	h := newHTTPBench(f.url, 2048)
	b, err := h.prepare(ctx, "overload", f.concurrency)
	if err != nil {
		return err
	}
	admin, tokens, run, sku, body := b.admin, b.tokens, b.run, b.sku, b.body
	var created atomic.Int64
	place := func(ctx context.Context, token, key string) (int, error) {
		// An order still in flight when a phase ends is let finish, so that every order the
		// server placed is one this bench saw answered 201.
		status, _, err := h.call(context.WithoutCancel(ctx), "POST", "/app/v1/orders", token, body, "Idempotency-Key", key)
		if status == 201 {
			created.Add(1)
		}
		return status, err
	}

	capRes := runPhase("capacity", f.concurrency, f.duration, out, func(ctx context.Context, w, seq int) error {
		_, err := place(ctx, tokens[w], fmt.Sprintf("oc%d-%d-%d", run, w, seq))
		return err
	})
	capacity := capRes.rate()
	if capacity <= 0 {
		return fmt.Errorf("no order succeeded in the capacity phase: %s", capRes.firstErr)
	}
	admitRate := f.admit * capacity
	time.Sleep(2 * time.Second)
	unloaded := openLoop("unloaded", admitRate, f.duration, out, func(ctx context.Context, n int) (int, error) {
		return place(ctx, tokens[n%len(tokens)], fmt.Sprintf("ou%d-%d", run, n))
	})

	h.client.CloseIdleConnections() // the server's goroutines are counted without this bench's idle connections
	time.Sleep(2 * time.Second)
	g0, heap0, err := serverGauges(ctx, h)
	if err != nil {
		return err
	}
	rule := fmt.Sprintf(`[{"resource":"POST /app/v1/orders","threshold":%.0f,"controlBehavior":1,"maxQueueingTimeMs":5,"statIntervalInMs":1000}]`, admitRate)
	if err := writeAtomically(f.toggles, []byte(fmt.Sprintf("%s\nsentinel:\n  flowRules: '%s'\n", original, rule))); err != nil {
		return err
	}
	if err := waitForToggle(ctx, h, admin, "sentinel.flowRules", rule); err != nil {
		return err
	}
	over := openLoop("overload", f.factor*capacity, f.duration, out, func(ctx context.Context, n int) (int, error) {
		return place(ctx, tokens[n%len(tokens)], fmt.Sprintf("oo%d-%d", run, n))
	})
	if err := restore(); err != nil {
		return err
	}
	h.client.CloseIdleConnections()
	time.Sleep(3 * time.Second) // closed connections end on the server, timers and batches drain
	g1, heap1, err := serverGauges(ctx, h)
	if err != nil {
		return err
	}
	_, st, err := h.call(ctx, "GET", "/admin/v1/skus/"+sku+"/stock", admin, nil)
	if err != nil {
		return err
	}
	var reserved float64
	if ws, _ := st["data"].(map[string]any)["warehouses"].([]any); len(ws) == 1 {
		reserved, _ = ws[0].(map[string]any)["reserved"].(float64)
	}

	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\noverload: capacity measured with %d buyers; overload offers %.1fx capacity, the rule admits %.2fx; %s per phase\n",
		f.concurrency, f.factor, f.admit, f.duration)
	fmt.Fprintf(w, "capacity  %8.0f orders/s   p50 %8s  p99 %8s  errors %d\n", capacity, capRes.pct(0.5).Round(10*time.Microsecond),
		capRes.pct(0.99).Round(10*time.Microsecond), capRes.failed)
	for _, r := range []*openResult{unloaded, over} {
		fmt.Fprintf(w, "%-9s offered %8.0f/s  admitted %8.0f/s  p50 %8s  p99 %8s | 429: %7d  p50 %8s  p99 %8s | 5xx %d, no answer %d\n",
			r.name, float64(r.offered)/r.elapsed.Seconds(), float64(r.count(201))/r.elapsed.Seconds(),
			r.pct(201, 0.5).Round(10*time.Microsecond), r.pct(201, 0.99).Round(10*time.Microsecond),
			r.count(429), r.pct(429, 0.5).Round(10*time.Microsecond), r.pct(429, 0.99).Round(10*time.Microsecond), r.fiveXX(), r.errors)
		var other []string
		for s := range r.byStatus {
			if s != 201 && s != 429 {
				other = append(other, fmt.Sprintf("%d×%d", s, len(r.byStatus[s])))
			}
		}
		if len(other) > 0 {
			fmt.Fprintf(w, "          other answers: %s\n", strings.Join(other, " "))
		}
	}
	if p := unloaded.pct(201, 0.99); p > 0 {
		fmt.Fprintf(w, "ratio admitted p99 overload/unloaded: %.2f (target ≤ 2)\n", float64(over.pct(201, 0.99))/float64(p))
	}
	fmt.Fprintf(w, "server goroutines: %.0f before the overload, %.0f after (%+.0f); heap in use %.1f MB → %.1f MB (%.2fx)\n",
		g0, g1, g1-g0, heap0/1e6, heap1/1e6, heap1/max(heap0, 1))
	fmt.Fprintf(w, "stock reserved on the bench SKU: %.0f; orders answered 201: %d (%s)\n", reserved, created.Load(),
		map[bool]string{true: "consistent", false: "INCONSISTENT"}[reserved == float64(created.Load())])
	return nil
}

func writeAtomically(path string, b []byte) error {
	tmp := path + ".bench-tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// waitForToggle waits until the server shows key at value (it reloads its toggles file).
func waitForToggle(ctx context.Context, h *httpBench, admin, key, value string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, view, err := h.call(ctx, "GET", "/admin/v1/toggles", admin, nil)
		if err != nil {
			return err
		}
		data, _ := view["data"].(map[string]any)
		list, _ := data["toggles"].([]any)
		for _, e := range list {
			if e, _ := e.(map[string]any); e["key"] == key && e["value"] == value {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the server did not load %s from the toggles file within 10s (is --toggles-file the file it watches?)", key)
}
