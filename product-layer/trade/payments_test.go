package trade_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// depositFlow is a flow of its own: its trades owe a deposit of 300 and nothing else, and it
// takes a deposit until it has taken one.
type depositFlow struct {
	collected []string
	refuse    bool
}

func (f *depositFlow) Scenario() identity.Scenario { return identity.FixedPrice }

func (f *depositFlow) States() *trade.States {
	return trade.NewStates("awaiting_deposit", map[string][]string{"awaiting_deposit": {"deposit_paid"}})
}

func (f *depositFlow) Owes(_ context.Context, t *order.Trade, purpose payment.Purpose, _ time.Time) (money.Amount, error) {
	if purpose != payment.Deposit {
		return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "deposits only")
	}
	return money.New(300, t.Total().Currency()), nil
}

func (f *depositFlow) Collect(_ context.Context, _ *order.Trade, p *payment.Payment, _ time.Time) (bool, error) {
	if f.refuse {
		return false, nil
	}
	f.collected = append(f.collected, p.ID())
	return true, nil
}

// TestPaymentsGoThroughTheTradesFlow: what a trade owes, and what its payment's success does, is
// its flow's to say; the core makes the intent, checks the provider's callback, settles exactly
// the payment it names, and records money that nothing takes as owed back.
func TestPaymentsGoThroughTheTradesFlow(t *testing.T) {
	sets := append(migrations(), idempotency.Migrations())
	daltest.Each(t, sets, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ids, _ := idgen.New(4)
		sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
		if err != nil {
			t.Fatal(err)
		}
		core := trade.New(trade.Deps{Tx: db, Orders: ordersql.New(db), Inventory: f.inv, Payments: f.pays, IDs: ids,
			Idempotency: idempotency.New(db), Providers: []payment.Provider{sb},
			Outbox: outbox.NewWriter(db, func() string { return ids.NextString("E") })})
		cmd := trade.CreatePayment{Tenant: "t1", UserID: "u1", TradeID: "T1", Method: "sandbox", IdempotencyKey: "k1"}
		if _, err := core.CreatePayment(ctx, cmd); err == nil {
			t.Fatal("a payment for a trade no flow runs")
		}
		flow := &depositFlow{}
		core.Register(flow)
		if _, err := core.CreatePayment(ctx, cmd); !errors.Is(err, payment.ErrInvalidPurpose) {
			t.Fatalf("a full payment of a deposit-only trade: %v", err)
		}
		cmd.Purpose = payment.Deposit
		p, err := core.CreatePayment(ctx, cmd)
		if err != nil || p.Purpose() != payment.Deposit || p.Amount().Minor() != 300 {
			t.Fatalf("deposit: %v %v", p, err)
		}
		if again, err := core.CreatePayment(ctx, cmd); err != nil || again.ID() != p.ID() {
			t.Fatalf("the same key again: %v %v; want %s", again, err, p.ID())
		}
		deliver := func(p *payment.Payment, outcome payment.Outcome) error {
			body, h := sb.Callback(p, outcome)
			return core.HandlePaymentCallback(ctx, "sandbox", http.Header(h), body)
		}
		if err := deliver(p, payment.OutcomeSucceeded); err != nil || len(flow.collected) != 1 || flow.collected[0] != p.ID() {
			t.Fatalf("callback: %v, collected %v", err, flow.collected)
		}
		if err := deliver(p, payment.OutcomeSucceeded); err != nil || len(flow.collected) != 1 {
			t.Fatalf("a replayed callback: %v, collected %v", err, flow.collected)
		}
		owed := func() int {
			var n int
			if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE topic = ?`, trade.TopicPaymentRefundOwed).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if owed() != 0 {
			t.Fatal("money the flow took is owed back")
		}
		// A second deposit that the flow no longer takes is owed back, once.
		flow.refuse = true
		cmd.IdempotencyKey = "k2"
		p2, err := core.CreatePayment(ctx, cmd)
		if err != nil || p2.ID() == p.ID() {
			t.Fatalf("second deposit: %v %v", p2, err)
		}
		if err := deliver(p2, payment.OutcomeSucceeded); err != nil || owed() != 1 {
			t.Fatalf("money nothing takes: %v, %d owed", err, owed())
		}
		if got, _ := f.pays.Get(ctx, p2.ID()); got.Status() != payment.Succeeded {
			t.Fatalf("the refused deposit is %s; want succeeded (the money did arrive)", got.Status())
		}
		if _, err := core.Payment(ctx, "t2", p.ID()); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("another tenant's payment: %v", err)
		}
	})
}
