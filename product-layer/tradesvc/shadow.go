package tradesvc

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// ShadowScript implements its service.
func (h *ExtensionsAdmin) ShadowScript(ctx context.Context, req *trade.ShadowScriptRequest) (*trade.ShadowReport, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	sr := extensions.ShadowRequest{ScriptID: req.ScriptId, Version: int(req.Version), Scope: req.Scope, Point: req.Point, Limit: int(req.Limit)}
	if req.Since != 0 {
		sr.Since = time.UnixMilli(req.Since)
	}
	rep, err := h.ext.Shadow(ctx, cl.tenant, sr)
	if err != nil {
		return nil, err
	}
	return &trade.ShadowReport{ScriptId: rep.ScriptID, Version: int32(rep.Version), Point: rep.Point, Scope: rep.Scope,
		Since: millis(rep.Since), Calls: int32(rep.Calls), Changed: int32(rep.Changed), Errors: int32(rep.Errors),
		BudgetHits: int32(rep.BudgetHits), Money: rep.Money, MoneyDelta: rep.MoneyDelta, ChangedMoney: int32(rep.ChangedMoney),
		TookMicros: rep.Took.Microseconds(), ChangedCalls: shadowCallDTOs(rep.ChangedCalls), FailedCalls: shadowCallDTOs(rep.FailedCalls),
		Slowest: shadowCallDTOs(rep.Slowest), Skipped: int32(rep.Skipped)}, nil
}

func shadowCallDTOs(cs []extensions.ShadowCall) []*trade.ShadowCall {
	out := make([]*trade.ShadowCall, len(cs))
	for i, c := range cs {
		out[i] = &trade.ShadowCall{TradeId: c.TradeID, Seq: int32(c.Seq), At: millis(c.At), RanScriptId: c.Ran.ScriptID,
			RanVersion: int32(c.Ran.Version), Baseline: c.Baseline, Candidate: c.Candidate, MoneyDelta: c.MoneyDelta,
			Currency: c.Currency, Error: c.Error, BudgetHit: c.BudgetHit, TookMicros: c.Took.Microseconds()}
	}
	return out
}
