package tradesvc

import (
	"context"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// GetAudit implements its service: the caller's tenant's open findings, the oldest first.
func (h *AuditAdmin) GetAudit(ctx context.Context, req *trade.AuditRequest) (*trade.AuditReport, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if len(req.Kind) > 64 {
		return nil, errkind.WithDetail(errkind.ErrInvalid, "kind is at most 64 characters")
	}
	if h.audit == nil {
		return nil, errkind.WithDetail(errkind.ErrUnavailable, "the auditor's findings are not kept on this node")
	}
	open, err := h.audit.Open(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	at, err := h.audit.Watermark(ctx, cl.tenant)
	if err != nil {
		return nil, err
	}
	out := &trade.AuditReport{Tenant: cl.tenant, Findings: []*trade.AuditFinding{}, ByKind: map[string]int64{}}
	if !at.IsZero() {
		out.AuditedAt = at.UTC().Format(time.RFC3339)
	}
	for _, f := range open {
		if req.Kind != "" && f.Kind != req.Kind && !strings.HasPrefix(f.Kind, req.Kind+".") {
			continue
		}
		out.ByKind[f.Kind]++
		out.Findings = append(out.Findings, &trade.AuditFinding{Kind: f.Kind, Subject: f.Subject, Check: f.Check, Detail: f.Detail,
			FirstSeen: f.FirstSeen.UTC().Format(time.RFC3339), LastSeen: f.LastSeen.UTC().Format(time.RFC3339)})
	}
	return out, nil
}
