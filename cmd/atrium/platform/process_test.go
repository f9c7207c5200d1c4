package platform_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// buildAtrium builds the atrium binary into a temporary directory.
func buildAtrium(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "atrium")
	build := exec.Command("go", "build", "-o", bin, "./cmd/atrium")
	build.Dir = filepath.Join("..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build atrium: %v\n%s", err, out)
	}
	return bin
}

// TestPublishReachesASecondProcess runs a second atrium server as its own OS process on the same
// SQLite database, with the default reload interval, and checks that a publish and a rollback made
// through the first server change the second one's prices within 2 s.
func TestPublishReachesASecondProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	bin := buildAtrium(t)
	db := sqliteConfig(t)
	a := start(t, db, &clock{t: time.Now()})
	admin := a.token("demo", "ops", "", "admin")
	a.seed(admin, "tea", "s1", 12800, 50)

	httpAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := exec.CommandContext(ctx, bin, "serve", "--data-dir", db.DataDir, "--http-addr", httpAddr, "--rpc-addr", freeAddr(t))
	b.Env = append(os.Environ(), "ATRIUM_HTTP_JWTSECRET="+jwtSecret, "ATRIUM_HTTP_DEVMODE=true",
		"ATRIUM_SANDBOX_SECRET="+sandboxSecret, "ATRIUM_NODE_ID=9", "ATRIUM_EXTENSIONS_WALL="+testWall.String())
	logs := filepath.Join(t.TempDir(), "b.log")
	lf, _ := os.Create(logs)
	b.Stdout, b.Stderr = lf, lf
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = b.Process.Signal(syscall.SIGTERM)
		_ = b.Wait()
		lf.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logs)
			t.Logf("second process log:\n%s", out)
		}
	}()
	second := &stack{t: t, base: "http://" + httpAddr, http: a.http}
	eventually(t, 20*time.Second, "second process ready", func() bool {
		r, err := http.Get(second.base + "/readyz")
		if err == nil {
			r.Body.Close()
		}
		return err == nil && r.StatusCode == 200
	})
	gold := second.tokenWith(map[string]string{"tenant": "demo", "userId": "g1", "channel": "app", "role": "buyer", "memberLevel": "gold"})
	quote := func() string {
		q := must(t, second.do("POST", "/app/v1/quotes", gold, map[string]any{"items": []any{item("tea", 1)}}), 200, "quote on the second process").data()
		return fmt.Sprint(q["total"])
	}
	if got := quote(); got != "128.00" {
		t.Fatalf("before publishing: %s", got)
	}

	a.publish(admin, "member-pricing", example(t, "member_pricing.lua"), "demo/*")
	published := time.Now()
	eventually(t, 2*time.Second, "publish visible on the second process", func() bool { return quote() == "115.20" })
	t.Logf("publish visible on the second process after %s", time.Since(published).Round(time.Millisecond))

	must(t, a.do("POST", "/admin/v1/extensions/publications/rollback", admin, map[string]any{"scope": "demo/*", "point": "pricing.unit_price"}), 200, "rollback")
	rolledBack := time.Now()
	eventually(t, 2*time.Second, "rollback visible on the second process", func() bool { return quote() == "128.00" })
	t.Logf("rollback visible on the second process after %s", time.Since(rolledBack).Round(time.Millisecond))
}
