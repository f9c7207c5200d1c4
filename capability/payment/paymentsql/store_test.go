package paymentsql_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/payment/paymentsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/money"
)

func TestPaymentStore(t *testing.T) {
	daltest.Each(t, []dal.Migrations{paymentsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := paymentsql.New(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		p := payment.New("P1", "t1", "T1", "u1", "sandbox", payment.Full, money.New(1990, money.MustCurrency("CNY")), now)
		p.SetProviderRef("sbx_1")
		if err := s.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, payment.New("P2", "t1", "T1", "u1", "sandbox", payment.Full, money.New(5, money.MustCurrency("CNY")), now.Add(time.Second))); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(ctx context.Context) error {
			got, err := s.Lock(ctx, "P1")
			if err != nil {
				return err
			}
			if changed, err := got.Settle(payment.OutcomeSucceeded, now); err != nil || !changed {
				t.Fatalf("settle: %v %v", changed, err)
			}
			return s.Save(ctx, got)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "P1")
		if err != nil || got.Status() != payment.Succeeded || got.ProviderRef() != "sbx_1" || !got.SettledAt().Equal(now) || got.Amount().Minor() != 1990 {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		list, err := s.ByTrade(ctx, "t1", "T1")
		if err != nil || len(list) != 2 || list[0].ID() != "P1" {
			t.Fatalf("by trade: %v %v", list, err)
		}
		if list, _ := s.ByTrade(ctx, "t2", "T1"); len(list) != 0 {
			t.Fatalf("another tenant sees payments: %v", list)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("missing: got %v", err)
		}
	})
}

func TestRefundStore(t *testing.T) {
	daltest.Each(t, []dal.Migrations{paymentsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := paymentsql.New(db)
		cny := money.MustCurrency("CNY")
		now := time.UnixMilli(time.Now().UnixMilli())
		p := payment.New("P1", "t1", "T1", "u1", "sandbox", payment.Full, money.New(1000, cny), now)
		_, _ = p.Settle(payment.OutcomeSucceeded, now)
		if err := s.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		r1, _ := payment.NewRefund("R1", p, "O1", "buyer_requested", money.New(300, cny), 0, now)
		r2, _ := payment.NewRefund("R2", p, "O2", "operator_refunded", money.New(700, cny), 300, now.Add(time.Second))
		for _, r := range []*payment.Refund{r1, r2} {
			if err := s.CreateRefund(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		// One refund per order, whatever races: the database refuses a second.
		dup, _ := payment.NewRefund("R3", p, "O1", "x", money.New(1, cny), 0, now)
		if err := s.CreateRefund(ctx, dup); !errors.Is(err, payment.ErrNotRefundable) {
			t.Fatalf("second refund of O1: %v; want ErrNotRefundable", err)
		}
		// After-sale requests refund an order in parts, once per request (O7).
		q := payment.New("P2", "t1", "T2", "u1", "sandbox", payment.Full, money.New(900, cny), now)
		_, _ = q.Settle(payment.OutcomeSucceeded, now)
		if err := s.Create(ctx, q); err != nil {
			t.Fatal(err)
		}
		for i, as := range []string{"AS1", "AS2", "AS1"} {
			r, _ := payment.NewRefund(fmt.Sprint("RA", i), q, "O7", "aftersale", money.New(300, cny), int64(300*i), now)
			r.ForAfterSale(as)
			if err := s.CreateRefund(ctx, r); (err == nil) != (i < 2) || err != nil && !errors.Is(err, payment.ErrNotRefundable) {
				t.Fatalf("refund %d of O7 for %s: %v", i, as, err)
			}
		}
		if got, _ := s.Refund(ctx, "RA1"); got.AfterSaleID() != "AS2" {
			t.Fatalf("after-sale of RA1: %q", got.AfterSaleID())
		}
		if err := db.InTx(ctx, func(ctx context.Context) error {
			got, err := s.LockRefund(ctx, "R1")
			if err != nil {
				return err
			}
			got.Succeed("sbr_1", now.Add(2*time.Second))
			return s.SaveRefund(ctx, got)
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Refund(ctx, "R1")
		if err != nil || got.Status() != payment.RefundSucceeded || got.ProviderRef() != "sbr_1" || got.OrderID() != "O1" ||
			got.Amount().Minor() != 300 || got.Reason() != "buyer_requested" || !got.SettledAt().Equal(now.Add(2*time.Second)) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		all, err := s.RefundsOfPayment(ctx, "P1")
		if err != nil || len(all) != 2 || all[0].ID() != "R1" || payment.Refunded(all) != 1000 {
			t.Fatalf("refunds of payment: %v %v", all, err)
		}
		some, err := s.RefundsOfOrders(ctx, "t1", []string{"O2", "O9"})
		if err != nil || len(some) != 1 || some[0].ID() != "R2" || some[0].Status() != payment.RefundPending {
			t.Fatalf("refunds of orders: %v %v", some, err)
		}
		if other, _ := s.RefundsOfOrders(ctx, "t2", []string{"O1", "O2"}); len(other) != 0 {
			t.Fatalf("another tenant sees refunds: %v", other)
		}
		if _, err := s.Refund(ctx, "R9"); !errors.Is(err, payment.ErrRefundNotFound) {
			t.Fatalf("unknown refund: %v", err)
		}
	})
}

// TestMismatchStore: a provider's report is kept once however often it is replayed, a report
// wider than its column is kept cut, and a payment's mismatches are its tenant's only.
func TestMismatchStore(t *testing.T) {
	daltest.Each(t, []dal.Migrations{paymentsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := paymentsql.New(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		m := payment.Mismatch{ID: "M1", Tenant: "t1", Kind: payment.MismatchPayment, PaymentID: "P1", Provider: "sandbox", ProviderRef: "sbx_1",
			Report: "ntf_1", Expected: 1990, ExpectedCurrency: "CNY", Reported: 1989, ReportedCurrency: "CNY", At: now}
		for i, want := range []bool{true, false} {
			m.ID = fmt.Sprintf("M%d", i+1)
			if fresh, err := s.RecordMismatch(ctx, m); err != nil || fresh != want {
				t.Fatalf("record #%d: %v %v; want new=%v", i, fresh, err, want)
			}
		}
		m.ID = "M1" // the one kept
		wide := m
		wide.ID, wide.Report, wide.Kind, wide.RefundID, wide.ReportedCurrency = "M3", "r/"+string(make([]byte, 300)), payment.MismatchRefund, "R1", "這不是幣種"
		if fresh, err := s.RecordMismatch(ctx, wide); err != nil || !fresh {
			t.Fatalf("a wide report: %v %v", fresh, err)
		}
		got, err := s.MismatchesOf(ctx, "t1", "P1")
		if err != nil || len(got) != 2 || got[0] != m || got[1].Kind != payment.MismatchRefund || got[1].RefundID != "R1" || len(got[1].Report) != 128 {
			t.Fatalf("mismatches of P1: %+v %v", got, err)
		}
		if other, err := s.MismatchesOf(ctx, "t2", "P1"); err != nil || len(other) != 0 {
			t.Fatalf("another tenant's: %+v %v", other, err)
		}
	})
}
