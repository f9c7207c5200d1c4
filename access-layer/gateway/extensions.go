package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

type scriptSourceRequest struct {
	Source string `json:"source" maxLen:"65536"`
	Notes  string `json:"notes" maxLen:"2000"`
}

type validateRequest struct {
	Source string `json:"source" maxLen:"65536"`
}

type testRunRequest struct {
	Input    json.RawMessage `json:"input"`
	Previous json.RawMessage `json:"previous"`
}

type publishRequest struct {
	Scope           string `json:"scope"`
	ScriptID        string `json:"scriptId"`
	Version         int32  `json:"version"`
	GrayBasisPoints int32  `json:"grayBasisPoints"`
}

type rollbackRequest struct {
	Scope string `json:"scope"`
	Point string `json:"point"`
}

type budgetView struct {
	WallMicros     int64 `json:"wallMicros"`
	Instructions   int64 `json:"instructions"`
	MaxInputBytes  int32 `json:"maxInputBytes"`
	MaxOutputBytes int32 `json:"maxOutputBytes"`
}

type pointView struct {
	Name   string     `json:"name" maxLen:"320"`
	Doc    string     `json:"doc"`
	Policy string     `json:"policy"`
	Mode   string     `json:"mode"`
	Budget budgetView `json:"budget"`
}

type scriptVersionView struct {
	ScriptID  string `json:"scriptId"`
	Version   int32  `json:"version"`
	Point     string `json:"point"`
	Hash      string `json:"hash"`
	Author    string `json:"author"`
	Notes     string `json:"notes" maxLen:"2000"`
	CreatedAt string `json:"createdAt"`
	Source    string `json:"source,omitempty" maxLen:"65536"`
}

type validateView struct {
	Point    string `json:"point"`
	Fixtures int32  `json:"fixtures"`
}

type testRunView struct {
	Output json.RawMessage `json:"output"`
	// TookMicros and Instructions are what the run used of Budget, the budget it ran under.
	TookMicros   int64      `json:"tookMicros"`
	Instructions int64      `json:"instructions"`
	Budget       budgetView `json:"budget"`
}

type publicationView struct {
	Scope           string `json:"scope"`
	Point           string `json:"point"`
	StableScript    string `json:"stableScript,omitempty"`
	StableVersion   int32  `json:"stableVersion,omitempty"`
	GrayScript      string `json:"grayScript,omitempty"`
	GrayVersion     int32  `json:"grayVersion,omitempty"`
	GrayBasisPoints int32  `json:"grayBasisPoints,omitempty"`
	PublishedBy     string `json:"publishedBy"`
	PublishedAt     string `json:"publishedAt"`
}

type rollbackView struct {
	Current *publicationView `json:"current"`
}

