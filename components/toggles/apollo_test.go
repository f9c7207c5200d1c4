package toggles_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/components/toggles/apollotest"
)

func declared() (*toggles.Toggles, toggles.Duration, toggles.Bool) {
	tg := toggles.New(nil)
	return tg, tg.Duration("trade.unpaidWindow", "unpaid window", 30*time.Minute, time.Second, 7*24*time.Hour),
		tg.Bool("cod.enabled", "COD on", true, true)
}

func entry(t *testing.T, tg *toggles.Toggles, key string) toggles.Entry {
	t.Helper()
	for _, e := range tg.Snapshot() {
		if e.Key == key {
			return e
		}
	}
	t.Fatalf("no toggle %s", key)
	return toggles.Entry{}
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestApolloReleasesReachTheToggles runs agollo against an in-process Apollo: the current release
// is applied before WatchApollo returns, a new release within the long poll, a bad value is
// rejected while the rest of its release applies, and with Apollo gone a restart starts from the
// backup with the release key it had.
func TestApolloReleasesReachTheToggles(t *testing.T) {
	apollo := apollotest.New("atrium", "default", "s3cret")
	apollo.Hold = 5 * time.Second
	first := apollo.Publish("application", map[string]string{"trade.unpaidWindow": "10m"})
	apollo.Publish("trade.shared", map[string]string{"trade.unpaidWindow": "1h", "tenants.acme.cod.enabled": "false"})
	url, err := apollo.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer apollo.Stop()
	cfg := toggles.ApolloConfig{Server: url, AppID: "atrium", Secret: "s3cret", BackupDir: t.TempDir(),
		Namespaces: []string{"application", "trade.shared"}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tg, window, cod := declared()
	if err := tg.WatchApollo(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// The first namespace that sets a key wins; the second still sets what the first does not.
	if window.Value() != 10*time.Minute || cod.For("acme") || !cod.For("globex") {
		t.Fatalf("start: window %s, acme COD %v", window.Value(), cod.For("acme"))
	}
	if e := entry(t, tg, "trade.unpaidWindow"); e.Source != toggles.Apollo {
		t.Fatalf("source %+v", e)
	}
	eventually(t, 5*time.Second, "the release key of the first release", func() bool {
		return entry(t, tg, "trade.unpaidWindow").Release == "application@"+first
	})

	// agollo waits 2s between long polls; a release published while one is held arrives at once.
	eventually(t, 5*time.Second, "a long poll held by the server", func() bool { return apollo.Held() > 0 })
	second := apollo.Publish("application", map[string]string{"trade.unpaidWindow": "5m"})
	took := eventually(t, 2*time.Second, "a new release", func() bool { return window.Value() == 5*time.Minute })
	t.Logf("a release reached the toggles in %s", took)
	eventually(t, time.Second, "its release key", func() bool {
		return entry(t, tg, "trade.unpaidWindow").Release == "application@"+second
	})

	// A bad release: its bad value is rejected and counted, the old one stays; its good one applies.
	apollo.Publish("application", map[string]string{"trade.unpaidWindow": "forever", "cod.enabled": "false"})
	eventually(t, 3*time.Second, "the good value of a bad release", func() bool { return !cod.Value() })
	if window.Value() != 5*time.Minute || tg.Rejected() == 0 {
		t.Fatalf("bad release: window %s, rejected %d", window.Value(), tg.Rejected())
	}
	apollo.Publish("application", map[string]string{"trade.unpaidWindow": "5m", "cod.enabled": "false"})
	third := apollo.Publish("application", map[string]string{"trade.unpaidWindow": "7m", "cod.enabled": "false"})
	eventually(t, 3*time.Second, "a release after the bad one", func() bool { return window.Value() == 7*time.Minute })

	// Apollo goes away: the values stay, once agollo has polled it and been refused.
	polls := apollo.Requests("/notifications")
	apollo.Break()
	eventually(t, 15*time.Second, "a poll refused by the broken Apollo", func() bool { return apollo.Requests("/notifications") > polls })
	if window.Value() != 7*time.Minute || cod.Value() {
		t.Fatalf("after Apollo went away: %s %v", window.Value(), cod.Value())
	}
	apollo.Stop()
	cancel()

	// A restart while Apollo is down starts from the backup, release key included, at once.
	tg2, window2, cod2 := declared()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	cfg.StartTimeout = 200 * time.Millisecond
	start := time.Now()
	if err := tg2.WatchApollo(ctx2, cfg); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("start-up with Apollo down took %s", time.Since(start))
	}
	if window2.Value() != 7*time.Minute || cod2.Value() || cod2.For("acme") {
		t.Fatalf("restart from the backup: %s %v %v", window2.Value(), cod2.Value(), cod2.For("acme"))
	}
	if e := entry(t, tg2, "trade.unpaidWindow"); e.Source != toggles.Apollo || !strings.HasSuffix(e.Release, third) {
		t.Fatalf("restart from the backup: %+v", e)
	}
}

func TestApolloConfigIsChecked(t *testing.T) {
	tg, _, _ := declared()
	for _, c := range []toggles.ApolloConfig{
		{Server: "", AppID: "a", BackupDir: t.TempDir()},
		{Server: "apollo:8080", AppID: "a", BackupDir: t.TempDir()},
		{Server: "http://apollo:8080", BackupDir: t.TempDir()},
		{Server: "http://apollo:8080", AppID: "a", Namespaces: []string{"a,b"}, BackupDir: t.TempDir()},
		{Server: "http://apollo:8080", AppID: "a"},
	} {
		if err := tg.WatchApollo(context.Background(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestApolloSignsRequests: with a secret the server requires, a client without it gets nothing
// (and starts from the defaults), one with it gets the release.
func TestApolloSignsRequests(t *testing.T) {
	apollo := apollotest.New("atrium", "default", "s3cret")
	apollo.Publish("application", map[string]string{"trade.unpaidWindow": "10m"})
	url, err := apollo.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer apollo.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tg, window, _ := declared()
	if err := tg.WatchApollo(ctx, toggles.ApolloConfig{Server: url, AppID: "atrium", Secret: "wrong", BackupDir: t.TempDir(), StartTimeout: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if window.Value() != 30*time.Minute {
		t.Fatalf("a wrongly signed client read the release: %s", window.Value())
	}
}
