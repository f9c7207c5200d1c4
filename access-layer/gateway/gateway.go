// Package gateway is the Hertz access layer: one adapter per front end (the app channel, the
// mini-program channel), the admin channel for operators, payment-provider callbacks, health,
// metrics and the OpenAPI document. It converts requests, routes them to the trade service over
// Kitex, and packages the answers in each channel's conventions (see channel.go); no business
// rule lives here.
//
// Request ids are handled by a small middleware here rather than hertz-contrib/requestid: that
// middleware assigns a package-level variable on every request, which is a data race under
// concurrent load.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/middlewares/server/recovery"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/config"
	"github.com/hertz-contrib/cors"
	"go.opentelemetry.io/otel/trace"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/components/guard"
	"github.com/atriumtrade/atrium/components/observe"
	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// Config of the gateway.
type Config struct {
	// Addr is the listen address, e.g. 127.0.0.1:8080.
	Addr string `yaml:"addr"`
	// JWTSecret signs and verifies bearer tokens (HS256); at least 32 bytes.
	JWTSecret string `yaml:"jwtSecret"`
	// DevMode enables the dev-token endpoint. Never in production.
	DevMode bool `yaml:"devMode"`
	// CORSOrigins are the browser origins allowed to call the buyer APIs; empty allows none.
	CORSOrigins []string `yaml:"corsOrigins"`
	// RequestTimeout bounds one request end to end (default 10s).
	RequestTimeout time.Duration `yaml:"requestTimeout"`
	// MaxBody bounds a request body in bytes (default 1 MiB, at most 64 MiB). A larger body is
	// answered 413 request.body_too_large in the channel's envelope before it is read.
	MaxBody int `yaml:"maxBody"`
}

// Bounds of Config.MaxBody, and how much of a refused body is read so the client can finish.
const (
	DefaultMaxBody = 1 << 20
	maxMaxBody     = 64 << 20
	maxDrain       = 64 << 20
)

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.Addr == "" {
		return errors.New("gateway: addr is required")
	}
	if len(c.JWTSecret) < 32 {
		return errors.New("gateway: jwtSecret must be at least 32 bytes")
	}
	if c.MaxBody != 0 && (c.MaxBody < 1<<10 || c.MaxBody > maxMaxBody) {
		return fmt.Errorf("gateway: maxBody must be between 1024 and %d bytes", maxMaxBody)
	}
	return nil
}

// Gateway is the HTTP access layer.
type Gateway struct {
	cfg     Config
	secret  []byte
	rpc     Clients
	toggles *toggles.Toggles
	guard   *guard.Guard
	enums   map[string][]string
	tracer  trace.Tracer
	log     *slog.Logger
	h       *server.Hertz
	metrics *metrics
	sampler *liveSampler
	routes  []route
	now     func() time.Time

	frontends *frontends
	// regionTree is China's divisions for the address picker (components/address).
	regionTree *address.Tree
	// bg ends the gateway's background work (front-end refresh); stop cancels it. Both are set
	// in New so that Shutdown never races Run on them.
	bg   context.Context
	stop context.CancelFunc
}

// Option configures a Gateway.
type Option func(*options)

type options struct {
	listener net.Listener
	toggles  *toggles.Toggles
	guard    *guard.Guard
	tracing  *observe.Tracing
	enums    map[string][]string
}

// WithEnums names the values of the platform's enumerations that requests and views use
// (orderStatus, flow): the OpenAPI document lists them. The trade core knows them; the access
// layer only shows them.
func WithEnums(enums map[string][]string) Option { return func(o *options) { o.enums = enums } }

// WithListener serves on ln instead of listening on Config.Addr.
func WithListener(ln net.Listener) Option { return func(o *options) { o.listener = ln } }

// WithToggles shows the node's runtime toggles on GET /admin/v1/toggles and counts the values
// they rejected (atrium_toggle_rejected_total).
func WithToggles(t *toggles.Toggles) Option { return func(o *options) { o.toggles = t } }

// WithGuard admits requests under Sentinel's rules (components/guard): each route is a resource
// ("POST /app/v1/orders") under the flow and system rules, and an order's SKUs are checked
// against the hot-parameter rules on "sku". A refused request gets system.too_many_requests at
// once (429 with Retry-After; the errcode on mp).
func WithGuard(g *guard.Guard) Option { return func(o *options) { o.guard = g } }