type scriptRunView struct {
	Seq      int32           `json:"seq"`
	Point    string          `json:"point"`
	Scope    string          `json:"scope"`
	ScriptID string          `json:"scriptId"`
	Version  int32           `json:"version"`
	Gray     bool            `json:"gray"`
	Outcome  string          `json:"outcome"`
	Input    json.RawMessage `json:"input"`
	Previous json.RawMessage `json:"previous,omitempty"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    string          `json:"error,omitempty"`
	At       string          `json:"at"`
}

type orderRunsView struct {
	OrderID string          `json:"orderId"`
	TradeID string          `json:"tradeId"`
	Runs    []scriptRunView `json:"runs"`
}

func (g *Gateway) extensionRoutes(ch *channel) {
	p := ch.prefix + "/extensions"
	g.add(route{Method: "GET", Path: p + "/points", Channel: ch, Auth: true, Summary: "Extension points, their policies and budgets",
		Response: []pointView{}}, g.serve(ch, g.listPoints))
	g.add(route{Method: "POST", Path: p + "/scripts/validate", Channel: ch, Auth: true,
		Summary: "Validate a script without storing it: it compiles, declares a point and passes its own -- test: fixtures",
		Request: validateRequest{}, Response: validateView{}}, g.serve(ch, g.validateScript(ch)))
	g.add(route{Method: "GET", Path: p + "/scripts", Channel: ch, Auth: true, Summary: "Every version of every script",
		Response: []scriptVersionView{}}, g.serve(ch, g.listVersions))
	g.add(route{Method: "POST", Path: p + "/scripts/:scriptId/versions", Channel: ch, Auth: true, Status: http.StatusCreated,
		Summary: "Upload a new version of a script (validated first; the same content is the same version)",
		Request: scriptSourceRequest{}, Response: scriptVersionView{}}, g.serve(ch, g.uploadScript(ch)))
	g.add(route{Method: "GET", Path: p + "/scripts/:scriptId/versions", Channel: ch, Auth: true, Summary: "The versions of a script, with sources",
		Response: []scriptVersionView{}}, g.serve(ch, g.listVersions))
	g.add(route{Method: "POST", Path: p + "/scripts/:scriptId/versions/:version/test-run", Channel: ch, Auth: true,
		Summary: "Run a version on an input exactly as the server would, without publishing it",
		Request: testRunRequest{}, Response: testRunView{}}, g.serve(ch, g.testRun(ch)))
	g.add(route{Method: "GET", Path: p + "/publications", Channel: ch, Auth: true, Summary: "What is published, per scope and point",
		Response: []publicationView{}}, g.serve(ch, g.listPublications))
	g.add(route{Method: "POST", Path: p + "/publications", Channel: ch, Auth: true, Status: http.StatusCreated,
		Summary: "Publish a version at a scope, to every user (grayBasisPoints 10000) or to a share of them",
		Request: publishRequest{}, Response: publicationView{}}, g.serve(ch, g.publish(ch)))
	g.add(route{Method: "POST", Path: p + "/publications/rollback", Channel: ch, Auth: true,
		Summary: "Roll a point at a scope back to what was published before", Request: rollbackRequest{}, Response: rollbackView{}},
		g.serve(ch, g.rollback(ch)))
	g.add(route{Method: "GET", Path: ch.prefix + "/orders/:orderId/extension-runs", Channel: ch, Auth: true,
		Summary: "Which script versions ran for an order, on what, and how they ended", Response: orderRunsView{}}, g.serve(ch, g.orderRuns))
}

func (g *Gateway) listPoints(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Extensions.ListExtensionPoints(ctx, &trade.ListPointsRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	out := []pointView{}
	for _, p := range resp.Points {
		out = append(out, pointView{Name: p.Name, Doc: p.Doc, Policy: p.Policy, Mode: p.Mode, Budget: budgetViewOf(p.GetBudget())})
	}
	return http.StatusOK, out, nil
}

func budgetViewOf(b *trade.Budget) budgetView {
	return budgetView{WallMicros: b.GetWallMicros(), Instructions: b.GetInstructions(), MaxInputBytes: b.GetMaxInputBytes(),
		MaxOutputBytes: b.GetMaxOutputBytes()}
}

func (g *Gateway) validateScript(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req validateRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Extensions.ValidateScript(ctx, &trade.ValidateScriptRequest{Caller: callerOf(c), Source: req.Source})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, validateView{Point: resp.Point, Fixtures: resp.Fixtures}, nil
	}
}

func versionViewOf(v *trade.ScriptVersion) scriptVersionView {
	return scriptVersionView{ScriptID: v.ScriptId, Version: v.Version, Point: v.Point, Hash: v.Hash, Author: v.Author, Notes: v.Notes,
		CreatedAt: timeOf(v.CreatedAt), Source: v.Source}
}

func (g *Gateway) uploadScript(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req scriptSourceRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Extensions.UploadScript(ctx, &trade.UploadScriptRequest{Caller: callerOf(c), ScriptId: c.Param("scriptId"),
			Source: req.Source, Notes: req.Notes})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, versionViewOf(resp), nil
	}
}

func (g *Gateway) listVersions(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Extensions.ListScriptVersions(ctx, &trade.ListScriptVersionsRequest{Caller: callerOf(c), ScriptId: c.Param("scriptId")})
	if err != nil {
		return 0, nil, err
	}
	out := []scriptVersionView{}
	for _, v := range resp.Versions {
		out = append(out, versionViewOf(v))
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) testRun(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		version, err := strconv.Atoi(c.Param("version"))
		if err != nil || version < 1 {
			return 0, nil, errkind.Invalidf("version must be a positive integer")
		}
		var req testRunRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if len(req.Input) == 0 {
			return 0, nil, errkind.Invalidf("input is required")
		}
		r := &trade.TestRunScriptRequest{Caller: callerOf(c), ScriptId: c.Param("scriptId"), Version: int32(version), Input: req.Input}
		if len(req.Previous) > 0 && string(req.Previous) != "null" {
			r.Previous = req.Previous
		}
		resp, err := g.rpc.Extensions.TestRunScript(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, testRunView{Output: resp.Output, TookMicros: resp.TookMicros, Instructions: resp.Instructions,
			Budget: budgetViewOf(resp.Budget)}, nil
	}
}

func publicationViewOf(p *trade.Publication) publicationView {
	return publicationView{Scope: p.Scope, Point: p.Point, StableScript: p.StableScript, StableVersion: p.StableVersion,
		GrayScript: p.GrayScript, GrayVersion: p.GrayVersion, GrayBasisPoints: p.GrayBasisPoints, PublishedBy: p.PublishedBy,
		PublishedAt: timeOf(p.PublishedAt)}
}

func (g *Gateway) listPublications(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Extensions.ListPublications(ctx, &trade.ListPublicationsRequest{Caller: callerOf(c)})
	if err != nil {
		return 0, nil, err
	}
	out := []publicationView{}
	for _, p := range resp.Publications {
		out = append(out, publicationViewOf(p))
	}
	return http.StatusOK, out, nil
}

func (g *Gateway) publish(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req publishRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Extensions.PublishScript(ctx, &trade.PublishScriptRequest{Caller: callerOf(c), Scope: req.Scope, ScriptId: req.ScriptID,
			Version: req.Version, GrayBasisPoints: req.GrayBasisPoints})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, publicationViewOf(resp), nil
	}
}

func (g *Gateway) rollback(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req rollbackRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.Extensions.RollbackScript(ctx, &trade.RollbackScriptRequest{Caller: callerOf(c), Scope: req.Scope, Point: req.Point})
		if err != nil {
			return 0, nil, err
		}
		v := rollbackView{}
		if resp.Current != nil {
			pv := publicationViewOf(resp.Current)
			v.Current = &pv
		}
		return http.StatusOK, v, nil
	}
}

func (g *Gateway) orderRuns(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Extensions.OrderScriptRuns(ctx, &trade.OrderScriptRunsRequest{Caller: callerOf(c), OrderId: c.Param("orderId")})
	if err != nil {
		return 0, nil, err
	}
	v := orderRunsView{OrderID: c.Param("orderId"), TradeID: resp.TradeId, Runs: []scriptRunView{}}
	for _, r := range resp.Runs {
		v.Runs = append(v.Runs, scriptRunOf(r))
	}
	return http.StatusOK, v, nil
}

func scriptRunOf(r *trade.ScriptRun) scriptRunView {
	return scriptRunView{Seq: r.Seq, Point: r.Point, Scope: r.Scope, ScriptID: r.ScriptId, Version: r.Version,
		Gray: r.Gray, Outcome: r.Outcome, Input: rawOrNil(r.Input), Previous: rawOrNil(r.Previous), Output: rawOrNil(r.Output),
		Error: r.Error, At: timeOf(r.At)}
}

// rawOrNil passes stored JSON through, or nothing when it is empty or not JSON.
func rawOrNil(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return b
}
