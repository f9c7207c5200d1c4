package auditsql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

// The kinds of finding, stable: alerts and dashboards key on them.
const (
	KindStockUnbalanced     = "stock.unbalanced"           // available + reserved + sold + damaged != on hand, or one negative
	KindHoldStranded        = "stock.hold_stranded"        // a hold with no order, long past its expiry
	KindHeldByCancelled     = "stock.held_by_cancelled"    // a cancelled order's reservation still holds stock
	KindOrderUnbalanced     = "money.order_unbalanced"     // lines do not add up to their order
	KindDiscountUnallocated = "money.discount_unallocated" // an order's promotions do not add up to its discount
	KindTradeUnbalanced     = "money.trade_unbalanced"     // orders do not add up to their trade
	KindOverpaid            = "money.overpaid"             // a trade keeps more than it owes
	KindRefundOverPayment   = "money.refund_over_payment"  // a payment gives back more than it took
	KindRefundOfUnpaid      = "money.refund_of_unpaid"     // a payment that took nothing gives back
	KindRefundOverOrder     = "money.refund_over_order"    // an order gives back more than it totals
	KindPaymentStranded     = "stranded.payment_pending"   // a payment pending long after nothing awaits it
	KindUnpaidStranded      = "stranded.unpaid_order"      // an order awaiting payment past its deadline
	KindTimerOverdue        = "stranded.timer_overdue"     // a durable timer long past due, not run
	KindRefundStranded      = "stranded.refund_pending"    // a refund pending with the provider too long
	KindEventUnrelayed      = "events.unrelayed"           // a committed event not relayed within its lag bound
	KindGroupUnsettled      = "groupbuy.unsettled"         // a group still forming past its deadline
	KindAuctionUnsettled    = "auction.unsettled"          // an auction past its close, not settled
	KindDepositOpen         = "deposit.open"               // a paid deposit of an auction long settled
	KindDepositRefund       = "deposit.refund_mismatch"    // a deposit's status and its refunds disagree
	KindDepositCredit       = "deposit.credit_without_sale"
	KindPresaleMismatch     = "presale.deposit_mismatch"    // a pre-sale trade keeps what its deposit's status says it may not
	KindGroupOverfilled     = "groupbuy.overfilled"         // a group holds more members than places
	KindGroupFormedShort    = "groupbuy.formed_short"       // a group formed with fewer paid members than it needs
	KindGroupMemberKept     = "groupbuy.member_kept"        // a failed group's member, or one who left, keeps money
	KindRedeemedByEnded     = "discount.held_by_ended"      // a trade with no live order still redeems a coupon or budget
	KindClaimedByEnded      = "limits.held_by_ended"        // an ended order still claims a purchase limit
	KindCouponMismatch      = "discount.coupon_mismatch"    // a coupon's use count is not its redemptions
	KindBudgetMismatch      = "discount.budget_mismatch"    // a campaign's spend is not its redemptions, or over its budget
	KindFlowNoTimer         = "stranded.flow_without_timer" // a trade waits on time and holds no timer to move it
	KindStockLedger         = "stock.ledger_mismatch"       // a level's reserved, sold or damaged is not what its reservations and returns say
	KindLimitCounter        = "limits.counter_mismatch"     // a purchase-limit counter is not the sum of its claims
	KindRefundOverLine      = "money.refund_over_line"      // a line's after-sales give back more than it paid
)

// Kinds are every kind a check makes, for dashboards that show each one, found or not.
var Kinds = []string{
	KindStockUnbalanced, KindHoldStranded, KindHeldByCancelled, KindOrderUnbalanced, KindDiscountUnallocated,
	KindTradeUnbalanced, KindOverpaid, KindRefundOverPayment, KindRefundOfUnpaid, KindRefundOverOrder,
	KindPaymentStranded, KindUnpaidStranded, KindTimerOverdue, KindRefundStranded, KindEventUnrelayed, KindGroupUnsettled,
	KindAuctionUnsettled, KindDepositOpen, KindDepositRefund, KindDepositCredit,
	KindPresaleMismatch, KindGroupOverfilled, KindGroupFormedShort, KindGroupMemberKept,
	KindRedeemedByEnded, KindClaimedByEnded, KindCouponMismatch, KindBudgetMismatch, KindFlowNoTimer,
	KindStockLedger, KindLimitCounter, KindRefundOverLine,
}

