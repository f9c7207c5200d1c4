package platform_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

// sendBody sends n bytes of JSON-looking filler to path, with its length declared or chunked,
// and returns the status and the decoded answer. A transport error (a reset) is returned as is.
func sendBody(t *testing.T, s *stack, method, path, token string, n int, chunked bool) (int, map[string]any, error) {
	t.Helper()
	filler := bytes.Repeat([]byte("a"), n)
	var body io.Reader = bytes.NewReader(filler)
	if chunked {
		body = io.MultiReader(bytes.NewReader(filler)) // no length: sent chunked
	}
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "big-body")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

// TestOversizedBodiesAnswer413: a body over the limit gets 413 request.body_too_large in the
// channel's envelope on every route that the OpenAPI document lists, declared or chunked, and
// the server goes on serving; before, the server reset the connection while the client sent.
func TestOversizedBodiesAnswer413(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	buyers := map[string]string{"app": s.token("acme", "u1", "app", "buyer"), "mp": s.token("acme", "u1", "mp", "buyer")}

	check := func(method, path string, n int, chunked bool) {
		t.Helper()
		token := admin
		switch {
		case strings.HasPrefix(path, "/app/"):
			token = buyers["app"]
		case strings.HasPrefix(path, "/mp/"):
			token = buyers["mp"]
		}
		status, body, err := sendBody(t, s, method, path, token, n, chunked)
		if err != nil {
			t.Errorf("%s %s (%d bytes, chunked %v): %v; want a 413", method, path, n, chunked, err)
			return
		}
		if strings.HasPrefix(path, "/mp/") {
			if status != 413 || body["errcode"] != float64(40003) {
				t.Errorf("%s %s: %d %v; want 413 with errcode 40003", method, path, status, body)
			}
			return
		}
		if rid, _ := body["requestId"].(string); status != 413 || body["code"] != "request.body_too_large" || rid == "" {
			t.Errorf("%s %s (%d bytes, chunked %v): %d %v; want 413 request.body_too_large", method, path, n, chunked, status, body)
		}
	}

	// The headline case: 10 MB on placing an order, declared and chunked.
	check("POST", "/app/v1/orders", 10<<20, false)
	check("POST", "/app/v1/orders", 10<<20, true)

	// Every route with a body, as the API documents them, just over the default 1 MiB.
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := must(t, s.do("GET", "/openapi.json", "", nil), 200, "openapi")
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	routes := 0
	for p, ops := range doc.Paths {
		for m := range ops {
			method := strings.ToUpper(m)
			if method != "POST" && method != "PUT" {
				continue
			}
			routes++
			check(method, param.ReplaceAllString(p, "x1"), 1<<20+1, routes%2 == 0)
		}
	}
	if routes < 30 {
		t.Fatalf("%d routes with a body in the API document; want them all", routes)
	}
	// Nothing of it was acted on, and the server still serves.
	if st := s.stock(admin, "tea"); st["reserved"] != 0 {
		t.Fatalf("stock after refused bodies: %v", st)
	}
	must(t, s.do("POST", "/app/v1/quotes", buyers["app"], map[string]any{"items": []any{item("tea", 1)}}), 200, "quote after the refusals")
}

// TestBodyLimitIsConfigurable: http.maxBody moves the limit both ways.
func TestBodyLimitIsConfigurable(t *testing.T) {
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) { c.HTTP.MaxBody = 4096 })
	buyer := s.token("acme", "u1", "app", "buyer")
	if status, body, err := sendBody(t, s, "POST", "/app/v1/quotes", buyer, 5000, false); err != nil || status != 413 || body["code"] != "request.body_too_large" {
		t.Fatalf("5,000 bytes over a 4,096 limit: %d %v %v", status, body, err)
	}
	if status, body, err := sendBody(t, s, "POST", "/app/v1/quotes", buyer, 3000, true); err != nil || status != 400 || body["code"] != "request.malformed_json" {
		t.Fatalf("3,000 chunked bytes under the limit reach the decoder: %d %v %v", status, body, err)
	}
	admin := s.token("acme", "ops1", "", "admin")
	s.seed(admin, "tea", "s1", 1990, 10)
	q := `{"items":[{"skuId":"tea","quantity":1}]}` + strings.Repeat(" ", 3500)
	must(t, s.do("POST", "/app/v1/quotes", buyer, q), 200, "a 3.5 KB body under a 4 KiB limit")
}
