package auditsql_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/aftersale/aftersalesql"
	"github.com/atriumtrade/atrium/capability/auction/auctionsql"
	"github.com/atriumtrade/atrium/capability/discount/discountsql"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/capability/limits/limitssql"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/product-layer/audit"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
	_ "github.com/atriumtrade/atrium/product-layer/fixedprice" // the fixed-price lifecycle and states the checks read statuses by
	"github.com/atriumtrade/atrium/product-layer/groupbuy/groupbuysql"
	_ "github.com/atriumtrade/atrium/product-layer/presale" // and the pre-sale's
	"github.com/atriumtrade/atrium/product-layer/presale/presalesql"
	"github.com/atriumtrade/atrium/product-layer/trade/tradesql"
)

func sets() []dal.Migrations {
	return []dal.Migrations{inventorysql.Migrations(), ordersql.Migrations(), tradesql.Migrations(), paymentsql.Migrations(),
		outbox.Migrations(), delay.Migrations(), auctionsql.Migrations(), groupbuysql.Migrations(), presalesql.Migrations(), discountsql.Migrations(), limitssql.Migrations(), aftersalesql.Migrations(), auditsql.Migrations()}
}

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// ms is a time relative to now, in the tables' milliseconds.
func ms(d time.Duration) int64 { return now.Add(d).UnixMilli() }

// A sound trade, whose ids are time-ordered like the platform's: T1 of one order O1 (2 × 500,
// 100 off by one promotion, 900 to pay), paid in full by P1; its 2 units sold from sku1 in wh1.
var (
	tradeID   = idgen.Floor("T", now.Add(-time.Hour)) + "1"
	orderID   = idgen.Floor("O", now.Add(-time.Hour)) + "1"
	paymentID = idgen.Floor("P", now.Add(-time.Hour)) + "1"
)

func sound(t *testing.T, db *dal.DB) {
	t.Helper()
	exec(t, db,
		`INSERT INTO trades (tenant, trade_id, biz_code, scenario, user_id, currency, total, address, created_at, pay_deadline, flow_state)
			VALUES ('acme', ?, 'acme.retail.fixed_price', 'fixed_price', 'u1', 'CNY', 900, '{}', ?, ?, 'paid')`, tradeID, ms(-time.Hour), ms(-30*time.Minute))
	exec(t, db, `INSERT INTO orders (tenant, order_id, trade_id, user_id, seller_id, status, currency, total, carrier, tracking_no, cancel_reason,
			created_at, updated_at, version, subtotal, discount, shipping_fee) VALUES ('acme', ?, ?, 'u1', 's1', 'paid', 'CNY', 900, '', '', '', ?, ?, 1, 1000, 100, 0)`,
		orderID, tradeID, ms(-time.Hour), ms(-time.Hour))
	exec(t, db, `INSERT INTO order_lines (tenant, order_id, line_no, sku_id, title, warehouse_id, quantity, unit_price, total, discount)
			VALUES ('acme', ?, 1, 'sku1', 'Tea', 'wh1', 2, 500, 1000, 100)`, orderID)
	exec(t, db, `INSERT INTO order_discounts (tenant, order_id, seq, promotion_id, name, coupon_code, amount) VALUES ('acme', ?, 1, 'p1', 'Ten off', '', 100)`, orderID)
	exec(t, db, `INSERT INTO payments (payment_id, tenant, trade_id, user_id, provider, currency, amount, status, provider_ref, created_at, settled_at, purpose)
			VALUES (?, 'acme', ?, 'u1', 'sandbox', 'CNY', 900, 'succeeded', 'ref1', ?, ?, 'full')`, paymentID, tradeID, ms(-time.Hour), ms(-time.Hour))
	exec(t, db, `INSERT INTO inventory_levels (tenant, sku_id, warehouse_id, on_hand, available, reserved, sold, updated_at) VALUES ('acme', 'sku1', 'wh1', 10, 8, 0, 2, ?)`, ms(-time.Hour))
	exec(t, db, `INSERT INTO inventory_reservations (tenant, reservation_id, status, created_at, updated_at) VALUES ('acme', ?, 'confirmed', ?, ?)`, orderID, ms(-time.Hour), ms(-time.Hour))
	exec(t, db, `INSERT INTO inventory_reservation_lines (tenant, reservation_id, line_no, sku_id, warehouse_id, quantity) VALUES ('acme', ?, 1, 'sku1', 'wh1', 2)`, orderID)
	// Its event, relayed: every change of a trade commits one.
	exec(t, db, `INSERT INTO outbox_events (event_id, topic, msg_key, payload, created_at, published_at, tenant) VALUES (?, 'order.paid', ?, '{}', ?, ?, 'acme')`,
		idgen.Floor("E", now.Add(-time.Hour))+"1", tradeID, ms(-time.Hour), ms(-time.Hour))
	exec(t, db, `INSERT INTO auctions (tenant, auction_id, sku_id, title, currency, start_price, reserve_price, deposit, increments, starts_at, ends_at,
			anti_snipe_ms, extend_ms, max_extensions, pay_window_ms, current_price, leader, leader_max, bids, extensions, closes_at, settled, updated_at)
			VALUES ('acme', 'a1', 'sku1', 'Vase', 'CNY', 100, 0, 50, '[]', ?, ?, 0, 0, 0, 3600000, 100, '', 0, 0, 0, ?, 'unsold', ?)`,
		ms(-3*time.Hour), ms(-2*time.Hour), ms(-2*time.Hour), ms(-2*time.Hour))
}