// Config are the bounds past which something is stranded.
type Config struct {
	// UnpaidWindow is the platform's unpaid window (trade.unpaidWindow, filled in from it) and
	// UnpaidGrace how long past a trade's pay deadline an order may still await payment (its
	// timer's retries).
	UnpaidWindow time.Duration `yaml:"-"`
	UnpaidGrace  time.Duration `yaml:"unpaidGrace"`
	// PaymentGrace: a payment pending this long with nothing of its trade awaiting payment.
	PaymentGrace time.Duration `yaml:"paymentGrace"`
	// TimerGrace: a timer this far past due and not run.
	TimerGrace time.Duration `yaml:"timerGrace"`
	// RefundGrace: a refund pending with its provider this long.
	RefundGrace time.Duration `yaml:"refundGrace"`
	// RelayLag: an event committed this long ago and not relayed.
	RelayLag time.Duration `yaml:"relayLag"`
	// DeadlineGrace: a group forming or an auction unsettled this long past its deadline, a
	// deposit still held this long after its auction settled.
	DeadlineGrace time.Duration `yaml:"deadlineGrace"`
}

// DefaultConfig are bounds well past every sweep and timer retry of a healthy node.
func DefaultConfig() Config {
	return Config{UnpaidWindow: 30 * time.Minute, UnpaidGrace: 10 * time.Minute, PaymentGrace: 30 * time.Minute,
		TimerGrace: 10 * time.Minute, RefundGrace: time.Hour, RelayLag: 10 * time.Minute, DeadlineGrace: 10 * time.Minute}
}

// Validate checks that every bound is set.
func (c Config) Validate() error {
	for name, d := range map[string]time.Duration{"unpaidGrace": c.UnpaidGrace, "paymentGrace": c.PaymentGrace, "timerGrace": c.TimerGrace,
		"refundGrace": c.RefundGrace, "relayLag": c.RelayLag, "deadlineGrace": c.DeadlineGrace} {
		if d <= 0 {
			return fmt.Errorf("audit: %s must be positive, not %s", name, d)
		}
	}
	return nil
}

// Checks are the auditor's checks on one database.
type Checks struct {
	db  *dal.DB
	cfg Config
}

// NewChecks returns the checks on db.
func NewChecks(db *dal.DB, cfg Config) *Checks { return &Checks{db: db, cfg: cfg} }

// List is every check, in the order a run makes them.
func (c *Checks) List() []audit.Check {
	return []audit.Check{
		{Name: "stock.levels", Run: c.levels},
		{Name: "stock.holds", Run: c.holds},
		{Name: "money.trades", Run: c.trades},
		{Name: "stranded.unpaid", Run: c.unpaid},
		{Name: "stranded.payments", Run: c.payments},
		{Name: "stranded.refunds", Run: c.refunds},
		{Name: "stranded.timers", Run: c.timers},
		{Name: "events.relay", Run: c.events},
		{Name: "deposits", Run: c.deposits},
		{Name: "presale.trades", Run: c.presale},
		{Name: "groupbuy.groups", Run: c.groups},
		{Name: "consumption", Run: c.consumption},
		{Name: "flows.waiting", Run: c.waiting},
		{Name: "stock.ledger", Run: c.ledger},
		{Name: "limits.counters", Run: c.counters},
		{Name: "deadlines", Run: c.deadlines},
	}
}

