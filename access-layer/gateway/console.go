package gateway

import (
	"context"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/access-layer/console"
)

// consoleCSP lets the console load only its own files and talk only to this server: no inline
// script, no other origin, never framed (clickjacking).
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// consoleRoutes serve the operator console (access-layer/console) at /console/. Its files are
// public; what it shows comes from the admin API, which checks the operator's token.
func (g *Gateway) consoleRoutes() {
	files := console.Files()
	g.h.GET("/console", func(ctx context.Context, c *app.RequestContext) {
		c.Redirect(http.StatusMovedPermanently, []byte("/console/"))
	})
	g.h.GET("/console/*filepath", func(ctx context.Context, c *app.RequestContext) {
		name := strings.TrimPrefix(c.Param("filepath"), "/")
		if name == "" {
			name = "index.html"
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			g.fail(ctx, c, appChannel, ErrRouteNotFound)
			return
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := &c.Response.Header
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		// The binary carries the files: a new binary may change them, so the browser asks again
		// (cheaply) instead of mixing versions.
		h.Set("Cache-Control", "no-cache")
		c.Data(http.StatusOK, ct, b)
	})
}
