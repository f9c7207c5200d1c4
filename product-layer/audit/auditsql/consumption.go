package auditsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

// lifecycle reads an order's status through its scenario's lifecycle, as its flow declared it:
// whether the order is still live (an ended order has given back its limit claims, a trade with
// no live order what it redeemed) and whether it reads as paid. A scenario no flow declared
// reads as live and unpaid: a check then finds nothing rather than something false.
func lifecycle(scenario, status string) (live, paid bool) {
	l, err := order.LifecycleOf(identity.Scenario(scenario))
	if err != nil {
		return true, false
	}
	return !l.IsClosed(order.Status(status)), l.IsPaid(order.Status(status))
}

// consumption: what is consumed equals what live orders hold. A trade none of whose orders is
// live redeems no coupon or budget, an ended order claims no purchase limit, and each coupon's
// uses and each campaign's spend are the sums of their redemptions (a campaign never over its
// budget). Read for the touched trades, the coupons and campaigns they redeemed, and the open
// findings' subjects (a trade, an order, "coupon:CODE" or "campaign:ID").
func (c *Checks) consumption(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	found := func(kind, subject, format string, a ...any) {
		res.Findings = append(res.Findings, audit.Finding{Kind: kind, Subject: subject, Detail: fmt.Sprintf(format, a...)})
	}
	coupons, campaigns := map[string]bool{}, map[string]bool{}
	var subjects []string
	for _, r := range s.Recheck {
		switch kind, ref, _ := strings.Cut(r, ":"); kind {
		case "coupon":
			coupons[ref] = true
		case "campaign":
			campaigns[ref] = true
		default:
			subjects = append(subjects, r)
		}
	}
	recheck, err := c.tradesOf(ctx, s.Tenant, subjects)
	if err != nil {
		return res, err
	}
	ids, err := c.touchedTrades(ctx, s, recheck)
	if err != nil {
		return res, err
	}
	q := c.db.R(ctx)
	err = inBatches(dedupe(ids), func(_ []string, in string, args []any) error {
		live := map[string]bool{}
		var endedOrders []string
		err := each(ctx, q, func(r *sql.Rows) error {
			var orderID, tradeID, scenario, status string
			if err := r.Scan(&orderID, &tradeID, &scenario, &status); err != nil {
				return err
			}
			res.Rows++
			if isLive, _ := lifecycle(scenario, status); isLive {
				live[tradeID] = true
			} else {
				endedOrders = append(endedOrders, orderID)
				if _, seen := live[tradeID]; !seen {
					live[tradeID] = false
				}
			}
			return nil
		}, `SELECT order_id, trade_id, scenario, status FROM orders WHERE tenant = ? AND trade_id IN `+in, append([]any{s.Tenant}, args...)...)
		if err != nil {
			return err
		}
		err = each(ctx, q, func(r *sql.Rows) error {
			var tradeID, kind, ref string
			var amount int64
			if err := r.Scan(&tradeID, &kind, &ref, &amount); err != nil {
				return err
			}
			if kind == "coupon" {
				coupons[ref] = true
			} else {
				campaigns[ref] = true
			}
			if isLive, known := live[tradeID]; known && !isLive {
				found(KindRedeemedByEnded, tradeID, "trade %s has no live order and still redeems %s %s (%d)", tradeID, kind, ref, amount)
			}
			return nil
		}, `SELECT trade_id, kind, ref, amount FROM discount_redemptions WHERE tenant = ? AND trade_id IN `+in, append([]any{s.Tenant}, args...)...)
		if err != nil {
			return err
		}
		if len(endedOrders) == 0 {
			return nil
		}
		oin, oargs := inList(endedOrders)
		return each(ctx, q, func(r *sql.Rows) error {
			var orderID, ruleID string
			var amount int64
			if err := r.Scan(&orderID, &ruleID, &amount); err != nil {
				return err
			}
			found(KindClaimedByEnded, orderID, "order %s has ended and still claims %d of limit %s", orderID, amount, ruleID)
			return nil
		}, `SELECT order_id, rule_id, amount FROM limit_claims WHERE tenant = ? AND order_id IN `+oin, append([]any{s.Tenant}, oargs...)...)
	})
	if err != nil {
		return res, err
	}
	for code := range coupons {
		var used, sum int64
		err := q.QueryRowContext(ctx, `SELECT used, (SELECT COALESCE(SUM(r.amount), 0) FROM discount_redemptions r
			WHERE r.tenant = c.tenant AND r.kind = 'coupon' AND r.ref = c.code) FROM discount_coupons c WHERE c.tenant = ? AND c.code = ?`,
			s.Tenant, code).Scan(&used, &sum)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return res, err
		}
		res.Rows++
		if used != sum {
			found(KindCouponMismatch, "coupon:"+code, "coupon %s counts %d uses; its redemptions are %d", code, used, sum)
		}
	}
	for id := range campaigns {
		var budget, spent, sum int64
		err := q.QueryRowContext(ctx, `SELECT budget, spent, (SELECT COALESCE(SUM(r.amount), 0) FROM discount_redemptions r
			WHERE r.tenant = c.tenant AND r.kind = 'campaign' AND r.ref = c.campaign_id) FROM discount_campaigns c WHERE c.tenant = ? AND c.campaign_id = ?`,
			s.Tenant, id).Scan(&budget, &spent, &sum)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return res, err
		}
		res.Rows++
		if spent != sum || spent > budget {
			found(KindBudgetMismatch, "campaign:"+id, "campaign %s spent %d of its budget %d; its redemptions are %d", id, spent, budget, sum)
		}
	}
	return res, nil
}

// counters: each purchase-limit counter is the sum of the claims live orders hold on it (an
// ended order's claim is given back, and the consumption check sees it is). The claims have no
// index by counter (one would cost every order with a limit a write), so this runs on full audits
// only, over the tenant's counters and claims in one read snapshot.
func (c *Checks) counters(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	err := c.fullSnapshot(ctx, s, func(tx *sql.Tx) error { return c.countersIn(ctx, tx, s, &res) })
	return res, err // res after the snapshot filled it
}

func (c *Checks) countersIn(ctx context.Context, tx *sql.Tx, s audit.Scope, res *audit.Result) error {
	claimed := map[[3]string]int64{}
	err := each(ctx, tx, func(r *sql.Rows) error {
		var k [3]string
		var n int64
		if err := r.Scan(&k[0], &k[1], &k[2], &n); err != nil {
			return err
		}
		claimed[k] = n
		return nil
	}, `SELECT rule_id, subject, period, SUM(amount) FROM limit_claims WHERE tenant = ? GROUP BY rule_id, subject, period`, s.Tenant)
	if err != nil {
		return err
	}
	found := func(k [3]string, used int64) {
		res.Findings = append(res.Findings, audit.Finding{Kind: KindLimitCounter, Subject: "limit:" + strings.Join(k[:], "/"),
			Detail: fmt.Sprintf("limit %s counts %d for %s in %s; its claims hold %d", k[0], used, k[1], k[2], claimed[k])})
	}
	err = each(ctx, tx, func(r *sql.Rows) error {
		var k [3]string
		var used int64
		if err := r.Scan(&k[0], &k[1], &k[2], &used); err != nil {
			return err
		}
		res.Rows++
		if used != claimed[k] {
			found(k, used)
		}
		delete(claimed, k)
		return nil
	}, `SELECT rule_id, subject, period, used FROM limit_counters WHERE tenant = ?`, s.Tenant)
	for k, n := range claimed {
		if n != 0 {
			found(k, 0)
		}
	}
	return err
}