// levels: every SKU's stock per warehouse adds up. A run reads the levels of the SKUs in the
// touched trades' orders and of its open findings (a full run, every level).
func (c *Checks) levels(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	read := func(r *sql.Rows) error {
		var sku, wh string
		var onHand, available, reserved, sold, damaged int64
		if err := r.Scan(&sku, &wh, &onHand, &available, &reserved, &sold, &damaged); err != nil {
			return err
		}
		res.Rows++
		if available < 0 || reserved < 0 || sold < 0 || damaged < 0 || available+reserved+sold+damaged != onHand {
			res.Findings = append(res.Findings, audit.Finding{Kind: KindStockUnbalanced, Subject: sku + "/" + wh,
				Detail: fmt.Sprintf("%s in %s: on hand %d, available %d, reserved %d, sold %d, damaged %d", sku, wh, onHand, available, reserved, sold, damaged)})
		}
		return nil
	}
	const levels = `SELECT sku_id, warehouse_id, on_hand, available, reserved, sold, damaged FROM inventory_levels WHERE tenant = ?`
	if s.Since.IsZero() {
		return res, each(ctx, c.db.R(ctx), read, levels, s.Tenant)
	}
	skus := map[string]bool{}
	for _, subject := range s.Recheck {
		sku, _, _ := strings.Cut(subject, "/")
		skus[sku] = true
	}
	trades, err := c.touchedTrades(ctx, s, nil)
	if err != nil {
		return res, err
	}
	err = inBatches(dedupe(trades), func(_ []string, in string, args []any) error {
		orders, err := dal.All(ctx, c.db.R(ctx), func(r *sql.Rows) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT order_id FROM orders WHERE tenant = ? AND trade_id IN `+in, append([]any{s.Tenant}, args...)...)
		if err != nil {
			return err
		}
		oin, oargs := inList(append(orders, ""))
		return each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
			var sku string
			var line int
			if err := r.Scan(&sku, &line); err != nil {
				return err
			}
			skus[sku] = true
			return nil
			// Deduplicated here, and reading line_no: SQLite (without statistics) would otherwise
			// answer from order_lines_by_sku, which covers sku_id and order_id, walking every line
			// of the tenant, rather than look the orders' lines up by the primary key.
		}, `SELECT sku_id, line_no FROM order_lines WHERE tenant = ? AND order_id IN `+oin, append([]any{s.Tenant}, oargs...)...)
	})
	if err != nil {
		return res, err
	}
	return res, inBatches(keys(skus), func(_ []string, in string, args []any) error {
		return each(ctx, c.db.R(ctx), read, levels+` AND sku_id IN `+in, append([]any{s.Tenant}, args...)...)
	})
}

// holds: a hold that expired long ago and still reserves stock, with no order behind it (the
// hot path's holds become orders or go back when they expire). Read by the expiry index the
// sweeper uses, over every tenant (such holds are few), and kept to the scope's tenant here.
func (c *Checks) holds(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	type hold struct {
		id      string
		expires int64
	}
	var held []hold
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		var tenant string
		var h hold
		if err := r.Scan(&tenant, &h.id, &h.expires); err != nil {
			return err
		}
		res.Rows++
		if tenant == s.Tenant {
			held = append(held, h)
		}
		return nil
	}, `SELECT tenant, reservation_id, expires_at FROM inventory_reservations WHERE expires_at < ? AND status = 'reserved'`,
		s.Now.Add(-c.cfg.DeadlineGrace).UnixMilli())
	if err != nil {
		return res, err
	}
	for _, h := range held {
		var n int
		if err := c.db.R(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE tenant = ? AND order_id = ?`, s.Tenant, h.id).Scan(&n); err != nil {
			return res, err
		}
		if n == 0 {
			res.Findings = append(res.Findings, audit.Finding{Kind: KindHoldStranded, Subject: h.id,
				Detail: fmt.Sprintf("hold %s expired at %s, has no order and still reserves stock", h.id, dal.FromMillis(h.expires).UTC().Format(time.RFC3339))})
		}
	}
	return res, nil
}

// payments: a payment pending long after it was made whose trade has no order awaiting a
// payment (a cancel closes its pending payments; one that stays pending is money in a state
// nothing moves). Read by the status index the intent sweeper uses; each one found is then
// looked up by its trade.
func (c *Checks) payments(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	type pending struct {
		id, trade string
		amount    int64
	}
	var ps []pending
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		var p pending
		if err := r.Scan(&p.id, &p.trade, &p.amount); err != nil {
			return err
		}
		res.Rows++
		ps = append(ps, p)
		return nil
	}, `SELECT payment_id, trade_id, amount FROM payments WHERE status = 'pending' AND created_at < ? AND tenant = ?`,
		s.Now.Add(-c.cfg.PaymentGrace).UnixMilli(), s.Tenant)
	if err != nil {
		return res, err
	}
	for _, p := range ps {
		orders, awaiting := 0, 0
		err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
			var scenario, status string
			if err := r.Scan(&scenario, &status); err != nil {
				return err
			}
			orders++
			if live, paid := lifecycle(scenario, status); live && !paid {
				awaiting++
			}
			return nil
		}, `SELECT scenario, status FROM orders WHERE tenant = ? AND trade_id = ?`, s.Tenant, p.trade)
		if err != nil {
			return res, err
		}
		if orders > 0 && awaiting == 0 { // a payment of no trade (an auction deposit) is the deposits check's
			res.Findings = append(res.Findings, audit.Finding{Kind: KindPaymentStranded, Subject: p.id,
				Detail: fmt.Sprintf("payment %s of %d for trade %s is pending and nothing of the trade awaits a payment", p.id, p.amount, p.trade)})
		}
	}
	return res, nil
}

