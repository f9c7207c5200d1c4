package auditsql

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

// kept is what a trade keeps of its payments by purpose: what succeeded less what it gives back
// (a refund owed counts from the moment it is written).
func (c *Checks) kept(ctx context.Context, tenant string, in string, args []any) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	add := func(trade, purpose string, amount int64) {
		if out[trade] == nil {
			out[trade] = map[string]int64{}
		}
		out[trade][purpose] += amount
	}
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		var trade, purpose string
		var amount int64
		if err := r.Scan(&trade, &purpose, &amount); err != nil {
			return err
		}
		add(trade, purpose, amount)
		return nil
	}, `SELECT p.trade_id, p.purpose, p.amount - COALESCE((SELECT SUM(r.amount) FROM payment_refunds r WHERE r.payment_id = p.payment_id), 0)
		FROM payments p WHERE p.tenant = ? AND p.trade_id IN `+in+` AND p.status = 'succeeded'`, append([]any{tenant}, args...)...)
	return out, err
}

// presale: a pre-sale trade's deposit and balance agree with its deposit's status: a deposit
// forfeited is kept whole and no balance; one refunded or cancelled keeps nothing; a paid one
// keeps no more than the deposit and the balance (an after-sale may give part back); none keeps
// a negative amount.
func (c *Checks) presale(ctx context.Context, s audit.Scope) (audit.Result, error) {
	ids, err := c.touchedTrades(ctx, s, s.Recheck)
	if err != nil {
		return audit.Result{}, err
	}
	var res audit.Result
	err = inBatches(dedupe(ids), func(_ []string, in string, args []any) error {
		type row struct {
			id, status               string
			deposit, credit, balance int64
		}
		var rows []row
		err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
			var x row
			if err := r.Scan(&x.id, &x.status, &x.deposit, &x.credit, &x.balance); err != nil {
				return err
			}
			rows = append(rows, x)
			return nil
		}, `SELECT trade_id, deposit_status, deposit, credit, balance FROM presale_trades WHERE tenant = ? AND trade_id IN `+in,
			append([]any{s.Tenant}, args...)...)
		if err != nil || len(rows) == 0 {
			return err
		}
		res.Rows += len(rows)
		kept, err := c.kept(ctx, s.Tenant, in, args)
		if err != nil {
			return err
		}
		for _, x := range rows {
			k := kept[x.id]
			dep, bal := k["deposit"], k["balance"]
			bad := dep < 0 || bal < 0
			switch x.status {
			case "paid":
				bad = bad || dep > x.deposit || bal > x.balance
			case "forfeited":
				bad = bad || dep != x.deposit || bal != 0
			case "refunded", "cancelled", "pending":
				bad = bad || dep != 0 || bal != 0
			default:
				bad = true
			}
			if bad {
				res.Findings = append(res.Findings, audit.Finding{Kind: KindPresaleMismatch, Subject: x.id,
					Detail: fmt.Sprintf("pre-sale trade %s: deposit %s, keeps %d of its deposit %d and %d of its balance %d", x.id, x.status, dep, x.deposit, bal, x.balance)})
			}
		}
		return nil
	})
	return res, err
}

// groups: a group never holds more members than its places; a formed group has its paid
// members (less its virtual fill); a failed group's members and those who left keep nothing.
// The groups looked at are those of the touched trades' members.
func (c *Checks) groups(ctx context.Context, s audit.Scope) (audit.Result, error) {
	q := c.db.R(ctx)
	scan := func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}
	var groups []string
	if s.Since.IsZero() {
		var err error
		if groups, err = dal.All(ctx, q, scan, `SELECT group_id FROM groupbuy_groups WHERE tenant = ?`, s.Tenant); err != nil {
			return audit.Result{}, err
		}
	} else {
		ids, err := c.touchedTrades(ctx, s, nil)
		if err != nil {
			return audit.Result{}, err
		}
		err = inBatches(dedupe(ids), func(_ []string, in string, args []any) error {
			gs, err := dal.All(ctx, q, scan, `SELECT DISTINCT group_id FROM groupbuy_members WHERE tenant = ? AND trade_id IN `+in,
				append([]any{s.Tenant}, args...)...)
			groups = append(groups, gs...)
			return err
		})
		if err != nil {
			return audit.Result{}, err
		}
	}
	groups = dedupe(append(groups, s.Recheck...))
	var res audit.Result
	found := func(kind, subject, format string, a ...any) {
		res.Findings = append(res.Findings, audit.Finding{Kind: kind, Subject: subject, Detail: fmt.Sprintf(format, a...)})
	}
	err := inBatches(groups, func(_ []string, in string, args []any) error {
		type group struct {
			status             string
			size, virtualFill  int
			active, paid, kept int
			keptBy             []string
		}
		gs := map[string]*group{}
		err := each(ctx, q, func(r *sql.Rows) error {
			var id string
			g := &group{}
			if err := r.Scan(&id, &g.status, &g.size, &g.virtualFill); err != nil {
				return err
			}
			gs[id] = g
			return nil
		}, `SELECT group_id, status, size, virtual_fill FROM groupbuy_groups WHERE tenant = ? AND group_id IN `+in, append([]any{s.Tenant}, args...)...)
		if err != nil {
			return err
		}
		res.Rows += len(gs)
		err = each(ctx, q, func(r *sql.Rows) error {
			var groupID, tradeID, status string
			var kept int64
			if err := r.Scan(&groupID, &tradeID, &status, &kept); err != nil {
				return err
			}
			g := gs[groupID]
			if g == nil {
				return nil
			}
			switch status {
			case "joined":
				g.active++
			case "paid":
				g.active++
				g.paid++
			case "refunded":
				g.paid++ // counted towards formation, then refunded: the group stays formed
			}
			if kept > 0 && (g.status == "failed" || status == "left" || status == "refunded") {
				found(KindGroupMemberKept, tradeID, "member %s of group %s (%s) is %s and its trade keeps %d", tradeID, groupID, g.status, status, kept)
			}
			return nil
		}, `SELECT m.group_id, m.trade_id, m.status,
			COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.tenant = m.tenant AND p.trade_id = m.trade_id AND p.status = 'succeeded'), 0)
			- COALESCE((SELECT SUM(r.amount) FROM payments p JOIN payment_refunds r ON r.payment_id = p.payment_id
				WHERE p.tenant = m.tenant AND p.trade_id = m.trade_id), 0)
			FROM groupbuy_members m WHERE m.tenant = ? AND m.group_id IN `+in, append([]any{s.Tenant}, args...)...)
		if err != nil {
			return err
		}
		for id, g := range gs {
			if g.active > g.size {
				found(KindGroupOverfilled, id, "group %s holds %d members for %d places", id, g.active, g.size)
			}
			if g.status == "formed" && g.paid < g.size-g.virtualFill {
				found(KindGroupFormedShort, id, "group %s formed with %d paid members of %d (virtual fill %d)", id, g.paid, g.size, g.virtualFill)
			}
		}
		return nil
	})
	return res, err
}