// New builds the gateway and its routes. It does not start serving.
func New(cfg Config, rpc Clients, log *slog.Logger, opts ...Option) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	hopts := []config.Option{
		server.WithHostPorts(cfg.Addr),
		// Bodies are streamed past MaxBody instead of refused by the server, so that limitBody
		// can answer in the channel's envelope: Hertz's own refusal is plain text, and it closes
		// the connection while the client is still sending, which the client sees as a reset.
		// Bodies up to MaxBody are read whole before the handlers run, as without streaming.
		server.WithStreamBody(true),
		server.WithMaxRequestBodySize(cfg.MaxBody),
		server.WithDisablePrintRoute(true),
		server.WithHandleMethodNotAllowed(true),
		server.WithReadTimeout(15 * time.Second),
		server.WithIdleTimeout(60 * time.Second),
		server.WithExitWaitTime(10 * time.Second),
	}
	if o.listener != nil {
		hopts = append(hopts, server.WithListener(o.listener))
	}
	g := &Gateway{cfg: cfg, secret: []byte(cfg.JWTSecret), rpc: rpc, log: observe.Logger(log), h: server.New(hopts...),
		metrics: newMetrics(), now: time.Now, toggles: o.toggles, guard: o.guard, enums: o.enums}
	g.sampler = &liveSampler{gather: g.metrics.registry.Gather, now: func() time.Time { return g.now() }}
	if o.toggles != nil {
		g.metrics.registry.MustRegister(o.toggles.Collector())
	}
	tree, err := address.China()
	if err != nil {
		return nil, err
	}
	g.regionTree = tree
	g.bg, g.stop = context.WithCancel(context.Background())
	g.frontends = newFrontends(func(ctx context.Context) ([]*trade.Frontend, error) {
		resp, err := rpc.Frontends.ListFrontends(ctx, &trade.ListFrontendsRequest{Caller: &trade.Caller{Role: "system", Channel: "gateway"}})
		if err != nil {
			return nil, err
		}
		return resp.Frontends, nil
	})
	if o.tracing == nil {
		o.tracing = observe.Off()
	}
	g.tracer = o.tracing.Tracer("gateway")
	g.h.Use(g.traceRequest, g.requestID, recovery.Recovery(recovery.WithRecoveryHandler(g.recovered)), g.checkPath, g.metrics.middleware)
	if o.guard != nil {
		g.metrics.registry.MustRegister(o.guard.Collector())
		g.h.Use(g.admit)
	}
	g.h.Use(g.limitBody)
	if len(cfg.CORSOrigins) > 0 {
		g.h.Use(cors.New(cors.Config{AllowOrigins: cfg.CORSOrigins,
			AllowMethods:  []string{"GET", "POST", "PUT", "OPTIONS"},
			AllowHeaders:  []string{"Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"},
			ExposeHeaders: []string{"X-Request-ID"}, MaxAge: 12 * time.Hour}))
	}
	g.routesInit()
	g.h.NoRoute(func(ctx context.Context, c *app.RequestContext) { g.fail(ctx, c, channelOf(c), ErrRouteNotFound) })
	g.h.NoMethod(func(ctx context.Context, c *app.RequestContext) { g.fail(ctx, c, channelOf(c), ErrMethodNotAllowed) })
	return g, nil
}

// Run serves until Shutdown, refreshing front-end registrations and sampling the live numbers
// every few seconds.
func (g *Gateway) Run() error {
	go g.runFrontendRefresh(g.bg, 5*time.Second)
	go g.sampler.run(g.bg)
	return g.h.Run()
}

// Shutdown stops accepting connections and waits for requests in flight.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.stop()
	return g.h.Shutdown(ctx)
}

// channelOf picks the channel whose conventions an unrouted request gets.
func channelOf(c *app.RequestContext) *channel {
	p := string(c.Request.URI().Path())
	switch {
	case strings.HasPrefix(p, mpChannel.prefix+"/") || p == mpChannel.prefix:
		return mpChannel
	case strings.HasPrefix(p, adminChannel.prefix+"/"):
		return adminChannel
	}
	return appChannel
}

