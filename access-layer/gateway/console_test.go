package gateway

import (
	"strings"
	"testing"

	"github.com/cloudwego/hertz/pkg/common/ut"
)

// TestConsoleIsServed: the console's page and modules come from the binary with a policy that
// lets them load nothing from elsewhere and never be framed; an unknown file is the API's 404;
// a path that climbs out is refused before any file is looked up.
func TestConsoleIsServed(t *testing.T) {
	g := newTestGateway(t, false)
	cases := []struct {
		path, wantType string
		wantStatus     int
		wantBody       string
	}{
		{"/console/", "text/html", 200, `<script type="module" src="console.js">`},
		{"/console/index.html", "text/html", 200, "Atrium console"},
		{"/console/console.js", "text/javascript", 200, "export async function api("},
		{"/console/lua.js", "text/javascript", 200, "export function tokens("},
		{"/console/console.css", "text/css", 200, ".editor"},
		{"/console/missing.js", "application/json", 404, `"code":"route.not_found"`},
		{"/console/%2e%2e/openapi.json", "application/json", 400, `"code":"request.invalid_path"`},
	}
	for _, c := range cases {
		w := ut.PerformRequest(g.h.Engine, "GET", c.path, nil)
		resp := w.Result()
		if resp.StatusCode() != c.wantStatus || !strings.HasPrefix(string(resp.Header.ContentType()), c.wantType) ||
			!strings.Contains(string(resp.Body()), c.wantBody) {
			t.Errorf("GET %s: got %d %s %.120q; want %d %s holding %q", c.path, resp.StatusCode(), resp.Header.ContentType(), resp.Body(),
				c.wantStatus, c.wantType, c.wantBody)
		}
		if c.wantStatus == 200 {
			if csp := string(resp.Header.Peek("Content-Security-Policy")); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("GET %s: Content-Security-Policy %q", c.path, csp)
			}
			if v := string(resp.Header.Peek("X-Content-Type-Options")); v != "nosniff" {
				t.Errorf("GET %s: X-Content-Type-Options %q", c.path, v)
			}
		}
	}
	w := ut.PerformRequest(g.h.Engine, "GET", "/console", nil)
	if resp := w.Result(); resp.StatusCode() != 301 || !strings.HasSuffix(string(resp.Header.Peek("Location")), "/console/") {
		t.Errorf("GET /console: got %d to %q; want 301 to /console/", resp.StatusCode(), resp.Header.Peek("Location"))
	}
}
