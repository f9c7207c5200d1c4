package platform_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signRaw signs claims exactly as given (so a claim can have a type no issuer would give it).
func signRaw(t *testing.T, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims)).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokenDatesAreStrict: exp must be a number, and a token issued (iat) or valid (nbf) only
// in the future, beyond the 30 s leeway, is refused.
func TestTokenDatesAreStrict(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	now := time.Now().Unix()
	base := func() map[string]any {
		return map[string]any{"iss": "atrium", "sub": "u1", "tenant": "acme", "channel": "app", "role": "buyer", "iat": now, "exp": now + 3600}
	}
	ok := base()
	if r := s.do("GET", "/app/v1/orders", signRaw(t, ok), nil); r.status != 200 {
		t.Fatalf("a well-formed token: got %d %s", r.status, r.raw)
	}
	skew := base()
	skew["iat"] = now + 10 // within the leeway: clocks disagree a little
	if r := s.do("GET", "/app/v1/orders", signRaw(t, skew), nil); r.status != 200 {
		t.Fatalf("iat 10 s ahead: got %d %s", r.status, r.raw)
	}
	for name, change := range map[string]func(map[string]any){
		"exp as a string":    func(c map[string]any) { c["exp"] = "9999999999" },
		"iat in the future":  func(c map[string]any) { c["iat"] = now + 3600 },
		"nbf in the future":  func(c map[string]any) { c["nbf"] = now + 3600 },
		"iat as a string":    func(c map[string]any) { c["iat"] = "1" },
		"no exp":             func(c map[string]any) { delete(c, "exp") },
		"exp passed":         func(c map[string]any) { c["exp"] = now - 3600 },
		"another issuer":     func(c map[string]any) { c["iss"] = "elsewhere" },
		"exp as a bool":      func(c map[string]any) { c["exp"] = true },
		"nbf as a string":    func(c map[string]any) { c["nbf"] = "0" },
		"exp as a fraction":  func(c map[string]any) { c["exp"] = "1e12" },
		"payload not object": nil,
	} {
		var tok string
		if change == nil {
			tok = "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`[1]`)) + ".x"
		} else {
			c := base()
			change(c)
			tok = signRaw(t, c)
		}
		if r := s.do("GET", "/app/v1/orders", tok, nil); r.status != 401 || r.body["code"] != "auth.unauthenticated" {
			t.Errorf("%s: got %d %s; want 401 auth.unauthenticated", name, r.status, r.raw)
		}
	}
}