// refunds: a refund still pending with its provider long after it was made (the refund
// retries settle them). A run reads the refunds that crossed the bound since the last one (a
// range of their time-ordered ids) and its open findings.
func (c *Checks) refunds(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	bound := s.Now.Add(-c.cfg.RefundGrace)
	from := time.Time{}
	if !s.Since.IsZero() {
		from = s.Since.Add(-c.cfg.RefundGrace)
	}
	read := func(r *sql.Rows) error {
		var id, paymentID, tenant string
		var amount, created int64
		if err := r.Scan(&id, &paymentID, &tenant, &amount, &created); err != nil {
			return err
		}
		res.Rows++
		if tenant == s.Tenant && created < bound.UnixMilli() {
			res.Findings = append(res.Findings, audit.Finding{Kind: KindRefundStranded, Subject: id,
				Detail: fmt.Sprintf("refund %s of %d on payment %s is still pending", id, amount, paymentID)})
		}
		return nil
	}
	const pending = `SELECT refund_id, payment_id, tenant, amount, created_at FROM payment_refunds WHERE status = 'pending' AND `
	if err := each(ctx, c.db.R(ctx), read, pending+`refund_id >= ? AND refund_id < ?`, idgen.Floor("R", from), idgen.Floor("R", bound)); err != nil {
		return res, err
	}
	if len(s.Recheck) > 0 {
		in, args := inList(s.Recheck)
		if err := each(ctx, c.db.R(ctx), read, pending+`refund_id IN `+in, args...); err != nil {
			return res, err
		}
	}
	return res, nil
}

// timers: a durable timer of the tenant's long past due and not run (timers are named
// "tenant/id"): whatever it was to move stays where it is. Read by the queue's due index.
func (c *Checks) timers(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		var kind, ref, lastErr string
		var due int64
		var attempts int
		if err := r.Scan(&kind, &ref, &due, &attempts, &lastErr); err != nil {
			return err
		}
		res.Rows++
		res.Findings = append(res.Findings, audit.Finding{Kind: KindTimerOverdue, Subject: kind + ":" + ref,
			Detail: fmt.Sprintf("timer %s for %s was due at %s; %d attempts, last error %q", kind, ref, dal.FromMillis(due).UTC().Format(time.RFC3339), attempts, lastErr)})
		return nil
	}, `SELECT kind, ref, due_at, attempts, last_error FROM delayed_jobs WHERE done_at = 0 AND due_at < ? AND ref LIKE ? ESCAPE '!'`,
		s.Now.Add(-c.cfg.TimerGrace).UnixMilli(), likePrefix(s.Tenant+"/"))
	return res, err
}

// events: a committed event of the tenant's not relayed within the lag bound. Read by the
// relay's own index.
func (c *Checks) events(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		var id, topic, lastErr string
		var created int64
		var attempts int
		if err := r.Scan(&id, &topic, &created, &attempts, &lastErr); err != nil {
			return err
		}
		res.Rows++
		res.Findings = append(res.Findings, audit.Finding{Kind: KindEventUnrelayed, Subject: id,
			Detail: fmt.Sprintf("event %s (%s) committed at %s is not relayed; %d attempts, last error %q", id, topic, dal.FromMillis(created).UTC().Format(time.RFC3339), attempts, lastErr)})
		return nil
	}, `SELECT event_id, topic, created_at, attempts, last_error FROM outbox_events WHERE published_at = 0 AND created_at < ? AND tenant = ?`,
		s.Now.Add(-c.cfg.RelayLag).UnixMilli(), s.Tenant)
	return res, err
}