func exec(t *testing.T, db *dal.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Primary().ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func auditor(db *dal.DB) *audit.Auditor {
	return audit.New(auditsql.New(db), func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)),
		auditsql.NewChecks(db, auditsql.DefaultConfig()).List()...)
}

func run(t *testing.T, db *dal.DB, o audit.Options) audit.Report {
	t.Helper()
	rep, err := auditor(db).Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.Err != nil {
			t.Fatalf("check %s: %v", c.Name, c.Err)
		}
	}
	return rep
}

func kinds(rep audit.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Kind)
	}
	return out
}

// TestEachCheckFindsWhatWasPlanted: on a sound database the auditor finds nothing; each
// inconsistency planted in it is found, under its kind, about its subject.
func TestEachCheckFindsWhatWasPlanted(t *testing.T) {
	refund := func(id, payment string, amount int64, status string, created time.Duration) func(t *testing.T, db *dal.DB) {
		return func(t *testing.T, db *dal.DB) {
			exec(t, db, `INSERT INTO payment_refunds (refund_id, tenant, payment_id, trade_id, order_id, reason, currency, amount, status, provider_ref,
				created_at, settled_at, aftersale_id) VALUES (?, 'acme', ?, ?, ?, 'test', 'CNY', ?, ?, '', ?, 0, ?)`,
				id, payment, tradeID, orderID, amount, status, ms(created), id)
		}
	}
	payment := func(id string, amount int64, status string, created time.Duration) func(t *testing.T, db *dal.DB) {
		return func(t *testing.T, db *dal.DB) {
			exec(t, db, `INSERT INTO payments (payment_id, tenant, trade_id, user_id, provider, currency, amount, status, provider_ref, created_at, settled_at, purpose)
				VALUES (?, 'acme', ?, 'u1', 'sandbox', 'CNY', ?, ?, '', ?, 0, 'full')`, id, tradeID, amount, status, ms(created))
		}
	}
	sql := func(query string, args ...any) func(t *testing.T, db *dal.DB) {
		return func(t *testing.T, db *dal.DB) { exec(t, db, query, args...) }
	}
	deposit := func(status, paymentID string) func(t *testing.T, db *dal.DB) {
		return sql(`INSERT INTO auction_deposits (tenant, auction_id, bidder, deposit_id, amount, currency, payment_id, status, updated_at)
			VALUES ('acme', 'a1', 'u9', 'D1', 50, 'CNY', ?, ?, 0)`, paymentID, status)
	}
	// presale makes T1 a pre-sale trade of deposit 300 and balance 600 whose deposit is status,
	// paid by P1 (900) as purpose.
	presale := func(status string, deposit int64, purpose string) func(t *testing.T, db *dal.DB) {
		return func(t *testing.T, db *dal.DB) {
			exec(t, db, `UPDATE payments SET purpose = ?, amount = ? WHERE payment_id = ?`, purpose, deposit, paymentID)
			exec(t, db, `INSERT INTO presale_trades (tenant, trade_id, campaign_id, user_id, currency, deposit, credit, balance, units, deposit_status, shares, created_at)
				VALUES ('acme', ?, 'c1', 'u1', 'CNY', ?, ?, ?, 2, ?, '[]', 0)`, tradeID, deposit, deposit, 900-deposit, status)
		}
	}
	purpose := func(id string, amount int64, purpose string) func(t *testing.T, db *dal.DB) {
		return sql(`INSERT INTO payments (payment_id, tenant, trade_id, user_id, provider, currency, amount, status, provider_ref, created_at, settled_at, purpose)
			VALUES (?, 'acme', ?, 'u1', 'sandbox', 'CNY', ?, 'succeeded', '', ?, 0, ?)`, id, tradeID, amount, ms(-time.Hour), purpose)
	}
	group := func(id, status string, size, virtualFill int) func(t *testing.T, db *dal.DB) {
		return sql(`INSERT INTO groupbuy_groups (tenant, group_id, campaign_id, leader, status, size, virtual_fill, expires_at, created_at, ended_at, reason, version)
			VALUES ('acme', ?, 'c1', 'u1', ?, ?, ?, ?, 0, 0, '', 1)`, id, status, size, virtualFill, ms(time.Hour))
	}
	member := func(groupID, tradeID, status string) func(t *testing.T, db *dal.DB) {
		return sql(`INSERT INTO groupbuy_members (tenant, trade_id, group_id, user_id, units, status, leader, joined_at, updated_at)
			VALUES ('acme', ?, ?, ?, 1, ?, 0, 0, 0)`, tradeID, groupID, "u-"+tradeID, status)
	}
	coupon := func(code string, used int) func(t *testing.T, db *dal.DB) {
		return sql(`INSERT INTO discount_coupons (tenant, code, promotion_id, total_uses, per_user, valid_from, valid_to, used)
			VALUES ('acme', ?, 'p1', 100, 0, 0, 0, ?)`, code, used)
	}
	redeemed := func(kind, ref string, amount int64) func(t *testing.T, db *dal.DB) {
		return sql(`INSERT INTO discount_redemptions (tenant, trade_id, kind, ref, user_id, amount, created_at) VALUES ('acme', ?, ?, ?, 'u1', ?, 0)`,
			tradeID, kind, ref, amount)
	}
	both := func(fs ...func(t *testing.T, db *dal.DB)) func(t *testing.T, db *dal.DB) {
		return func(t *testing.T, db *dal.DB) {
			for _, f := range fs {
				f(t, db)
			}
		}
	}
	cases := []struct {
		name, kind, subject string
		plant               func(t *testing.T, db *dal.DB)
	}{
		{"stock that does not add up", auditsql.KindStockUnbalanced, "sku1/wh1", sql(`UPDATE inventory_levels SET available = 9`)},
		{"negative stock", auditsql.KindStockUnbalanced, "sku1/wh1", sql(`UPDATE inventory_levels SET available = -2, reserved = 10`)},
		{"a hold without an order long past its expiry", auditsql.KindHoldStranded, "H1",
			sql(`INSERT INTO inventory_reservations (tenant, reservation_id, status, created_at, updated_at, expires_at) VALUES ('acme', 'H1', 'reserved', 0, 0, ?)`, ms(-time.Hour))},
		{"a cancelled order's stock still held", auditsql.KindHeldByCancelled, orderID, sql(`UPDATE orders SET status = 'cancelled'`)},
		{"a line that is not price × quantity", auditsql.KindOrderUnbalanced, orderID, sql(`UPDATE order_lines SET total = 900`)},
		{"lines that do not add up to the order", auditsql.KindOrderUnbalanced, orderID, sql(`UPDATE orders SET subtotal = 1100, total = 1000`)},
		{"an order's total off its parts", auditsql.KindOrderUnbalanced, orderID, sql(`UPDATE orders SET shipping_fee = 10`)},
		{"promotions that do not add up to the discount", auditsql.KindDiscountUnallocated, orderID, sql(`UPDATE order_discounts SET amount = 50`)},
		{"orders that do not add up to the trade", auditsql.KindTradeUnbalanced, tradeID, sql(`UPDATE trades SET total = 1000`)},
		{"a trade paid twice", auditsql.KindOverpaid, tradeID, payment("P2", 900, "succeeded", -time.Hour)},
		{"a refund over its payment", auditsql.KindRefundOverPayment, paymentID, both(refund("R1", paymentID, 500, "succeeded", -time.Hour), refund("R2", paymentID, 500, "succeeded", -time.Hour))},
		{"a refund of a payment that took nothing", auditsql.KindRefundOfUnpaid, "P2", both(payment("P2", 900, "failed", -time.Hour), refund("R1", "P2", 100, "succeeded", -time.Hour))},
		{"an order that gives back more than it totals", auditsql.KindRefundOverOrder, orderID, both(payment("P2", 1000, "succeeded", -time.Hour), refund("R1", "P2", 950, "succeeded", -time.Hour))},
		{"a payment pending with nothing awaiting it", auditsql.KindPaymentStranded, "P3", payment("P3", 900, "pending", -time.Hour)},
		{"an order unpaid past its deadline", auditsql.KindUnpaidStranded, orderID, both(sql(`UPDATE orders SET status = 'pending_payment'`),
			sql(`UPDATE inventory_reservations SET status = 'reserved'`), sql(`UPDATE inventory_levels SET reserved = 2, sold = 0`),
			sql(`DELETE FROM payments`))},
		{"a refund pending for hours", auditsql.KindRefundStranded, "R1", refund("R1", paymentID, 100, "pending", -2*time.Hour)},
		{"a timer nobody ran", auditsql.KindTimerOverdue, "fixedprice.unpaid_timeout:acme/" + tradeID,
			sql(`INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at) VALUES ('J1', 'fixedprice.unpaid_timeout', ?, ?, 0, 0, '', 0)`,
				"acme/"+tradeID, ms(-time.Hour))},
		{"an event nobody relayed", auditsql.KindEventUnrelayed, "E1",
			sql(`INSERT INTO outbox_events (event_id, topic, msg_key, payload, created_at, published_at, tenant) VALUES ('E1', 'order.paid', ?, '{}', ?, 0, 'acme')`, tradeID, ms(-time.Hour))},
		{"a group forming past its deadline", auditsql.KindGroupUnsettled, "G1",
			sql(`INSERT INTO groupbuy_groups (tenant, group_id, campaign_id, leader, status, size, virtual_fill, expires_at, created_at, ended_at, reason, version)
				VALUES ('acme', 'G1', 'c1', 'u1', 'forming', 3, 0, ?, 0, 0, '', 1)`, ms(-time.Hour))},
		{"an auction past its close unsettled", auditsql.KindAuctionUnsettled, "a1", sql(`UPDATE auctions SET settled = ''`)},
		{"a deposit refunded without a refund", auditsql.KindDepositRefund, "D1", both(payment("PD", 50, "succeeded", -3*time.Hour), deposit("refunded", "PD"))},
		{"a deposit kept and refunded", auditsql.KindDepositRefund, "D1", both(payment("PD", 50, "succeeded", -3*time.Hour), deposit("forfeited", "PD"), refund("RD", "PD", 50, "succeeded", -time.Hour))},
		{"a deposit credited to no sale", auditsql.KindDepositCredit, "D1", both(payment("PD", 50, "succeeded", -3*time.Hour), deposit("credited", "PD"))},
		{"a deposit held after its auction settled", auditsql.KindDepositOpen, "D1", both(payment("PD", 50, "succeeded", -3*time.Hour), deposit("paid", "PD"))},
		{"a pre-sale deposit refunded and kept", auditsql.KindPresaleMismatch, tradeID, presale("refunded", 300, "deposit")},
		{"a pre-sale deposit forfeited with its balance kept", auditsql.KindPresaleMismatch, tradeID, both(presale("forfeited", 300, "deposit"),
			purpose("PB", 600, "balance"))},
		{"a pre-sale trade keeping more than its deposit", auditsql.KindPresaleMismatch, tradeID, both(presale("paid", 300, "deposit"), purpose("P9", 100, "deposit"))},
		{"a group holding more members than places", auditsql.KindGroupOverfilled, "G1", both(group("G1", "forming", 2, 1), member("G1", "Tm1", "paid"),
			member("G1", "Tm2", "joined"), member("G1", "Tm3", "joined"))},
		{"a group formed short of members", auditsql.KindGroupFormedShort, "G1", both(group("G1", "formed", 3, 0), member("G1", "Tm1", "paid"), member("G1", "Tm2", "paid"))},
		{"a failed group's member keeping money", auditsql.KindGroupMemberKept, tradeID, both(group("G1", "failed", 2, 0), member("G1", tradeID, "refunded"))},
		{"a trade awaiting payment with no timer to end the wait", auditsql.KindFlowNoTimer, tradeID, both(sql(`UPDATE trades SET flow_state = 'awaiting_payment'`),
			sql(`INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at) VALUES ('J1', 'fixedprice.unpaid_timeout', ?, 0, 0, 1, '', 1)`,
				"acme/"+tradeID))}, // its timer ran already
		{"a level selling a unit no reservation sold", auditsql.KindStockLedger, "sku1/wh1", sql(`UPDATE inventory_levels SET sold = 3, available = 7`)},
		{"a level holding back units no reservation holds", auditsql.KindStockLedger, "sku1/wh1", sql(`UPDATE inventory_levels SET reserved = 1, available = 7`)},
		{"a unit returned damaged, counted back as sellable", auditsql.KindStockLedger, "sku1/wh1", both(
			sql(`INSERT INTO inventory_returns (tenant, return_id, reservation_id, damaged, created_at) VALUES ('acme', 'R1', ?, 1, 0)`, orderID),
			sql(`INSERT INTO inventory_return_lines (tenant, return_id, reservation_id, sku_id, warehouse_id, quantity) VALUES ('acme', 'R1', ?, 'sku1', 'wh1', 1)`, orderID),
			sql(`UPDATE inventory_levels SET sold = 1, available = 9`))},
		{"a limit counting more than its claims", auditsql.KindLimitCounter, "limit:tea-day/u1/2026-12-07", both(
			sql(`INSERT INTO limit_claims (tenant, order_id, rule_id, subject, period, amount) VALUES ('acme', ?, 'tea-day', 'u1', '2026-12-07', 2)`, orderID),
			sql(`INSERT INTO limit_counters (tenant, rule_id, subject, period, used) VALUES ('acme', 'tea-day', 'u1', '2026-12-07', 3)`))},
		{"a claim with no counter", auditsql.KindLimitCounter, "limit:tea-day/u1/2026-12-07",
			sql(`INSERT INTO limit_claims (tenant, order_id, rule_id, subject, period, amount) VALUES ('acme', ?, 'tea-day', 'u1', '2026-12-07', 2)`, orderID)},
		{"after-sales of a line giving back more than it paid", auditsql.KindRefundOverLine, orderID + "/1", both(
			sql(`INSERT INTO aftersales (tenant, aftersale_id, trade_id, order_id, user_id, kind, status, reason, note, currency, goods, shipping, amount,
				decision, decided_by, goods_condition, carrier, tracking_no, refund_ids, created_at, updated_at, version)
				VALUES ('acme', 'AS1', ?, ?, 'u1', 'refund_only', 'approved', 'x', '', 'CNY', 500, 0, 500, '', '', '', '', '', '', 0, 0, 1),
				       ('acme', 'AS2', ?, ?, 'u1', 'refund_only', 'requested', 'x', '', 'CNY', 450, 0, 450, '', '', '', '', '', '', 0, 0, 1),
				       ('acme', 'AS3', ?, ?, 'u1', 'refund_only', 'rejected', 'x', '', 'CNY', 900, 0, 900, '', '', '', '', '', '', 0, 0, 1)`,
				tradeID, orderID, tradeID, orderID, tradeID, orderID),
			sql(`INSERT INTO aftersale_lines (tenant, aftersale_id, line_no, sku_id, warehouse_id, quantity, amount, discount)
				VALUES ('acme', 'AS1', 1, 'sku1', 'wh1', 1, 500, 50), ('acme', 'AS2', 1, 'sku1', 'wh1', 1, 450, 50), ('acme', 'AS3', 1, 'sku1', 'wh1', 2, 900, 100)`))},
		{"a cancelled trade still redeeming a coupon", auditsql.KindRedeemedByEnded, tradeID, both(sql(`UPDATE orders SET status = 'cancelled'`),
			coupon("VIP1", 1), redeemed("coupon", "VIP1", 1))},
		{"an ended order still claiming a limit", auditsql.KindClaimedByEnded, orderID, both(sql(`UPDATE orders SET status = 'refunded'`),
			sql(`INSERT INTO limit_claims (tenant, order_id, rule_id, subject, period, amount) VALUES ('acme', ?, 'tea-day', 'u1', '2026-12-07', 2)`, orderID))},
		{"a coupon counting uses it has no redemption for", auditsql.KindCouponMismatch, "coupon:VIP1", both(coupon("VIP1", 2), redeemed("coupon", "VIP1", 1))},
		{"a campaign over its budget", auditsql.KindBudgetMismatch, "campaign:c1", both(
			sql(`INSERT INTO discount_campaigns (tenant, campaign_id, name, currency, budget, spent) VALUES ('acme', 'c1', 'Winter', 'CNY', 50, 100)`),
			redeemed("campaign", "c1", 100))},
	}
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		sound(t, db)
		if rep := run(t, db, audit.Options{Full: true}); len(rep.Findings) > 0 {
			t.Fatalf("a sound database: %v", rep.Findings)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
				sound(t, db)
				tc.plant(t, db)
				rep := run(t, db, audit.Options{Full: true})
				i := slices.IndexFunc(rep.Findings, func(f audit.Finding) bool { return f.Kind == tc.kind && f.Subject == tc.subject })
				if i < 0 {
					t.Fatalf("no %s about %s; found %v", tc.kind, tc.subject, rep.Findings)
				}
				if f := rep.Findings[i]; f.Tenant != "acme" || f.Detail == "" || !f.FirstSeen.Equal(now) {
					t.Fatalf("finding %+v", f)
				}
			})
		})
	}
}

