package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

type toggleView struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Default string `json:"default"`
	// Source is default, file or apollo; Release the provider's version of the value (Apollo's
	// release key, a digest of the file).
	Source    string `json:"source"`
	Release   string `json:"release,omitempty"`
	ChangedAt string `json:"changedAt,omitempty"`
	Doc       string `json:"doc,omitempty"`
}

type togglesView struct {
	Toggles []toggleView `json:"toggles"`
	// Rejected counts the values refused since start (their last good value stayed).
	Rejected int64 `json:"rejected"`
}

func (g *Gateway) toggleRoutes(ch *channel) {
	if g.toggles == nil {
		return
	}
	g.add(route{Method: "GET", Path: ch.prefix + "/toggles", Channel: ch, Auth: true,
		Summary:  "The platform's runtime toggles and the caller's tenant's own overrides: value, default, where it came from (default, file, apollo), its release and when it changed",
		Response: togglesView{}}, g.serve(ch, g.getToggles))
}

func (g *Gateway) getToggles(_ context.Context, c *app.RequestContext) (int, any, error) {
	cl := callerOf(c)
	if cl == nil || cl.Role != roleAdmin {
		return 0, nil, errkind.WithDetail(errkind.ErrForbidden, "this operation is for operators")
	}
	v := togglesView{Toggles: []toggleView{}, Rejected: g.toggles.Rejected()}
	for _, e := range g.toggles.SnapshotFor(cl.Tenant) {
		tv := toggleView{Key: e.Key, Value: e.Value, Default: e.Default, Source: string(e.Source), Release: e.Release, Doc: e.Doc}
		if !e.ChangedAt.IsZero() {
			tv.ChangedAt = e.ChangedAt.UTC().Format(time.RFC3339Nano)
		}
		v.Toggles = append(v.Toggles, tv)
	}
	return http.StatusOK, v, nil
}