// deposits: an auction's deposit ends refunded, forfeited or credited to the sale; a refunded
// one was given back whole and a kept one not at all; a credited one belongs to a sale; one
// still held long after its auction settled or closed is stranded.
func (c *Checks) deposits(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	settledBefore := s.Now.Add(-c.cfg.DeadlineGrace).UnixMilli()
	type deposit struct {
		id, auctionID, status, payment, settled string
		amount, sales, closes, refunded         int64
	}
	var ds []*deposit
	byPayment := map[string]*deposit{}
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		d := &deposit{}
		if err := r.Scan(&d.id, &d.auctionID, &d.status, &d.payment, &d.amount, &d.sales, &d.settled, &d.closes); err != nil {
			return err
		}
		ds = append(ds, d)
		if d.payment != "" {
			byPayment[d.payment] = d
		}
		return nil
	}, `SELECT d.deposit_id, d.auction_id, d.status, d.payment_id, d.amount,
		(SELECT COUNT(*) FROM auction_sales s WHERE s.tenant = d.tenant AND s.deposit_id = d.deposit_id),
		COALESCE(a.settled, ''), COALESCE(a.closes_at, 0)
		FROM auction_deposits d LEFT JOIN auctions a ON a.tenant = d.tenant AND a.auction_id = d.auction_id
		WHERE d.tenant = ?`, s.Tenant)
	if err != nil {
		return res, err
	}
	res.Rows = len(ds)
	err = inBatches(keys(byPayment), func(_ []string, in string, args []any) error {
		return each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
			var payment string
			var amount int64
			if err := r.Scan(&payment, &amount); err != nil {
				return err
			}
			byPayment[payment].refunded += amount
			return nil
		}, `SELECT payment_id, amount FROM payment_refunds WHERE payment_id IN `+in, args...)
	})
	if err != nil {
		return res, err
	}
	for _, d := range ds {
		id := d.id
		found := func(kind, format string, a ...any) {
			res.Findings = append(res.Findings, audit.Finding{Kind: kind, Subject: id, Detail: fmt.Sprintf(format, a...)})
		}
		switch d.status {
		case "refunded":
			if d.refunded != d.amount {
				found(KindDepositRefund, "deposit %s of %d is refunded and its payment gives back %d", id, d.amount, d.refunded)
			}
		case "forfeited", "credited":
			if d.refunded != 0 {
				found(KindDepositRefund, "deposit %s of %d is %s and its payment gives back %d", id, d.amount, d.status, d.refunded)
			}
			if d.status == "credited" && d.sales == 0 {
				found(KindDepositCredit, "deposit %s is credited to no sale of auction %s", id, d.auctionID)
			}
		case "paid":
			if d.settled != "" && d.closes < settledBefore {
				found(KindDepositOpen, "deposit %s of %d is still held; auction %s settled %s", id, d.amount, d.auctionID, d.settled)
			}
		}
	}
	return res, nil
}

// deadlines: a group still forming, or an auction not settled, long past its deadline (their
// timers settle them).
func (c *Checks) deadlines(ctx context.Context, s audit.Scope) (audit.Result, error) {
	var res audit.Result
	before := s.Now.Add(-c.cfg.DeadlineGrace).UnixMilli()
	err := each(ctx, c.db.R(ctx), func(r *sql.Rows) error {
		var kind, id string
		var at int64
		if err := r.Scan(&kind, &id, &at); err != nil {
			return err
		}
		res.Rows++
		what := "group %s is still forming; it expired at %s"
		if kind == KindAuctionUnsettled {
			what = "auction %s is not settled; it closed at %s"
		}
		res.Findings = append(res.Findings, audit.Finding{Kind: kind, Subject: id, Detail: fmt.Sprintf(what, id, dal.FromMillis(at).UTC().Format(time.RFC3339))})
		return nil
	}, `SELECT ?, group_id, expires_at FROM groupbuy_groups WHERE tenant = ? AND status = 'forming' AND expires_at < ?
		UNION ALL SELECT ?, auction_id, closes_at FROM auctions WHERE settled = '' AND closes_at < ? AND tenant = ?`,
		KindGroupUnsettled, s.Tenant, before, KindAuctionUnsettled, before, s.Tenant)
	return res, err
}

// likePrefix is a LIKE pattern (escaped with !) matching strings that start with p.
func likePrefix(p string) string {
	r := make([]rune, 0, len(p)+1)
	for _, c := range p {
		if c == '%' || c == '_' || c == '!' {
			r = append(r, '!')
		}
		r = append(r, c)
	}
	return string(r) + "%"
}
