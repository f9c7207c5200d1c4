package main

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/atriumtrade/atrium/extensions/scripts"
)

// benchScripts are the examples the scripts phase publishes, one per point.
var benchScripts = []struct{ id, file string }{
	{"bench-member-pricing", "member_pricing.lua"},
	{"bench-nearest-warehouse", "nearest_warehouse.lua"},
	{"bench-split-by-warehouse", "split_by_warehouse.lua"},
}

// publishBenchScripts uploads and publishes the bench scripts for the bench tenant and waits
// until an order records all three: the server reloads publications on an interval.
func publishBenchScripts(ctx context.Context, h *httpBench, admin, buyer string, order map[string]any) error {
	for _, s := range benchScripts {
		src, err := fs.ReadFile(scripts.Demo(), s.file)
		if err != nil {
			return err
		}
		_, v, err := h.call(ctx, "POST", "/admin/v1/extensions/scripts/"+s.id+"/versions", admin, map[string]any{"source": string(src), "notes": "bench"})
		if err != nil {
			return err
		}
		version := v["data"].(map[string]any)["version"]
		if _, _, err := h.call(ctx, "POST", "/admin/v1/extensions/publications", admin, map[string]any{"scope": benchTenant + "/*",
			"scriptId": s.id, "version": version, "grayBasisPoints": 10000}); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, placed, err := h.call(ctx, "POST", "/app/v1/orders", buyer, order)
		if err != nil {
			return err
		}
		orders := placed["data"].(map[string]any)["orders"].([]any)
		orderID := orders[0].(map[string]any)["orderId"].(string)
		_, runs, err := h.call(ctx, "GET", "/admin/v1/orders/"+orderID+"/extension-runs", admin, nil)
		if err != nil {
			return err
		}
		if n := len(runs["data"].(map[string]any)["runs"].([]any)); n >= len(benchScripts) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the server did not apply the bench scripts within 10s")
}
