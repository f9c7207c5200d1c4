package platform_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

// TestAFailedStartClosesWhatItOpened: a trade node whose RPC address is taken fails to start
// after it opened its database, its toggles' watcher and its broker; it closes them again (the
// one cleanup stack), so nothing of it runs on: the goroutines are back where they were, and a
// node started next on the same data directory starts.
func TestAFailedStartClosesWhatItOpened(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := platform.Defaults()
	cfg.DB = sqliteConfig(t)
	cfg.HTTP.JWTSecret = jwtSecret
	cfg.Sandbox.Secret = sandboxSecret
	cfg.Sandbox.CallbackURL = "http://127.0.0.1:1/callbacks/v1/payments/sandbox"
	cfg.RPC.Addr = taken.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The first start also loads what every start loads once per process (the address data).
	if _, err := platform.StartTrade(context.Background(), cfg, log, platform.TradeOptions{}); err == nil || !strings.Contains(err.Error(), "rpc listen") {
		t.Fatalf("a start on a taken address: %v", err)
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		if _, err := platform.StartTrade(context.Background(), cfg, log, platform.TradeOptions{}); err == nil {
			t.Fatal("a start on a taken address succeeded")
		}
	}
	eventually(t, 5*time.Second, "the failed starts' goroutines ended", func() bool { return runtime.NumGoroutine() <= before+2 })
	tr, err := platform.StartTrade(context.Background(), cfg, log, platform.TradeOptions{Listener: listen(t)})
	if err != nil {
		t.Fatalf("a start after the failed ones: %v", err)
	}
	if err := tr.Stop(); err != nil {
		t.Fatal(err)
	}
}
