package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// ListExtensionPoints implements its service.
func (h *ExtensionsAdmin) ListExtensionPoints(ctx context.Context, req *trade.ListPointsRequest) (*trade.ListPointsResponse, error) {
	if _, err := asAdmin(req.Caller); err != nil {
		return nil, err
	}
	resp := &trade.ListPointsResponse{Points: []*trade.ExtensionPoint{}}
	for _, d := range extensions.Points() {
		resp.Points = append(resp.Points, &trade.ExtensionPoint{Name: d.Name, Doc: d.Doc, Policy: d.Policy.String(), Mode: d.Mode.String(),
			Budget: budgetDTO(d.Budget)})
	}
	return resp, nil
}

func budgetDTO(b extensions.Budget) *trade.Budget {
	return &trade.Budget{WallMicros: b.Wall.Microseconds(), Instructions: b.Instructions, MaxInputBytes: int32(b.MaxInput),
		MaxOutputBytes: int32(b.MaxOutput)}
}

// ValidateScript implements its service.
func (h *ExtensionsAdmin) ValidateScript(ctx context.Context, req *trade.ValidateScriptRequest) (*trade.ValidateScriptResponse, error) {
	if _, err := asAdmin(req.Caller); err != nil {
		return nil, err
	}
	hdr, _, err := h.ext.Validate(ctx, req.Source)
	if err != nil {
		return nil, err
	}
	return &trade.ValidateScriptResponse{Point: hdr.Point, Fixtures: int32(len(hdr.Fixtures))}, nil
}

// UploadScript implements its service.
func (h *ExtensionsAdmin) UploadScript(ctx context.Context, req *trade.UploadScriptRequest) (*trade.ScriptVersion, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	v, err := h.ext.Upload(ctx, cl.tenant, req.ScriptId, req.Source, cl.userID, req.Notes)
	if err != nil {
		return nil, err
	}
	return versionDTO(v, true), nil
}

// TestRunScript implements its service.
func (h *ExtensionsAdmin) TestRunScript(ctx context.Context, req *trade.TestRunScriptRequest) (*trade.TestRunScriptResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	var u extensions.Usage
	out, err := h.ext.TestRun(extensions.WithUsage(ctx, &u), cl.tenant, req.ScriptId, int(req.Version), req.Input, req.Previous)
	if err != nil {
		return nil, err
	}
	return &trade.TestRunScriptResponse{Output: out, TookMicros: u.Took.Microseconds(), Instructions: u.Instructions,
		Budget: budgetDTO(u.Budget)}, nil
}

// PublishScript implements its service.
func (h *ExtensionsAdmin) PublishScript(ctx context.Context, req *trade.PublishScriptRequest) (*trade.Publication, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.ext.Publish(ctx, cl.tenant, req.Scope, req.ScriptId, int(req.Version), int(req.GrayBasisPoints), cl.userID)
	if err != nil {
		return nil, err
	}
	return publicationDTO(p), nil
}

// RollbackScript implements its service.
func (h *ExtensionsAdmin) RollbackScript(ctx context.Context, req *trade.RollbackScriptRequest) (*trade.RollbackScriptResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	p, err := h.ext.Rollback(ctx, cl.tenant, req.Scope, req.Point)
	if err != nil {
		return nil, err
	}
	resp := &trade.RollbackScriptResponse{}
	if p != nil && (p.StableScript != "" || p.GrayScript != "") {
		resp.Current = publicationDTO(*p)
	}
	return resp, nil
}

// ListScriptVersions implements its service.
func (h *ExtensionsAdmin) ListScriptVersions(ctx context.Context, req *trade.ListScriptVersionsRequest) (*trade.ListScriptVersionsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	vs, err := h.ext.Versions(ctx, cl.tenant, req.ScriptId)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListScriptVersionsResponse{Versions: []*trade.ScriptVersion{}}
	for _, v := range vs {
		resp.Versions = append(resp.Versions, versionDTO(v, req.ScriptId != ""))
	}
	return resp, nil
}

// ListPublications implements its service.
func (h *ExtensionsAdmin) ListPublications(ctx context.Context, req *trade.ListPublicationsRequest) (*trade.ListPublicationsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	ps, err := h.ext.Publications(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListPublicationsResponse{Publications: []*trade.Publication{}}
	for _, p := range ps {
		resp.Publications = append(resp.Publications, publicationDTO(p))
	}
	return resp, nil
}

// OrderScriptRuns implements its service.
func (h *ExtensionsAdmin) OrderScriptRuns(ctx context.Context, req *trade.OrderScriptRunsRequest) (*trade.OrderScriptRunsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	o, err := h.core.Order(ctx, cl.tenant, cl.actor(), req.OrderId)
	if err != nil {
		return nil, err
	}
	runs, err := h.ext.Runs(ctx, cl.tenant, o.TradeID())
	if err != nil {
		return nil, err
	}
	return &trade.OrderScriptRunsResponse{TradeId: o.TradeID(), Runs: scriptRunDTOs(runs)}, nil
}

func scriptRunDTOs(runs []extensions.RunRecord) []*trade.ScriptRun {
	out := []*trade.ScriptRun{}
	for _, r := range runs {
		run := &trade.ScriptRun{Seq: int32(r.Seq), Point: r.Point, Scope: r.Binding.Scope, ScriptId: r.Binding.ScriptID,
			Version: int32(r.Binding.Version), Gray: r.Binding.Gray, Outcome: string(r.Outcome), Input: r.Input, Output: r.Output,
			Error: r.Error, At: millis(r.At)}
		if r.Previous != nil {
			run.Previous = r.Previous
		}
		out = append(out, run)
	}
	return out
}

func versionDTO(v extensions.StoredVersion, withSource bool) *trade.ScriptVersion {
	dto := &trade.ScriptVersion{ScriptId: v.ScriptID, Version: int32(v.Version), Point: v.Point, Hash: v.Hash, Author: v.Author,
		Notes: v.Notes, CreatedAt: millis(v.CreatedAt)}
	if withSource {
		dto.Source = v.Source
	}
	return dto
}

func publicationDTO(p extensions.Publication) *trade.Publication {
	return &trade.Publication{Scope: p.Scope, Point: p.Point, StableScript: p.StableScript, StableVersion: int32(p.StableVersion),
		GrayScript: p.GrayScript, GrayVersion: int32(p.GrayVersion), GrayBasisPoints: int32(p.GrayBP), PublishedBy: p.By,
		PublishedAt: millis(p.At)}
}
