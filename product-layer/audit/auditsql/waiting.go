package auditsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/audit"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// waiting: a trade whose flow instance is in a state its flow moves on by time (trade.States.
// Waits: a trade awaiting payment, a pre-sale awaiting its deposit or its balance) holds one of
// the timers that move it, pending; without one nothing will ever move it, and its stock and any
// money paid toward it stay where they are. Read for the touched trades and the open findings'
// subjects, by primary key and the timers' unique (kind, ref) index.
func (c *Checks) waiting(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	ids, err := c.touchedTrades(ctx, s, s.Recheck)
	if err != nil {
		return res, err
	}
	q := c.db.R(ctx)
	err = inBatches(dedupe(ids), func(_ []string, in string, args []any) error {
		wants := map[string][]string{} // trade → the timer kinds one of which it must hold
		states := map[string]string{}
		err := each(ctx, q, func(r *sql.Rows) error {
			var id, scenario, state string
			if err := r.Scan(&id, &scenario, &state); err != nil {
				return err
			}
			res.Rows++
			if st, ok := trade.StatesOf(identity.Scenario(scenario)); ok {
				if kinds := st.WaitsOn(state); len(kinds) > 0 {
					wants[id], states[id] = kinds, state
				}
			}
			return nil
		}, `SELECT trade_id, scenario, flow_state FROM trades WHERE tenant = ? AND trade_id IN `+in, append([]any{s.Tenant}, args...)...)
		if err != nil || len(wants) == 0 {
			return err
		}
		held, err := c.pendingTimers(ctx, s.Tenant, wants)
		if err != nil {
			return err
		}
		var missing []string
		for id := range wants {
			if !held[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		// A step that moved the trade on (paid, cancelled) ends its timer in the same
		// transaction: read the state again, after the timers, and keep only those still there.
		still, sargs := inList(missing)
		return each(ctx, c.db.Q(ctx), func(r *sql.Rows) error {
			var id, state string
			if err := r.Scan(&id, &state); err != nil {
				return err
			}
			if state == states[id] {
				res.Findings = append(res.Findings, audit.Finding{Kind: KindFlowNoTimer, Subject: id,
					Detail: fmt.Sprintf("trade %s is %s and holds no pending timer (%s) to move it on", id, state, strings.Join(wants[id], " or "))})
			}
			return nil
		}, `SELECT trade_id, flow_state FROM trades WHERE tenant = ? AND trade_id IN `+still, append([]any{s.Tenant}, sargs...)...)
	})
	return res, err
}

// pendingTimers reports which of the trades hold a pending timer of one of their kinds.
func (c *Checks) pendingTimers(ctx context.Context, tenant string, wants map[string][]string) (map[string]bool, error) {
	byKind := map[string][]string{} // kind → refs
	for id, kinds := range wants {
		for _, k := range kinds {
			byKind[k] = append(byKind[k], trade.TimerRef(tenant, id))
		}
	}
	held := map[string]bool{}
	for kind, refs := range byKind {
		in, args := inList(refs)
		err := each(ctx, c.db.Q(ctx), func(r *sql.Rows) error {
			var ref string
			if err := r.Scan(&ref); err != nil {
				return err
			}
			if _, id, err := trade.ParseTimerRef(ref); err == nil {
				held[id] = true
			}
			return nil
		}, `SELECT ref FROM delayed_jobs WHERE kind = ? AND ref IN `+in+` AND done_at = 0`, append([]any{kind}, args...)...)
		if err != nil {
			return nil, err
		}
	}
	return held, nil
}
