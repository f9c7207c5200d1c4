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

// shadowRequest asks for a shadow replay of a version: over the latest limit calls (default
// 1,000, at most 10,000) of its point at scope, since a time (RFC 3339 or a date; default a
// week ago).
type shadowRequest struct {
	Scope string `json:"scope"`
	Point string `json:"point"`
	Limit int32  `json:"limit"`
	Since string `json:"since"`
}

// shadowView is what a replay found. Money is in minor units; moneyDelta is per currency, what
// buyers would pay more (negative: less) with the candidate.
type shadowView struct {
	ScriptID   string `json:"scriptId"`
	Version    int32  `json:"version"`
	Point      string `json:"point"`
	Scope      string `json:"scope"`
	Since      string `json:"since"`
	Calls      int32  `json:"calls"`
	Changed    int32  `json:"changed"`
	Errors     int32  `json:"errors"`
	BudgetHits int32  `json:"budgetHits"`
	// Skipped calls were logged cut short (too large to keep whole) and not replayed.
	Skipped      int32            `json:"skipped"`
	Money        bool             `json:"money"`
	MoneyDelta   map[string]int64 `json:"moneyDelta"`
	ChangedMoney int32            `json:"changedMoney"`
	TookMicros   int64            `json:"tookMicros"`
	ChangedCalls []shadowCallView `json:"changedCalls"`
	FailedCalls  []shadowCallView `json:"failedCalls"`
	Slowest      []shadowCallView `json:"slowest"`
}

type shadowCallView struct {
	TradeID     string          `json:"tradeId"`
	Seq         int32           `json:"seq"`
	At          string          `json:"at"`
	RanScriptID string          `json:"ranScriptId,omitempty"`
	RanVersion  int32           `json:"ranVersion,omitempty"`
	Baseline    json.RawMessage `json:"baseline,omitempty"`
	Candidate   json.RawMessage `json:"candidate,omitempty"`
	MoneyDelta  int64           `json:"moneyDelta"`
	Currency    string          `json:"currency,omitempty"`
	Error       string          `json:"error,omitempty"`
	BudgetHit   bool            `json:"budgetHit,omitempty"`
	TookMicros  int64           `json:"tookMicros"`
}

func (g *Gateway) shadowRoutes(ch *channel) {
	g.add(route{Method: "POST", Path: ch.prefix + "/extensions/scripts/:scriptId/versions/:version/shadow", Channel: ch, Auth: true,
		Summary: "Shadow-replay a version over the logged calls of its point at a scope, beside what they returned: what would change, by how much money, its errors, budget hits and slowest calls (nothing is written)",
		Request: shadowRequest{}, Response: shadowView{}}, g.serve(ch, g.shadow(ch)))
}

func (g *Gateway) shadow(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		version, err := strconv.Atoi(c.Param("version"))
		if err != nil || version < 1 {
			return 0, nil, errkind.Invalidf("version must be a positive integer")
		}
		var req shadowRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if req.Scope == "" {
			return 0, nil, errkind.Invalidf("scope is required")
		}
		since, err := parseTime("since", req.Since)
		if err != nil {
			return 0, nil, err
		}
		rep, err := g.rpc.Extensions.ShadowScript(ctx, &trade.ShadowScriptRequest{Caller: callerOf(c), ScriptId: c.Param("scriptId"),
			Version: int32(version), Scope: req.Scope, Point: req.Point, Limit: req.Limit, Since: since})
		if err != nil {
			return 0, nil, err
		}
		v := shadowView{ScriptID: rep.ScriptId, Version: rep.Version, Point: rep.Point, Scope: rep.Scope, Since: timeOf(rep.Since),
			Calls: rep.Calls, Changed: rep.Changed, Errors: rep.Errors, BudgetHits: rep.BudgetHits, Skipped: rep.Skipped, Money: rep.Money,
			MoneyDelta: rep.MoneyDelta, ChangedMoney: rep.ChangedMoney, TookMicros: rep.TookMicros, ChangedCalls: shadowCallsOf(rep.ChangedCalls),
			FailedCalls: shadowCallsOf(rep.FailedCalls), Slowest: shadowCallsOf(rep.Slowest)}
		if v.MoneyDelta == nil {
			v.MoneyDelta = map[string]int64{}
		}
		return http.StatusOK, v, nil
	}
}

func shadowCallsOf(cs []*trade.ShadowCall) []shadowCallView {
	out := make([]shadowCallView, len(cs))
	for i, c := range cs {
		out[i] = shadowCallView{TradeID: c.TradeId, Seq: c.Seq, At: timeOf(c.At), RanScriptID: c.RanScriptId, RanVersion: c.RanVersion,
			Baseline: rawOrNil(c.Baseline), Candidate: rawOrNil(c.Candidate), MoneyDelta: c.MoneyDelta, Currency: c.Currency,
			Error: c.Error, BudgetHit: c.BudgetHit, TookMicros: c.TookMicros}
	}
	return out
}