// TestATradeWaitingOnItsTimerIsSound: a trade awaiting payment whose unpaid timer is pending
// (even overdue and retrying) is not stranded; a pre-sale holding its deposit waits on its
// balance window's timer, not on the deposit's.
func TestATradeWaitingOnItsTimerIsSound(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		sound(t, db)
		exec(t, db, `UPDATE trades SET flow_state = 'awaiting_payment'`)
		exec(t, db, `INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at)
			VALUES ('J1', 'fixedprice.unpaid_timeout', ?, ?, 0, 3, 'boom', 0)`, "acme/"+tradeID, ms(time.Minute))
		if found := kinds(run(t, db, audit.Options{Full: true})); slices.Contains(found, auditsql.KindFlowNoTimer) {
			t.Fatalf("a trade with its timer pending: %v", found)
		}
		exec(t, db, `UPDATE trades SET scenario = 'presale', flow_state = 'deposit_paid'`)
		if found := kinds(run(t, db, audit.Options{Full: true})); !slices.Contains(found, auditsql.KindFlowNoTimer) {
			t.Fatalf("a pre-sale holding its deposit with only the deposit's timer: %v", found)
		}
		exec(t, db, `UPDATE delayed_jobs SET kind = 'presale.balance_missed'`)
		if found := kinds(run(t, db, audit.Options{Full: true})); slices.Contains(found, auditsql.KindFlowNoTimer) {
			t.Fatalf("a pre-sale with its balance timer pending: %v", found)
		}
	})
}

