package auction_test

import (
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
)

// TestDepositMoves: a deposit ends refunded, forfeited or credited, and a forfeited or refunded
// one never moves again (a forfeited deposit that became refunded would pay the winner who did
// not pay); a credited one may still be refunded (its sale refunded) or forfeited (unpaid).
func TestDepositMoves(t *testing.T) {
	all := []auction.DepositStatus{auction.DepositPending, auction.DepositPaid, auction.DepositRefunded, auction.DepositCredited,
		auction.DepositForfeited}
	allowed := map[[2]auction.DepositStatus]bool{
		{auction.DepositPending, auction.DepositPaid}:       true,
		{auction.DepositPaid, auction.DepositRefunded}:      true,
		{auction.DepositPaid, auction.DepositCredited}:      true,
		{auction.DepositPaid, auction.DepositForfeited}:     true,
		{auction.DepositCredited, auction.DepositForfeited}: true,
		{auction.DepositCredited, auction.DepositRefunded}:  true,
	}
	for _, from := range all {
		for _, to := range all {
			d := auction.Deposit{ID: "AD1", Status: from}
			err := d.Move(to, time.Now())
			if want := allowed[[2]auction.DepositStatus{from, to}]; want != (err == nil) {
				t.Errorf("%s -> %s: %v; allowed %v", from, to, err, want)
			}
			if err != nil && (!errors.Is(err, auction.ErrDepositTransition) || d.Status != from) {
				t.Errorf("%s -> %s refused as %v, leaving %s", from, to, err, d.Status)
			}
		}
	}
}
