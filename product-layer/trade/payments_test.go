package trade_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// depositFlow is a flow of its own: its trades owe a deposit of 300 and nothing else, and it
// takes a deposit until it has taken one.
type depositFlow struct {
	collected []string
	refuse    bool
	cancelled []trade.Cancellation
	// races is how many more times Collect loses a version race.
	races int
}

func (f *depositFlow) CancelOrder(_ context.Context, _ *order.Trade, o *order.Order, c trade.Cancellation) ([]*payment.Refund, error) {
	f.cancelled = append(f.cancelled, c)
	return nil, o.Cancel(c.Reason, time.Now())
}

func (f *depositFlow) Scenario() identity.Scenario { return identity.Scenario("fixed_price") }

func (f *depositFlow) States() *trade.States {
	return trade.NewStates("awaiting_deposit", map[string][]string{"awaiting_deposit": {"deposit_paid"}})
}

func (f *depositFlow) Collected(context.Context, *order.Trade, *order.Order) ([]trade.Collected, error) {
	return nil, nil
}

func (f *depositFlow) Owes(_ context.Context, t *order.Trade, purpose payment.Purpose, _ time.Time) (money.Amount, error) {
	if purpose != payment.Deposit {
		return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "deposits only")
	}
	return money.New(300, t.Total().Currency()), nil
}

func (f *depositFlow) Collect(_ context.Context, _ *order.Trade, p *payment.Payment, _ time.Time) (bool, error) {
	if f.races > 0 {
		f.races--
		return false, order.ErrConcurrentUpdate
	}
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
			Outbox: outbox.NewWriter(db, func() string { return ids.NextString("E") }), Timers: delay.New(db, func() string { return ids.NextString("J") })})
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
		// The first two transactions lose a race on a version: the callback runs again and is
		// answered as a success, never a conflict the provider would take as final.
		flow.races = 2
		if err := deliver(p, payment.OutcomeSucceeded); err != nil || len(flow.collected) != 1 || flow.collected[0] != p.ID() || flow.races != 0 {
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
		if rs, err := f.pays.RefundsOfPayment(ctx, p2.ID()); err != nil || len(rs) != 1 || rs[0].Amount().Minor() != 300 ||
			rs[0].Reason() != trade.ReasonUnclaimed {
			t.Fatalf("money nothing takes is owed back: %v %v", rs, err)
		}
		if err := deliver(p2, payment.OutcomeSucceeded); err != nil || owed() != 1 {
			t.Fatalf("the callback replayed: %v, %d owed", err, owed())
		}
		// A callback that loses every race asks the provider to call again (503), and changes
		// nothing meanwhile; the provider's next call settles it.
		flow.refuse, flow.races = false, 1000
		cmd.IdempotencyKey = "k3"
		p3, err := core.CreatePayment(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := deliver(p3, payment.OutcomeSucceeded); !errors.Is(err, errkind.ErrUnavailable) {
			t.Fatalf("a callback that always loses: %v; want system.unavailable", err)
		}
		if got, _ := f.pays.Get(ctx, p3.ID()); got.Status() != payment.Pending || owed() != 1 {
			t.Fatalf("after the lost callback: %s, %d owed; want pending and nothing new owed", got.Status(), owed())
		}
		flow.races = 0
		if err := deliver(p3, payment.OutcomeSucceeded); err != nil || flow.collected[len(flow.collected)-1] != p3.ID() {
			t.Fatalf("the provider calls again: %v, collected %v", err, flow.collected)
		}
		if _, err := core.Payment(ctx, "t2", p.ID()); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("another tenant's payment: %v", err)
		}
	})
}

// flakyProvider is the sandbox whose CreateIntent fails while down is set.
type flakyProvider struct {
	*sandboxpay.Provider
	down bool
}

func (p *flakyProvider) CreateIntent(ctx context.Context, pay *payment.Payment) (string, error) {
	if p.down {
		return "", payment.ErrProviderFailed
	}
	return p.Provider.CreateIntent(ctx, pay)
}