// TestFindingsStayOpenUntilRepaired: a finding keeps its first-seen time across runs and
// closes when a run finds its subject sound again; an incremental run sees a change only once
// the trade is touched (an event committed for it), and the rechecks of open findings.
func TestFindingsStayOpenUntilRepaired(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		sound(t, db)
		exec(t, db, `UPDATE order_discounts SET amount = 50`)
		first := run(t, db, audit.Options{})
		if got := kinds(first); !slices.Equal(got, []string{auditsql.KindDiscountUnallocated}) {
			t.Fatalf("first run: %v", got)
		}
		// Later, the incremental run still has it open, seen first at the first run.
		later := audit.New(auditsql.New(db), func() time.Time { return now.Add(time.Hour) }, slog.New(slog.NewTextHandler(io.Discard, nil)),
			auditsql.NewChecks(db, auditsql.DefaultConfig()).List()...)
		rep, err := later.Run(ctx, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Findings) != 1 || !rep.Findings[0].FirstSeen.Equal(now) || !rep.Findings[0].LastSeen.Equal(now.Add(time.Hour)) {
			t.Fatalf("second run: %+v", rep.Findings)
		}
		// An inconsistency planted in an old trade nobody touches is outside the window...
		exec(t, db, `UPDATE trades SET total = 1000`)
		if rep, _ := later.Run(ctx, audit.Options{}); slices.Contains(kinds(rep), auditsql.KindTradeUnbalanced) {
			// The rechecked order names the same trade: it is looked at again.
			if len(rep.Findings) != 2 {
				t.Fatalf("third run: %v", rep.Findings)
			}
		} else {
			t.Fatalf("the rechecked trade was not looked at: %v", rep.Findings)
		}
		// Repaired: both close.
		exec(t, db, `UPDATE order_discounts SET amount = 100`)
		exec(t, db, `UPDATE trades SET total = 900`)
		if rep, _ := later.Run(ctx, audit.Options{}); len(rep.Findings) != 0 {
			t.Fatalf("after the repair: %v", rep.Findings)
		}
		// Not touched, not seen by the incremental run; a full one sees it; an event for the trade
		// brings it into the window.
		exec(t, db, `UPDATE trades SET total = 1000`)
		if rep, _ := later.Run(ctx, audit.Options{}); len(rep.Findings) != 0 {
			t.Fatalf("an untouched trade was read: %v", rep.Findings)
		}
		exec(t, db, `INSERT INTO outbox_events (event_id, topic, msg_key, payload, created_at, published_at, tenant) VALUES (?, 'order.paid', ?, '{}', ?, ?, 'acme')`,
			idgen.Floor("E", now.Add(time.Hour)), tradeID, ms(time.Hour), ms(time.Hour))
		if rep, _ := later.Run(ctx, audit.Options{}); !slices.Equal(kinds(rep), []string{auditsql.KindTradeUnbalanced}) {
			t.Fatalf("a touched trade: %v", rep.Findings)
		}
	})
}

