package gateway

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// frontends caches the front-end registrations of every tenant. Tokens name their front end
// (the "azp" claim); the gateway derives the tenant's business line from the registration on
// every request, so a re-registration applies without reissuing tokens. The cache refreshes on
// an interval, and on a miss at most once a second (a new front end is usable at once, and
// tokens naming unknown front ends cannot make the gateway hammer the trade service).
type frontends struct {
	client    func(ctx context.Context) ([]*trade.Frontend, error)
	m         atomic.Pointer[map[string]*trade.Frontend]
	mu        sync.Mutex
	lastFetch time.Time
}

func newFrontends(client func(ctx context.Context) ([]*trade.Frontend, error)) *frontends {
	f := &frontends{client: client}
	empty := map[string]*trade.Frontend{}
	f.m.Store(&empty)
	return f
}

func (f *frontends) refresh(ctx context.Context) error {
	f.mu.Lock()
	f.lastFetch = time.Now()
	f.mu.Unlock()
	list, err := f.client(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]*trade.Frontend, len(list))
	for _, fe := range list {
		m[fe.FrontendId] = fe
	}
	f.m.Store(&m)
	return nil
}

// lookup returns the registration of id, refreshing once on a miss if the cache is older than
// a second.
func (f *frontends) lookup(ctx context.Context, id string) *trade.Frontend {
	if fe := (*f.m.Load())[id]; fe != nil {
		return fe
	}
	f.mu.Lock()
	stale := time.Since(f.lastFetch) > time.Second
	f.mu.Unlock()
	if stale && f.refresh(ctx) == nil {
		return (*f.m.Load())[id]
	}
	return nil
}

// RefreshFrontends loads the registrations now.
func (g *Gateway) RefreshFrontends(ctx context.Context) error { return g.frontends.refresh(ctx) }

// runFrontendRefresh refreshes the cache every interval until ctx ends.
func (g *Gateway) runFrontendRefresh(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := g.frontends.refresh(ctx); err != nil && ctx.Err() == nil {
				g.log.Warn("front-end registrations not refreshed; keeping the cached ones", "err", err)
			}
		}
	}
}

type registerFrontendRequest struct {
	BizCode string `json:"bizCode"`
	Channel string `json:"channel"`
}

type frontendView struct {
	FrontendID string `json:"frontendId"`
	BizCode    string `json:"bizCode"`
	Channel    string `json:"channel"`
	UpdatedAt  string `json:"updatedAt"`
}

func frontendViewOf(f *trade.Frontend) frontendView {
	return frontendView{FrontendID: f.FrontendId, BizCode: f.BizCode, Channel: f.Channel, UpdatedAt: timeOf(f.UpdatedAt)}
}

func (g *Gateway) frontendRoutes(ch *channel) {
	g.add(route{Method: "PUT", Path: ch.prefix + "/frontends/:frontendId", Channel: ch, Auth: true,
		Summary: "Register a front end (app, mini-program appid, site) to a business line and channel",
		Request: registerFrontendRequest{}, Response: frontendView{}}, g.serve(ch, g.registerFrontend(ch)))
	g.add(route{Method: "GET", Path: ch.prefix + "/frontends", Channel: ch, Auth: true, Summary: "The tenant's front ends",
		Response: []frontendView{}}, g.serve(ch, g.listFrontends))
}

func (g *Gateway) registerFrontend(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req registerFrontendRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Frontends.RegisterFrontend(ctx, &trade.RegisterFrontendRequest{Caller: callerOf(c), FrontendId: c.Param("frontendId"),
			BizCode: req.BizCode, Channel: req.Channel})
		if err != nil {
			return 0, nil, err
		}
		_ = g.frontends.refresh(ctx) // usable at once on this node; others pick it up on their next refresh
		return http.StatusOK, frontendViewOf(resp), nil
	}
}

func (g *Gateway) listFrontends(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Frontends.ListFrontends(ctx, &trade.ListFrontendsRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	out := []frontendView{}
	for _, f := range resp.Frontends {
		out = append(out, frontendViewOf(f))
	}
	return http.StatusOK, out, nil
}
