package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
)

func auctionBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "auction",
		Short: "Many bidders on one auction in its last seconds, beside place-order, against a running server (serve --demo)",
		Long: `Runs two phases side by side, with the same concurrency and duration, against a running
'atrium serve --demo':

  place-order  POST /app/v1/orders, one line per order, each with its own Idempotency-Key.
  auction      every buyer has paid the deposit of one auction whose close keeps moving (every
               bid lands in its anti-sniping window), and bids on it as fast as it is answered:
               each bid is its last answer's minNextBid plus a little, or sometimes a proxy's
               maximum. A refused bid (outbid by a concurrent one) is an answer like any other.

It prints orders/s and bids/s (accepted and refused), p50 and p99 of each, their ratio, and from
the server's /metrics the bids it refused as outbid without the database and the bids per lock of
the auction.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.concurrency < 1 || f.concurrency > 4096 || f.duration < time.Second {
				return errors.New("--concurrency must be 1..4096 and --duration at least 1s")
			}
			return runAuctionBench(cmd, f)
		},
	}
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "base URL of the running server")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 64, "concurrent buyers and bidders")
	cmd.Flags().DurationVar(&f.duration, "duration", 15*time.Second, "length of each phase")
	return cmd
}

func runAuctionBench(cmd *cobra.Command, f benchFlags) error {
	ctx := cmd.Context()
	out := cmd.ErrOrStderr()
	h := newHTTPBench(f.url, f.concurrency)
	b, err := h.prepare(ctx, "auction", f.concurrency)
	if err != nil {
		return err
	}
	orders := runPhase("place-order", f.concurrency, f.duration, out, func(ctx context.Context, w, seq int) error {
		_, _, err := h.call(ctx, "POST", "/app/v1/orders", b.tokens[w], b.body, "Idempotency-Key", fmt.Sprintf("ao%d-%d-%d", b.run, w, seq))
		return err
	})

	// One auction whose every bid falls in its anti-sniping window, so that it stays open for the
	// phase: the last seconds of an auction, for as long as the phase runs.
	id := fmt.Sprintf("bench-%d", b.run)
	now := time.Now()
	if _, _, err := h.call(ctx, "PUT", "/admin/v1/auctions/"+id, b.admin, map[string]any{"skuId": b.sku, "title": "Bench lot", "currency": "CNY",
		"startPrice": 100, "increments": []any{map[string]any{"from": 0, "step": 1}}, "reservePrice": 100, "deposit": 100,
		"startsAt": now.UnixMilli(), "endsAt": now.Add(time.Minute).UnixMilli(), "antiSnipeSeconds": 3600, "extendSeconds": 60,
		"maxExtensions": 1000, "payWindowSeconds": 3600}); err != nil {
		return fmt.Errorf("put the bench auction: %w", err)
	}
	fmt.Fprintf(out, "paying %d deposits", len(b.tokens))
	for i, tok := range b.tokens {
		_, dep, err := h.call(ctx, "POST", "/app/v1/auctions/"+id+"/deposit", tok, map[string]any{"method": "sandbox",
			"address": orderOfOne("x")["address"]}, "Idempotency-Key", fmt.Sprintf("ad%d-%d", b.run, i))
		if err != nil {
			return fmt.Errorf("deposit: %w", err)
		}
		p, _ := dep["data"].(map[string]any)["payment"].(map[string]any)
		if _, _, err := h.call(ctx, "POST", "/admin/v1/payments/"+fmt.Sprint(p["paymentId"])+"/simulate", b.admin,
			map[string]any{"outcome": "succeeded"}); err != nil {
			return fmt.Errorf("deposit paid: %w", err)
		}
		if i%16 == 15 {
			fmt.Fprint(out, ".")
		}
	}
	fmt.Fprintln(out)
	before, err := h.metrics(ctx, bidMetrics...)
	if err != nil {
		return err
	}
	var accepted, refused atomic.Int64
	next := make([]int64, len(b.tokens)) // each bidder's last known next acceptable bid, in fen
	bids := runPhase("auction", f.concurrency, f.duration, out, func(ctx context.Context, w, seq int) error {
		rng := rand.New(rand.NewPCG(uint64(w), uint64(seq)))
		at := max(next[w], 100) + rng.Int64N(3)
		body := map[string]any{"amount": fmt.Sprintf("%d.%02d", at/100, at%100)}
		if rng.IntN(8) == 0 {
			ceiling := at + rng.Int64N(50)
			body = map[string]any{"maxAmount": fmt.Sprintf("%d.%02d", ceiling/100, ceiling%100)}
		}
		status, resp, err := h.call(ctx, "POST", "/app/v1/auctions/"+id+"/bids", b.tokens[w], body, "Idempotency-Key", fmt.Sprintf("ab%d-%d-%d", b.run, w, seq))
		switch {
		case err == nil:
			accepted.Add(1)
			if d, ok := resp["data"].(map[string]any); ok {
				next[w] = fen(d["minNextBid"])
			}
			return nil
		case status == 409 && (resp["code"] == "auction.bid_too_low" || resp["code"] == "auction.own_bid"):
			refused.Add(1)
			if errs, ok := resp["errors"].([]any); ok && len(errs) > 0 {
				if n, err := strconv.ParseInt(fmt.Sprint(errs[0].(map[string]any)["message"]), 10, 64); err == nil {
					next[w] = n
				}
			}
			return nil
		}
		return err
	})

	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "\nauction: concurrency %d, %s per phase; bids %d accepted and %d refused (outbid meanwhile or own lead)\n",
		f.concurrency, f.duration, accepted.Load(), refused.Load())
	fmt.Fprintf(w, "%-12s %10s %10s %10s %8s\n", "phase", "per second", "p50", "p99", "errors")
	for _, r := range []result{orders, bids} {
		fmt.Fprintf(w, "%-12s %10.0f %10s %10s %8d\n", r.name, r.rate(), r.pct(0.50).Round(10*time.Microsecond),
			r.pct(0.99).Round(10*time.Microsecond), r.failed)
		if r.firstErr != "" {
			fmt.Fprintf(w, "             first error: %.200s\n", r.firstErr)
		}
	}
	if orders.rate() > 0 {
		fmt.Fprintf(w, "ratio bids/orders: throughput %.2f, p99 latency %.2fx\n", bids.rate()/orders.rate(),
			float64(bids.pct(0.99))/float64(max(1, orders.pct(0.99))))
	}
	after, err := h.metrics(ctx, bidMetrics...)
	if err != nil {
		return err
	}
	batches, batched, outbid := after[bidMetrics[0]]-before[bidMetrics[0]], after[bidMetrics[1]]-before[bidMetrics[1]], after[bidMetrics[2]]-before[bidMetrics[2]]
	if batches > 0 {
		fmt.Fprintf(w, "server: %.0f bids refused as outbid on the node; %.0f bids in %.0f transactions, %.1f bids per lock of the auction\n",
			outbid, batched, batches, batched/batches)
	}
	return nil
}

// bidMetrics are the server's counters of bid batches.
var bidMetrics = []string{"atrium_auction_bid_batches_total", "atrium_auction_bids_batched_total", "atrium_auction_bids_outbid_on_node_total"}

// fen reads a decimal money string of the app channel ("105.00") as minor units.
func fen(v any) int64 {
	s := fmt.Sprint(v)
	var whole, frac int64
	if _, err := fmt.Sscanf(s, "%d.%d", &whole, &frac); err != nil {
		return 0
	}
	return whole*100 + frac
}