// TestIntentsLeftBetweenSteps: a payment is written before its provider is asked. A provider that
// does not answer leaves the payment pending without an intent; asking again (the same key, or
// the same pending payment) registers it once. A payment whose intent was registered but whose
// reference was never saved (the node stopped) takes the reference from the provider's signed
// callback. One nobody came back for is closed by the sweep, and money that still arrives for it
// is owed back.
func TestIntentsLeftBetweenSteps(t *testing.T) {
	sets := append(migrations(), idempotency.Migrations())
	daltest.Each(t, sets, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ids, _ := idgen.New(5)
		sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
		if err != nil {
			t.Fatal(err)
		}
		prov := &flakyProvider{Provider: sb, down: true}
		now := time.UnixMilli(1_800_000_000_000)
		core := trade.New(trade.Deps{Tx: db, Orders: ordersql.New(db), Inventory: f.inv, Payments: f.pays, IDs: ids,
			Idempotency: idempotency.New(db), Providers: []payment.Provider{prov}, Now: func() time.Time { return now },
			Outbox: outbox.NewWriter(db, func() string { return ids.NextString("E") }), Timers: delay.New(db, func() string { return ids.NextString("J") })})
		flow := &depositFlow{}
		core.Register(flow)
		deposits := func() []*payment.Payment { // the fixture's trade holds a full payment of its own
			ps, err := f.pays.ByTrade(ctx, "t1", "T1")
			if err != nil {
				t.Fatal(err)
			}
			var out []*payment.Payment
			for _, p := range ps {
				if p.Purpose() == payment.Deposit {
					out = append(out, p)
				}
			}
			return out
		}
		cmd := trade.CreatePayment{Tenant: "t1", UserID: "u1", TradeID: "T1", Method: "sandbox", IdempotencyKey: "k1", Purpose: payment.Deposit}
		if _, err := core.CreatePayment(ctx, cmd); !errors.Is(err, payment.ErrProviderFailed) {
			t.Fatalf("provider down: %v", err)
		}
		ps := deposits()
		if len(ps) != 1 || ps[0].Status() != payment.Pending || ps[0].ProviderRef() != "" {
			t.Fatalf("after the provider failed: %v", ps)
		}
		prov.down = false
		p, err := core.CreatePayment(ctx, cmd)
		if err != nil || p.ID() != ps[0].ID() || p.ProviderRef() == "" {
			t.Fatalf("the same key once the provider is back: %v %v", p, err)
		}
		cmd.IdempotencyKey = ""
		if again, err := core.CreatePayment(ctx, cmd); err != nil || again.ID() != p.ID() || again.ProviderRef() != p.ProviderRef() {
			t.Fatalf("no key, the same pending payment: %v %v", again, err)
		}

		// Registered at the provider, its reference lost with the node.
		if _, err := db.Primary().Exec(`UPDATE payments SET provider_ref = '' WHERE payment_id = ?`, p.ID()); err != nil {
			t.Fatal(err)
		}
		lost, _ := f.pays.Get(ctx, p.ID())
		deliver := func(p *payment.Payment) error {
			body, h := sb.Callback(p, payment.OutcomeSucceeded)
			return core.HandlePaymentCallback(ctx, "sandbox", http.Header(h), body)
		}
		if err := deliver(lost); err != nil || len(flow.collected) != 1 {
			t.Fatalf("a callback for a payment whose reference was lost: %v, collected %v", err, flow.collected)
		}
		if got, _ := f.pays.Get(ctx, p.ID()); got.ProviderRef() != p.ProviderRef() || got.Status() != payment.Succeeded {
			t.Fatalf("the payment took %q (%s); want %q", got.ProviderRef(), got.Status(), p.ProviderRef())
		}

		// Another left without an intent: the sweep closes it once it is old enough.
		prov.down = true
		cmd.IdempotencyKey = "k3"
		if _, err := core.CreatePayment(ctx, cmd); err == nil {
			t.Fatal("provider down again")
		}
		prov.down = false
		if n, err := core.CloseUnregistered(ctx, now, 10); err != nil || n != 0 {
			t.Fatalf("a fresh unregistered payment swept: %d %v", n, err)
		}
		now = now.Add(10 * time.Minute)
		if n, err := core.CloseUnregistered(ctx, now.Add(-5*time.Minute), 10); err != nil || n != 1 {
			t.Fatalf("sweep: closed %d, %v", n, err)
		}
		ps = deposits()
		var swept *payment.Payment
		for _, q := range ps {
			if q.ID() != p.ID() {
				swept = q
			}
		}
		if swept == nil || swept.Status() != payment.Closed {
			t.Fatalf("after the sweep: %v", ps)
		}
		if err := deliver(swept); err != nil {
			t.Fatal(err)
		}
		var owed int
		if err := db.Primary().QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE topic = ?`, trade.TopicPaymentRefundOwed).Scan(&owed); err != nil || owed != 1 {
			t.Fatalf("money for a swept payment: %d owed back, %v", owed, err)
		}
	})
}

// depositHolder takes the deposits of an auction until it is told to refuse them.
type depositHolder struct {
	collected []string
	refuse    bool
}

func (h *depositHolder) Collect(_ context.Context, p *payment.Payment, _ time.Time) (bool, error) {
	if h.refuse {
		return false, nil
	}
	h.collected = append(h.collected, p.ID())
	return true, nil
}

// TestHeldPayments: a payment for a record that is no trade (an auction's deposit) is made,
// registered and settled like any other; its callback goes to its holder, a replay changes
// nothing, and money the holder does not take is owed back once.
func TestHeldPayments(t *testing.T) {
	sets := append(migrations(), idempotency.Migrations())
	daltest.Each(t, sets, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ids, _ := idgen.New(5)
		sb, err := sandboxpay.New(sandboxpay.Config{Secret: "0123456789abcdef", CallbackURL: "http://127.0.0.1:1/unused"})
		if err != nil {
			t.Fatal(err)
		}
		core := trade.New(trade.Deps{Tx: db, Orders: ordersql.New(db), Inventory: f.inv, Payments: f.pays, IDs: ids,
			Idempotency: idempotency.New(db), Providers: []payment.Provider{sb},
			Outbox: outbox.NewWriter(db, func() string { return ids.NextString("E") }), Timers: delay.New(db, func() string { return ids.NextString("J") })})
		holder := &depositHolder{}
		cmd := trade.HeldPayment{Tenant: "t1", UserID: "u1", HolderID: "AD1", Method: "sandbox", Purpose: payment.Deposit,
			Amount: money.New(5000, money.MustCurrency("CNY")), IdempotencyKey: "k1"}
		if _, err := core.CreateHeldPayment(ctx, cmd); err == nil {
			t.Fatal("a held payment nobody holds")
		}
		core.RegisterHolder("AD", holder)
		p, err := core.CreateHeldPayment(ctx, cmd)
		if err != nil || p.TradeID() != "AD1" || p.ProviderRef() == "" || p.Amount().Minor() != 5000 {
			t.Fatalf("held payment: %v %v", p, err)
		}
		if again, err := core.CreateHeldPayment(ctx, cmd); err != nil || again.ID() != p.ID() {
			t.Fatalf("the same key again: %v %v", again, err)
		}
		other := cmd
		other.Amount = money.New(6000, money.MustCurrency("CNY"))
		if _, err := core.CreateHeldPayment(ctx, other); !errors.Is(err, errkind.ErrIdempotencyConflict) {
			t.Fatalf("the same key, another amount: %v", err)
		}
		deliver := func(p *payment.Payment) error {
			body, h := sb.Callback(p, payment.OutcomeSucceeded)
			return core.HandlePaymentCallback(ctx, "sandbox", http.Header(h), body)
		}
		for i := 0; i < 2; i++ {
			if err := deliver(p); err != nil || len(holder.collected) != 1 {
				t.Fatalf("callback #%d: %v, collected %v", i, err, holder.collected)
			}
		}
		holder.refuse = true
		cmd.HolderID, cmd.IdempotencyKey = "AD2", "k2"
		p2, err := core.CreateHeldPayment(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if err := deliver(p2); err != nil {
			t.Fatal(err)
		}
		if rs, err := f.pays.RefundsOfPayment(ctx, p2.ID()); err != nil || len(rs) != 1 || rs[0].Reason() != trade.ReasonUnclaimed || rs[0].OrderID() != "AD2" {
			t.Fatalf("money the holder did not take: %v %v", rs, err)
		}
	})
}