// TestAuditPlansStayIndexed: the scheduled (incremental) run reads the growing tables by their
// keys, never in full nor by the tenant alone: 600 trades from days ago and 15 from the last
// minutes, each with its order, line, promotion, payment, refund, reservation and event; the
// run's window holds the 15.
func TestAuditPlansStayIndexed(t *testing.T) {
	growing := []string{"trades", "orders", "order_lines", "order_discounts", "payments", "payment_refunds",
		"inventory_reservations", "inventory_levels", "outbox_events", "delayed_jobs", "discount_redemptions", "limit_claims"}
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		tx, err := db.Primary().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 615; i++ {
			at := now.Add(-72*time.Hour + time.Duration(i)*time.Minute)
			if i >= 600 {
				at = now.Add(-time.Duration(615-i) * time.Minute)
			}
			id := func(prefix string) string { return idgen.Floor(prefix, at) + fmt.Sprint(i%10) }
			tid, oid, pid := id("T"), id("O"), id("P")
			for _, st := range []struct {
				q    string
				args []any
			}{
				{`INSERT INTO trades (tenant, trade_id, biz_code, scenario, user_id, currency, total, address, created_at, pay_deadline)
					VALUES ('acme', ?, 'b', 'fixed_price', 'u1', 'CNY', 900, '{}', ?, ?)`, []any{tid, at.UnixMilli(), at.Add(30 * time.Minute).UnixMilli()}},
				{`INSERT INTO orders (tenant, order_id, trade_id, user_id, seller_id, status, currency, total, carrier, tracking_no, cancel_reason,
					created_at, updated_at, version, subtotal, discount, shipping_fee) VALUES ('acme', ?, ?, 'u1', 's1', 'paid', 'CNY', 900, '', '', '', ?, ?, 1, 1000, 100, 0)`,
					[]any{oid, tid, at.UnixMilli(), at.UnixMilli()}},
				{`INSERT INTO order_lines (tenant, order_id, line_no, sku_id, title, warehouse_id, quantity, unit_price, total, discount)
					VALUES ('acme', ?, 1, ?, 'Tea', 'wh1', 2, 500, 1000, 100)`, []any{oid, fmt.Sprint("sku", i%50)}},
				{`INSERT INTO order_discounts (tenant, order_id, seq, promotion_id, name, coupon_code, amount) VALUES ('acme', ?, 1, 'p1', 'Ten off', '', 100)`, []any{oid}},
				{`INSERT INTO payments (payment_id, tenant, trade_id, user_id, provider, currency, amount, status, provider_ref, created_at, settled_at, purpose)
					VALUES (?, 'acme', ?, 'u1', 'sandbox', 'CNY', 900, 'succeeded', 'ref', ?, ?, 'full')`, []any{pid, tid, at.UnixMilli(), at.UnixMilli()}},
				{`INSERT INTO payment_refunds (refund_id, tenant, payment_id, trade_id, order_id, reason, currency, amount, status, provider_ref, created_at, settled_at, aftersale_id)
					VALUES (?, 'acme', ?, ?, ?, 'test', 'CNY', 100, 'succeeded', '', ?, ?, '')`, []any{id("R"), pid, tid, oid, at.UnixMilli(), at.UnixMilli()}},
				{`INSERT INTO inventory_reservations (tenant, reservation_id, status, created_at, updated_at) VALUES ('acme', ?, 'confirmed', ?, ?)`,
					[]any{oid, at.UnixMilli(), at.UnixMilli()}},
				{`INSERT INTO outbox_events (event_id, topic, msg_key, payload, created_at, published_at, tenant) VALUES (?, 'order.paid', ?, '{}', ?, ?, 'acme')`,
					[]any{id("E"), tid, at.UnixMilli(), at.UnixMilli()}},
				{`INSERT INTO delayed_jobs (job_id, kind, ref, due_at, lease_until, attempts, last_error, done_at) VALUES (?, 'k', ?, ?, 0, 0, '', ?)`,
					[]any{id("J"), "acme/" + tid, at.UnixMilli(), at.UnixMilli()}},
			} {
				if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
					t.Fatalf("%s: %v", st.q, err)
				}
			}
			if i%5 == 0 { // a coupon redeemed, a limit claimed, by an order since refunded
				for _, st := range []string{
					`INSERT INTO discount_redemptions (tenant, trade_id, kind, ref, user_id, amount, created_at) VALUES ('acme', ?, 'coupon', 'VIP', 'u1', 1, 0)`,
					`INSERT INTO limit_claims (tenant, order_id, rule_id, subject, period, amount) VALUES ('acme', ?, 'r1', 'u1', 'all', 1)`,
					`UPDATE orders SET status = 'refunded' WHERE tenant = 'acme' AND order_id = ?`,
				} {
					ref := tid
					if !strings.Contains(st, "discount_redemptions") {
						ref = oid
					}
					if _, err := tx.ExecContext(ctx, st, ref); err != nil {
						t.Fatalf("%s: %v", st, err)
					}
				}
			}
			if i < 50 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO inventory_levels (tenant, sku_id, warehouse_id, on_hand, available, reserved, sold, updated_at)
					VALUES ('acme', ?, 'wh1', 10000, 10000, 0, 0, 0)`, fmt.Sprint("sku", i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO discount_coupons (tenant, code, promotion_id, total_uses, per_user, valid_from, valid_to, used)
			VALUES ('acme', 'VIP', 'p1', 0, 0, 0, 0, 123)`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		store := auditsql.New(db)
		if err := store.SetWatermark(ctx, "acme", now.Add(-10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := daltest.Analyze(ctx, db, growing); err != nil {
			t.Fatal(err)
		}
		var stmts daltest.Statements
		stmts.RecordOn(db)
		rep := run(t, db, audit.Options{})
		db.Record(nil)
		rows := 0
		for _, c := range rep.Checks {
			if c.Name == "money.trades" {
				rows = c.Rows
			}
		}
		if rows == 0 || rows > 60 {
			t.Fatalf("the money check read %d rows; want the window's 15 trades and theirs", rows)
		}
		daltest.CheckPlans(t, db, &stmts, growing)
	})
}
