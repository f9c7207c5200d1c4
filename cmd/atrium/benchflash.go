package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type flashFlags struct {
	url         string
	concurrency int
	duration    time.Duration
	rounds      int
}

func flashSaleBenchCmd() *cobra.Command {
	var f flashFlags
	cmd := &cobra.Command{
		Use:   "flash-sale",
		Short: "Orders on one hot SKU: hot-SKU mode vs the plain row-lock path, side by side",
		Long: `Many buyers order one unit at a time of a single SKU through the full HTTP path of a
running 'atrium serve --demo' (Hertz → Kitex → flow → database), in two phases of equal
concurrency and duration, each on a fresh SKU with ample stock:

  row-lock  the SKU's level is plain: each order reserves in its own transaction, so every order
            updates the one stock row and holds its lock until that order commits.
  hot       the level is hot: reservations of concurrent orders are written together in one
            short transaction per batch, and each order's transaction only attaches its own.

With --rounds above 1 the phases alternate (row-lock, hot, row-lock, ...) and the figures are
summed per mode, which evens out a shared machine's drift. It prints orders/s, p50 and p99 per
phase, the hot/row-lock ratios, and from the server's /metrics how many orders each stock-row
lock served in the hot phase.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.concurrency < 1 || f.concurrency > 4096 || f.duration < time.Second || f.rounds < 1 || f.rounds > 10 {
				return errors.New("--concurrency must be 1..4096, --duration at least 1s and --rounds 1..10")
			}
			return runFlashSaleBench(cmd, f)
		},
	}
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "base URL of the running server")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 500, "concurrent buyers")
	cmd.Flags().DurationVar(&f.duration, "duration", 20*time.Second, "length of each phase")
	cmd.Flags().IntVar(&f.rounds, "rounds", 1, "pairs of phases to run, alternating")
	return cmd
}

func runFlashSaleBench(cmd *cobra.Command, f flashFlags) error {
	ctx := cmd.Context()
	out := cmd.ErrOrStderr()
	h := newHTTPBench(f.url, f.concurrency)
	admin, tokens, err := h.buyers(ctx, "flash-u", f.concurrency)
	if err != nil {
		return err
	}
	run := time.Now().UnixNano()
	modes := map[string]*result{}
	var batches, reservations float64
	for round := 0; round < f.rounds; round++ {
		for _, hot := range []bool{false, true} {
			name := "row-lock"
			if hot {
				name = "hot"
			}
			sku := fmt.Sprintf("flash-%d-%s-%d", run, name, round)
			if err := h.benchSKU(ctx, admin, sku, map[string]any{"warehouseId": "wh-flash", "onHand": 900_000_000, "hot": hot}); err != nil {
				return err
			}
			body := orderOfOne(sku)
			b0, r0, _ := hotCounters(ctx, h)
			res := runPhase(name, f.concurrency, f.duration, out, func(ctx context.Context, w, seq int) error {
				_, _, err := h.call(ctx, "POST", "/app/v1/orders", tokens[w], body, "Idempotency-Key", fmt.Sprintf("f%d-%s%d-%d-%d", run, name, round, w, seq))
				return err
			})
			if hot {
				if b1, r1, err := hotCounters(ctx, h); err == nil {
					batches += b1 - b0
					reservations += r1 - r0
				}
			}
			if m := modes[name]; m == nil {
				modes[name] = &res
			} else {
				m.ok += res.ok
				m.failed += res.failed
				m.elapsed += res.elapsed
				m.latencies = mergeSorted(m.latencies, res.latencies)
				if m.firstErr == "" {
					m.firstErr = res.firstErr
				}
			}
		}
	}

	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nflash-sale: one SKU, %d concurrent buyers ordering 1 unit each, %d round(s) of %s per mode\n", f.concurrency, f.rounds, f.duration)
	fmt.Fprintf(w, "%-9s %10s %10s %10s %8s\n", "mode", "orders/s", "p50", "p99", "errors")
	for _, name := range []string{"row-lock", "hot"} {
		r := modes[name]
		fmt.Fprintf(w, "%-9s %10.0f %10s %10s %8d\n", name, r.rate(), r.pct(0.50).Round(10*time.Microsecond),
			r.pct(0.99).Round(10*time.Microsecond), r.failed)
		if r.firstErr != "" {
			fmt.Fprintf(w, "          first error: %.200s\n", r.firstErr)
		}
	}
	rl, hot := modes["row-lock"], modes["hot"]
	if rl.rate() > 0 {
		fmt.Fprintf(w, "ratio hot/row-lock: throughput %.2fx, p99 latency %.2fx\n", hot.rate()/rl.rate(),
			float64(hot.pct(0.99))/float64(max(1, rl.pct(0.99))))
	}
	if batches > 0 {
		fmt.Fprintf(w, "hot: %.0f reservations in %.0f batches, %.1f orders per stock-row lock (row-lock: 1)\n",
			reservations, batches, reservations/batches)
	}
	return nil
}

// hotCounters reads the hot-batch counters from the server's /metrics.
func hotCounters(ctx context.Context, h *httpBench) (batches, reservations float64, err error) {
	m, err := h.metrics(ctx, "atrium_inventory_hot_batches_total", "atrium_inventory_hot_reservations_total")
	return m["atrium_inventory_hot_batches_total"], m["atrium_inventory_hot_reservations_total"], err
}

// metrics reads the values of unlabelled metrics from the server's /metrics.
func (h *httpBench) metrics(ctx context.Context, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", h.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && want[name] {
			out[name], _ = strconv.ParseFloat(value, 64)
		}
	}
	return out, sc.Err()
}

func mergeSorted(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return append(append(out, a[i:]...), b[j:]...)
}
