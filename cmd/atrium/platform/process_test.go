package platform_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	return freeAddrs(t, 1)[0]
}

// freeAddrs returns n distinct free loopback addresses: all are held open until each is known,
// so that two of them are never the same port freed and handed out again.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		ln := listen(t)
		defer ln.Close()
		out[i] = ln.Addr().String()
	}
	return out
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildAtrium builds the atrium binary once for the test binary's run.
func buildAtrium(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "atrium-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "atrium")
		build := exec.Command("go", "build", "-o", built.bin, "./cmd/atrium")
		build.Dir = filepath.Join("..", "..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatalf("build atrium: %v", built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// process is `atrium serve` running as its own OS process on a data directory.
type process struct {
	*stack
	cmd  *exec.Cmd
	out  *os.File
	done chan error
}

// startServe runs `atrium serve` with args on dataDir and waits until it answers /readyz.
func startServe(t *testing.T, dataDir string, args ...string) *process {
	t.Helper()
	return startServeEnv(t, dataDir, nil, args...)
}

// startServeEnv is startServe with more environment variables (ATRIUM_... settings).
func startServeEnv(t *testing.T, dataDir string, env []string, args ...string) *process {
	t.Helper()
	bin := buildAtrium(t)
	addrs := freeAddrs(t, 2)
	httpAddr := addrs[0]
	cmd := exec.Command(bin, append([]string{"serve", "--data-dir", dataDir, "--http-addr", httpAddr, "--rpc-addr", addrs[1]}, args...)...)
	cmd.Env = append(os.Environ(), "ATRIUM_HTTP_JWTSECRET="+jwtSecret, "ATRIUM_HTTP_DEVMODE=true",
		"ATRIUM_SANDBOX_SECRET="+sandboxSecret, "ATRIUM_NODE_ID=9", "ATRIUM_EXTENSIONS_WALL="+testWall.String())
	cmd.Env = append(cmd.Env, env...)
	out, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{stack: &stack{t: t, base: "http://" + httpAddr, http: &http.Client{Timeout: 30 * time.Second}}, cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("atrium serve %v printed:\n%s", args, p.printed())
		}
	})
	eventually(t, 30*time.Second, "atrium serve ready", func() bool {
		r, err := http.Get(p.base + "/readyz")
		if err == nil {
			r.Body.Close()
		}
		return err == nil && r.StatusCode == 200
	})
	return p
}

func (p *process) printed() string {
	b, _ := os.ReadFile(p.out.Name())
	return string(b)
}

// term sends SIGTERM and returns how the process exited (nil: status 0).
func (p *process) term(t *testing.T) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("atrium serve still running 30 s after SIGTERM")
		return nil
	}
}

// TestPublishReachesASecondProcess runs a second atrium server as its own OS process on the same
// SQLite database, with the default reload interval, and checks that a publish and a rollback made
// through the first server change the second one's prices within 2 s.
func TestPublishReachesASecondProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the atrium binary")
	}
	db := sqliteConfig(t)
	a := start(t, db, &clock{t: time.Now()})
	admin := a.token("demo", "ops", "", "admin")
	a.seed(admin, "tea", "s1", 12800, 50)
	second := startServe(t, db.DataDir)
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