// checkPath refuses, before any handler acts, a path that routing would read as another: the
// router sees the path decoded and cleaned, so orders/X%2F..%2FY/cancel would cancel order Y.
// An encoded slash or backslash, or a "." or ".." segment (spelled or encoded), is
// request.invalid_path (400); an empty segment (orders//cancel) names no id and is
// route.not_found (404), not the 405 of the route it would collapse into. Ids never hold these.
func (g *Gateway) checkPath(ctx context.Context, c *app.RequestContext) {
	raw := string(c.Request.URI().PathOriginal())
	lower := strings.ToLower(raw)
	bad := strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(raw, `\`)
	empty := false
	segs := strings.Split(strings.TrimPrefix(raw, "/"), "/")
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		switch {
		case seg == "." || seg == "..":
			bad = true
		case seg == "" && i < len(segs)-1:
			empty = true
		}
	}
	switch {
	case bad:
		g.fail(ctx, c, channelOf(c), ErrInvalidPath)
		c.Abort()
	case empty:
		g.fail(ctx, c, channelOf(c), ErrRouteNotFound)
		c.Abort()
	default:
		c.Next(ctx)
	}
}

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const requestIDKey = "atrium.requestId"

func (g *Gateway) requestID(ctx context.Context, c *app.RequestContext) {
	rid := string(c.Request.Header.Peek("X-Request-ID"))
	if !requestIDRe.MatchString(rid) {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			rid = sc.TraceID().String() // the request id finds the trace
		} else {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			rid = hex.EncodeToString(b)
		}
	}
	c.Set(requestIDKey, rid)
	c.Header("X-Request-ID", rid)
	c.Next(observe.WithLogAttrs(ctx, "requestId", rid))
}

func requestIDOf(c *app.RequestContext) string { return c.GetString(requestIDKey) }

func (g *Gateway) recovered(ctx context.Context, c *app.RequestContext, err any, stack []byte) {
	g.log.ErrorContext(ctx, "panic in handler", "path", string(c.Request.URI().Path()),
		"panic", fmt.Sprint(err), "stack", string(stack))
	g.fail(ctx, c, channelOf(c), errkind.ErrInternal)
}

// ok writes a success in the channel's envelope.
func (g *Gateway) ok(ctx context.Context, c *app.RequestContext, ch *channel, status int, view any) {
	data, err := ch.render(view)
	if err != nil {
		g.fail(ctx, c, ch, fmt.Errorf("gateway: render: %w", err))
		return
	}
	var body any
	if ch.errcode {
		status = http.StatusOK
		body = struct {
			Errcode int    `json:"errcode"`
			Errmsg  string `json:"errmsg"`
			Data    any    `json:"data"`
		}{0, "ok", data}
	} else {
		body = struct {
			Code      string `json:"code"`
			Data      any    `json:"data"`
			RequestID string `json:"requestId"`
		}{"ok", data, requestIDOf(c)}
	}
	g.writeJSON(c, status, body)
}

// fail writes an error in the channel's envelope. Internal errors are logged with the request id
// and answered with a generic message.
func (g *Gateway) fail(ctx context.Context, c *app.RequestContext, ch *channel, err error) {
	base, public := errkind.Describe(err)
	spec := specFor(base)
	c.Set(errorCodeKey, base.Code())
	if spec.Status >= 500 {
		g.log.ErrorContext(ctx, "request failed", "path", string(c.Request.URI().Path()),
			"code", base.Code(), "err", err)
	}
	// A form's fields at fault are listed beside the message, each under the channel's spelling
	// of its path (address.postal_code on the mini-program).
	var fields []fieldErrorView
	for _, f := range errkind.Fields(err) {
		msg := f.Message
		if f.Amount.Currency != "" { // an amount: in the channel's money format, as everywhere else it shows money
			_, v := ch.moneyField(f.Field, Money{Minor: f.Amount.Minor, Currency: f.Amount.Currency})
			msg = fmt.Sprint(v)
		}
		fields = append(fields, fieldErrorView{Field: ch.path(f.Field), Code: f.Code, Message: msg})
	}
	if ch.errcode {
		g.writeJSON(c, http.StatusOK, struct {
			Errcode int              `json:"errcode"`
			Errmsg  string           `json:"errmsg"`
			Errors  []fieldErrorView `json:"errors,omitempty"`
		}{spec.Errcode, public, fields})
		return
	}
	if spec.Status == http.StatusTooManyRequests || spec.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", retryAfter)
	}
	g.writeJSON(c, spec.Status, struct {
		Code      string           `json:"code"`
		Message   string           `json:"message"`
		Errors    []fieldErrorView `json:"errors,omitempty"`
		RequestID string           `json:"requestId"`
	}{base.Code(), public, fields, requestIDOf(c)})
}

// admit enters the route's Sentinel resource for the length of the request; a refusal is
// answered at once, before the body is read. Only the channels' routes are admitted: /metrics and
// the health checks stay readable under any load, and a provider's payment callback (money that
// moved) is never refused.
func (g *Gateway) admit(ctx context.Context, c *app.RequestContext) {
	route := c.FullPath()
	if route == "" || !(strings.HasPrefix(route, appChannel.prefix+"/") || strings.HasPrefix(route, mpChannel.prefix+"/") ||
		strings.HasPrefix(route, adminChannel.prefix+"/")) {
		c.Next(ctx)
		return
	}
	done, err := g.guard.Inbound(string(c.Method()) + " " + route)
	if err != nil {
		g.fail(ctx, c, channelOf(c), err)
		c.Abort()
		return
	}
	defer done()
	c.Next(ctx)
}

// retryAfter is what a 429 or 503 tells the client to wait (seconds): Sentinel's windows are a
// second long.
const retryAfter = "1"

// limitBody refuses a body over MaxBody with 413 request.body_too_large, in the channel's
// envelope (the mini-program's errcode one too: wx.request hands any status to the page), and
// closes the connection. A body of unknown length (chunked) is read up to one byte past the
// limit; a declared length over it is refused without being kept. What the client still sends
// is read and discarded, up to maxDrain, so that it can finish sending and read the 413: a
// server that closes on unread data makes the client see a reset instead. (Hertz drains a
// declared length itself, but not a chunked body it is part way through.)
func (g *Gateway) limitBody(ctx context.Context, c *app.RequestContext) {
	n := c.Request.Header.ContentLength()
	switch {
	case n > g.cfg.MaxBody:
	case n == -1 && c.Request.IsBodyStream():
		body, err := io.ReadAll(io.LimitReader(c.Request.BodyStream(), int64(g.cfg.MaxBody)+1))
		if err != nil {
			c.SetConnectionClose()
			g.fail(ctx, c, channelOf(c), errkind.WithDetail(ErrMalformedJSON, "the request body could not be read"))
			c.Abort()
			return
		}
		if len(body) <= g.cfg.MaxBody {
			c.Request.SetBodyRaw(body)
			c.Next(ctx)
			return
		}
	default:
		c.Next(ctx)
		return
	}
	c.SetConnectionClose()
	_, _ = io.Copy(io.Discard, io.LimitReader(c.Request.BodyStream(), maxDrain))
	ch := channelOf(c)
	err := errkind.WithDetail(ErrBodyTooLarge, "a request body may be at most %d bytes", g.cfg.MaxBody)
	if ch.errcode {
		_, public := errkind.Describe(err)
		c.Set(errorCodeKey, ErrBodyTooLarge.Code())
		g.writeJSON(c, http.StatusRequestEntityTooLarge, struct {
			Errcode int    `json:"errcode"`
			Errmsg  string `json:"errmsg"`
		}{specFor(ErrBodyTooLarge).Errcode, public})
	} else {
		g.fail(ctx, c, ch, err)
	}
	c.Abort()
}

func (g *Gateway) writeJSON(c *app.RequestContext, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"system.internal","message":"internal error"}`)
	}
	c.Data(status, "application/json; charset=utf-8", b)
}

// call runs a handler body with the authenticated caller and writes its answer.
type call func(ctx context.Context, c *app.RequestContext) (int, any, error)

func (g *Gateway) serve(ch *channel, fn call) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
		defer cancel()
		if cl := callerOf(c); cl != nil {
			ctx = observe.WithLogAttrs(ctx, "tenant", cl.Tenant)
		}
		status, view, err := fn(ctx, c)
		if err != nil {
			g.fail(ctx, c, ch, err)
			return
		}
		g.ok(ctx, c, ch, status, view)
	}
}
