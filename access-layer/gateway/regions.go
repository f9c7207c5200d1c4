package gateway

import (
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

type divisionView struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Level       string `json:"level"`
	HasChildren bool   `json:"hasChildren"`
}

type divisionsView struct {
	// Parent is the region asked for, with the regions above it (province first); empty for the
	// provinces.
	Path    []divisionView `json:"path"`
	Regions []divisionView `json:"regions"`
	// Version names the dataset; the answer's ETag is made of it.
	Version string `json:"version"`
}

func viewOfDivision(r address.Region) divisionView {
	return divisionView{Code: r.Code, Name: r.Name, Level: string(r.Level), HasChildren: r.HasChildren}
}

// regionRoutes serve the address picker's tree: public (a buyer picks an address before signing
// in), the same for everyone, and cacheable by ETag for as long as the dataset stays.
func (g *Gateway) regionRoutes(ch *channel) {
	g.add(route{Method: "GET", Path: ch.prefix + "/regions", Channel: ch,
		Summary:  "The regions directly in ?parent= (a GB/T 2260 code; none: the provinces), for address pickers; ETag and If-None-Match",
		Response: divisionsView{}}, g.cached(g.serve(ch, g.regions)))
}

// cached answers 304 to a request whose If-None-Match is the dataset's ETag, and marks every
// answer with it.
func (g *Gateway) cached(h app.HandlerFunc) app.HandlerFunc {
	return func(ctx context.Context, c *app.RequestContext) {
		etag := `"` + g.regionTree.Version() + `-` + string(c.Query("parent")) + `"`
		c.Header("ETag", etag)
		c.Header("Cache-Control", "public, max-age=86400")
		if string(c.Request.Header.Peek("If-None-Match")) == etag {
			c.Status(http.StatusNotModified)
			return
		}
		h(ctx, c)
	}
}

func (g *Gateway) regions(_ context.Context, c *app.RequestContext) (int, any, error) {
	parent := string(c.Query("parent"))
	kids, ok := g.regionTree.Children(parent)
	if !ok {
		return 0, nil, errkind.WithDetail(address.ErrRegionNotFound, "no region has the code %q", parent)
	}
	v := divisionsView{Path: []divisionView{}, Regions: make([]divisionView, 0, len(kids)), Version: g.regionTree.Version()}
	if parent != "" {
		path, _ := g.regionTree.Path(parent)
		for _, r := range path {
			v.Path = append(v.Path, viewOfDivision(r))
		}
	}
	for _, r := range kids {
		v.Regions = append(v.Regions, viewOfDivision(r))
	}
	return http.StatusOK, v, nil
}
