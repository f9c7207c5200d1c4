package tradesvc

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/frontend"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// RegisterFrontend implements its service.
func (h *FrontendsAdmin) RegisterFrontend(ctx context.Context, req *trade.RegisterFrontendRequest) (*trade.Frontend, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	f, err := frontend.New(req.FrontendId, cl.tenant, req.BizCode, req.Channel, time.Now())
	if err != nil {
		return nil, err
	}
	if err := h.frontends.Register(ctx, f); err != nil {
		return nil, err
	}
	return frontendDTO(f), nil
}

// ListFrontends implements its service.
func (h *FrontendsAdmin) ListFrontends(ctx context.Context, req *trade.ListFrontendsRequest) (*trade.ListFrontendsResponse, error) {
	tenant := ""
	if req.Caller == nil || req.Caller.Role != RoleSystem {
		cl, err := asAdmin(req.Caller)
		if err != nil {
			return nil, err
		}
		tenant = cl.tenant
	}
	fs, err := h.frontends.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListFrontendsResponse{Frontends: []*trade.Frontend{}}
	for _, f := range fs {
		resp.Frontends = append(resp.Frontends, frontendDTO(f))
	}
	return resp, nil
}

func frontendDTO(f frontend.Frontend) *trade.Frontend {
	return &trade.Frontend{FrontendId: f.ID, Tenant: f.Tenant, BizCode: f.BizCode, Channel: f.Channel, UpdatedAt: millis(f.UpdatedAt)}
}
