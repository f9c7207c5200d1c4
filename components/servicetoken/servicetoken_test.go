package servicetoken_test

import (
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/servicetoken"
)

var (
	k1 = servicetoken.Key{ID: "k1", Secret: "first-secret-0123456789abcdefghij"}
	k2 = servicetoken.Key{ID: "k2", Secret: "second-secret-0123456789abcdefghi"}
)

func signer(t *testing.T, audience string, now time.Time, keys ...servicetoken.Key) *servicetoken.Signer {
	t.Helper()
	s, err := servicetoken.NewSigner(servicetoken.Config{Keys: keys}, "access-1", audience)
	if err != nil {
		t.Fatal(err)
	}
	return s.WithClock(func() time.Time { return now })
}

func TestTokens(t *testing.T) {
	now := time.Now()
	v, err := servicetoken.NewVerifier(servicetoken.Config{Keys: []servicetoken.Key{k2, k1}}, "atrium.trade")
	if err != nil {
		t.Fatal(err)
	}
	caller := servicetoken.Claims{Tenant: "acme", User: "u1", Role: "buyer", Channel: "app"}
	sign := func(s *servicetoken.Signer) string {
		tok, err := s.Sign(caller)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, c := range []struct {
		name, token, reason string
	}{
		{"signed with the old key", sign(signer(t, "atrium.trade", now, k1)), ""},
		{"signed with the new key", sign(signer(t, "atrium.trade", now, k2, k1)), ""},
		{"none", "", servicetoken.ReasonMissing},
		{"expired", sign(signer(t, "atrium.trade", now.Add(-time.Minute), k1)), servicetoken.ReasonExpired},
		{"from the future", sign(signer(t, "atrium.trade", now.Add(time.Minute), k1)), servicetoken.ReasonExpired},
		{"another key", sign(signer(t, "atrium.trade", now, servicetoken.Key{ID: "k1", Secret: "not-the-secret-0123456789abcdefgh"})), servicetoken.ReasonSignature},
		{"an unknown key", sign(signer(t, "atrium.trade", now, servicetoken.Key{ID: "k9", Secret: "unknown-secret-0123456789abcdefgh"})), servicetoken.ReasonSignature},
		{"another audience", sign(signer(t, "atrium.other", now, k1)), servicetoken.ReasonAudience},
		{"not a token", "not.a.token", servicetoken.ReasonMalformed},
	} {
		got, err := v.Verify(c.token)
		if c.reason == "" {
			if err != nil || got.Tenant != "acme" || got.User != "u1" || got.Role != "buyer" || got.Channel != "app" || got.Issuer != "access-1" {
				t.Errorf("%s: %+v, %v; want the caller", c.name, got, err)
			}
			continue
		}
		var r *servicetoken.Refusal
		if !errors.As(err, &r) || r.Reason != c.reason || !errors.Is(err, servicetoken.ErrInvalid) {
			t.Errorf("%s: %v; want refused for %s", c.name, err, c.reason)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  servicetoken.Config
		ok   bool
	}{
		{"none", servicetoken.Config{}, true},
		{"two", servicetoken.Config{Keys: []servicetoken.Key{k1, k2}, TTL: 5 * time.Second}, true},
		{"short secret", servicetoken.Config{Keys: []servicetoken.Key{{ID: "k", Secret: "short"}}}, false},
		{"no id", servicetoken.Config{Keys: []servicetoken.Key{{Secret: k1.Secret}}}, false},
		{"twice", servicetoken.Config{Keys: []servicetoken.Key{k1, k1}}, false},
		{"long ttl", servicetoken.Config{Keys: []servicetoken.Key{k1}, TTL: time.Hour}, false},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v; want ok %v", c.name, err, c.ok)
		}
	}
}
