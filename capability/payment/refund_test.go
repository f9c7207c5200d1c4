package payment_test

import (
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/kernel/money"
)

func TestNewRefundNeverGivesBackMoreThanWasPaid(t *testing.T) {
	cny, usd := money.MustCurrency("CNY"), money.MustCurrency("USD")
	now := time.Now()
	paid := payment.New("P1", "t1", "T1", "u1", "sandbox", payment.Full, money.New(1000, cny), now)
	if _, err := paid.Settle(payment.OutcomeSucceeded, now); err != nil {
		t.Fatal(err)
	}
	pending := payment.New("P2", "t1", "T1", "u1", "sandbox", payment.Full, money.New(1000, cny), now)
	for _, tc := range []struct {
		name     string
		p        *payment.Payment
		amount   money.Amount
		refunded int64
		want     error
	}{
		{"whole payment", paid, money.New(1000, cny), 0, nil},
		{"the rest", paid, money.New(400, cny), 600, nil},
		{"one unit more than is left", paid, money.New(401, cny), 600, payment.ErrRefundTooLarge},
		{"more than the payment", paid, money.New(1001, cny), 0, payment.ErrRefundTooLarge},
		{"negative earlier refunds", paid, money.New(10, cny), -5, payment.ErrRefundTooLarge},
		{"zero", paid, money.New(0, cny), 0, payment.ErrNotRefundable},
		{"negative", paid, money.New(-1, cny), 0, payment.ErrNotRefundable},
		{"another currency", paid, money.New(10, usd), 0, payment.ErrNotRefundable},
		{"payment not collected", pending, money.New(10, cny), 0, payment.ErrNotRefundable},
	} {
		r, err := payment.NewRefund("R1", tc.p, "O1", "buyer_requested", tc.amount, tc.refunded, now)
		if tc.want == nil {
			if err != nil || r.Status() != payment.RefundPending || r.Amount() != tc.amount || r.PaymentID() != tc.p.ID() || r.TradeID() != "T1" {
				t.Fatalf("%s: %+v %v", tc.name, r, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || r != nil {
			t.Fatalf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestRefundSucceedsOnce(t *testing.T) {
	cny := money.MustCurrency("CNY")
	now := time.Now()
	p := payment.New("P1", "t1", "T1", "u1", "sandbox", payment.Full, money.New(1000, cny), now)
	_, _ = p.Settle(payment.OutcomeSucceeded, now)
	r, err := payment.NewRefund("R1", p, "O1", "x", money.New(300, cny), 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Succeed("ref-1", now.Add(time.Second)) || r.Status() != payment.RefundSucceeded || r.ProviderRef() != "ref-1" {
		t.Fatalf("succeed: %+v", r)
	}
	if r.Succeed("ref-2", now.Add(2*time.Second)) || r.ProviderRef() != "ref-1" || !r.SettledAt().Equal(now.Add(time.Second)) {
		t.Fatalf("second acceptance changed the refund: %+v", r)
	}
	if got := payment.Refunded([]*payment.Refund{r, r}); got != 600 {
		t.Fatalf("refunded sum %d", got)
	}
}
