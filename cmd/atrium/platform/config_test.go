package platform_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

// TestShippedConfigLoads: configs/atrium.yaml names only keys that exist (Load refuses unknown
// ones) and says what the defaults are, and an environment variable overrides it.
func TestShippedConfigLoads(t *testing.T) {
	t.Setenv("ATRIUM_HTTP_MAXBODY", "2048")
	cfg, err := platform.Load("../../../configs/atrium.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.MaxBody != 2048 {
		t.Fatalf("http.maxBody %d; want the environment's 2048", cfg.HTTP.MaxBody)
	}
	os.Unsetenv("ATRIUM_HTTP_MAXBODY") // t.Setenv puts it back as it was
	if cfg, err = platform.Load("../../../configs/atrium.yaml"); err != nil || cfg.HTTP.MaxBody != gateway.DefaultMaxBody {
		t.Fatalf("http.maxBody %d, %v; want the file's %d", cfg.HTTP.MaxBody, err, gateway.DefaultMaxBody)
	}
	cfg.HTTP.JWTSecret = "0123456789abcdef0123456789abcdef"
	for _, bad := range []int{100, 65<<20 + 1} {
		cfg.HTTP.MaxBody = bad
		if cfg.HTTP.Validate() == nil {
			t.Errorf("http.maxBody %d validated", bad)
		}
	}
}

// TestAuditConfig: the audit section's inline bounds load from the file and from the
// environment like any other key, and a bound that is not positive is refused.
func TestAuditConfig(t *testing.T) {
	t.Setenv("ATRIUM_AUDIT_RELAYLAG", "3m")
	t.Setenv("ATRIUM_AUDIT_INTERVAL", "30s")
	cfg, err := platform.Load("../../../configs/atrium.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Audit.RelayLag != 3*time.Minute || cfg.Audit.Interval != 30*time.Second || cfg.Audit.RefundGrace != time.Hour {
		t.Fatalf("audit: %+v", cfg.Audit)
	}
	if err := cfg.Audit.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Audit.TimerGrace = 0
	if err := cfg.Audit.Validate(); err == nil || !strings.Contains(err.Error(), "timerGrace") {
		t.Fatalf("timerGrace 0: %v", err)
	}
	cfg.Audit.TimerGrace, cfg.Audit.Interval = time.Minute, -time.Second
	if err := cfg.Audit.Validate(); err == nil {
		t.Fatal("a negative interval validated")
	}
}

// TestLogFormats: log.format picks text or JSON lines, log.level filters, and anything else is
// a configuration error.
func TestLogFormats(t *testing.T) {
	var b strings.Builder
	log, err := platform.LogConfig{Format: "json", Level: "warn"}.Logger(&b)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "tenant", "acme")
	var line map[string]any
	if err := json.Unmarshal([]byte(b.String()), &line); err != nil || line["msg"] != "shown" || line["tenant"] != "acme" || line["level"] != "WARN" {
		t.Fatalf("json log: %q %v", b.String(), err)
	}
	for _, bad := range []platform.LogConfig{{Format: "xml"}, {Level: "loud"}} {
		cfg := platform.Defaults()
		cfg.Log = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "log:") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
