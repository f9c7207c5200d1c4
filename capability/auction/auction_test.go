package auction_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
)

var t0 = time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)

// terms: 100.00 to start, +5.00 below 200.00 and +10.00 from it, a 300.00 reserve, ending an hour
// after t0; a bid in the last 2 minutes moves the end to 3 minutes after it, at most twice.
func terms() auction.Terms {
	return auction.Terms{ID: "A1", SKUID: "vase", Title: "Ming vase", Currency: "CNY", StartPrice: 10000, ReservePrice: 30000,
		Increments: auction.Ladder{{From: 0, Step: 500}, {From: 20000, Step: 1000}}, Deposit: 5000, StartsAt: t0, EndsAt: t0.Add(time.Hour),
		AntiSnipe: 2 * time.Minute, Extend: 3 * time.Minute, MaxExtensions: 2, PayWindow: time.Hour}
}

func newAuction(t *testing.T) *auction.Auction {
	t.Helper()
	a, err := auction.New(terms())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func TestLadderAndManualBids(t *testing.T) {
	a := newAuction(t)
	place := func(who string, amount int64, m int) (auction.Outcome, error) {
		return a.Place(auction.Bid{Bidder: who, Amount: amount, At: at(m)}, nil)
	}
	if _, err := a.Place(auction.Bid{Bidder: "ann", Amount: 10000, At: t0.Add(-time.Second)}, nil); !errors.Is(err, auction.ErrNotRunning) {
		t.Fatalf("before the start: %v", err)
	}
	if _, err := place("ann", 9999, 1); !errors.Is(err, auction.ErrBidTooLow) {
		t.Fatalf("one minor unit below the start: %v", err)
	} else if n, _ := auction.MinNextOf(err); n != 10000 {
		t.Fatalf("min next %d; want 10000", n)
	}
	if out, err := place("ann", 10000, 1); err != nil || !out.Leading || out.Entry.Amount != 10000 {
		t.Fatalf("first bid: %+v %v", out, err)
	}
	if _, err := place("ann", 10500, 2); !errors.Is(err, auction.ErrOwnBid) {
		t.Fatalf("raising one's own lead by hand: %v", err)
	}
	if _, err := place("bob", 10499, 2); !errors.Is(err, auction.ErrBidTooLow) {
		t.Fatalf("one minor unit below 105.00: %v", err)
	}
	if _, err := place("bob", 19500, 3); err != nil || a.MinNext() != 20000 {
		t.Fatalf("at 195.00 the next bid is 200.00 (195 + 5): %v, %d", err, a.MinNext())
	}
	if _, err := place("ann", 20000, 4); err != nil || a.MinNext() != 21000 {
		t.Fatalf("from 200.00 the step is 10.00: %v, min next %d", err, a.MinNext())
	}
	if _, err := place("bob", 20999, 5); !errors.Is(err, auction.ErrBidTooLow) {
		t.Fatalf("209.99 after 200.00: %v", err)
	}
	if a.ReserveMet() {
		t.Fatal("the reserve of 300.00 is met at 200.00")
	}
	for _, bad := range []auction.Bid{{Bidder: "", Amount: 30000, At: at(5)}, {Bidder: "cat", At: at(5)}, {Bidder: "cat", Amount: 30000, Max: 40000, At: at(5)},
		{Bidder: "cat", Amount: -1, At: at(5)}} {
		if _, err := a.Place(bad, nil); !errors.Is(err, auction.ErrInvalidBid) {
			t.Fatalf("bid %+v: %v", bad, err)
		}
	}
	if a.Current != 20000 || a.Leader != "ann" || a.Bids != 3 {
		t.Fatalf("refusals changed the state: %+v", a.State)
	}
}

func TestProxyBidding(t *testing.T) {
	t.Run("against a manual bidder", func(t *testing.T) {
		a := newAuction(t)
		if out, err := a.Place(auction.Bid{Bidder: "pam", Max: 25000, At: at(1)}, nil); err != nil || out.Entry.Amount != 10000 || !out.Entry.Proxy {
			t.Fatalf("a proxy opens at the start price: %+v %v", out, err)
		}
		// Bob's 150.00 is covered: Pam leads at 150 + 5 = 155.00.
		out, err := a.Place(auction.Bid{Bidder: "bob", Amount: 15000, At: at(2)}, nil)
		if err != nil || out.Leading || out.Entry.Bidder != "pam" || out.Entry.Amount != 15500 {
			t.Fatalf("bob by hand against pam's proxy: %+v %v", out, err)
		}
		// Bob's 250.00 equals Pam's max: the earlier proxy wins the tie, at 250.00.
		if out, err := a.Place(auction.Bid{Bidder: "bob", Amount: 25000, At: at(3)}, nil); err != nil || out.Leading || a.Leader != "pam" || a.Current != 25000 {
			t.Fatalf("a tie with the proxy's max: %+v %v (%+v)", out, err, a.State)
		}
		// 260.00 beats her max.
		if out, err := a.Place(auction.Bid{Bidder: "bob", Amount: 26000, At: at(4)}, nil); err != nil || !out.Leading || a.Current != 26000 || a.LeaderMax != 0 {
			t.Fatalf("beating the proxy: %+v %v", out, err)
		}
	})
	t.Run("against another proxy", func(t *testing.T) {
		a := newAuction(t)
		mustPlace(t, a, auction.Bid{Bidder: "pam", Max: 30000, At: at(1)})
		// A later, lower max: the earlier leads at the later max plus a step (219.00 + 10.00).
		out := mustPlace(t, a, auction.Bid{Bidder: "quinn", Max: 21900, At: at(2)})
		if out.Leading || a.Leader != "pam" || a.Current != 22900 {
			t.Fatalf("lower proxy: %+v (%+v)", out, a.State)
		}
		// A later max just under the earlier's: the step does not fit, so the earlier leads at
		// the later max.
		out = mustPlace(t, a, auction.Bid{Bidder: "quinn", Max: 29500, At: at(3)})
		if a.Leader != "pam" || a.Current != 29500 {
			t.Fatalf("max just under: %+v (%+v)", out, a.State)
		}
		// A later, higher max leads at the earlier max plus a step.
		out = mustPlace(t, a, auction.Bid{Bidder: "quinn", Max: 50000, At: at(4)})
		if !out.Leading || a.Leader != "quinn" || a.Current != 31000 || !a.ReserveMet() {
			t.Fatalf("higher proxy: %+v (%+v)", out, a.State)
		}
		// The leader raises their own max: no price move; lowering it is refused.
		if out := mustPlace(t, a, auction.Bid{Bidder: "quinn", Max: 60000, At: at(5)}); out.Entry != nil || a.LeaderMax != 60000 || a.Current != 31000 {
			t.Fatalf("raise own max: %+v (%+v)", out, a.State)
		}
		if _, err := a.Place(auction.Bid{Bidder: "quinn", Max: 55000, At: at(6)}, nil); !errors.Is(err, auction.ErrBidTooLow) {
			t.Fatalf("lowering one's own max: %v", err)
		}
	})
}

func mustPlace(t *testing.T, a *auction.Auction, b auction.Bid) auction.Outcome {
	t.Helper()
	out, err := a.Place(b, nil)
	if err != nil {
		t.Fatalf("%+v: %v", b, err)
	}
	return out
}

func TestAntiSnipingAndItsCap(t *testing.T) {
	a := newAuction(t)
	mustPlace(t, a, auction.Bid{Bidder: "ann", Amount: 10000, At: at(10)})
	if a.ClosesAt != at(60) {
		t.Fatalf("a bid well before the end moved it to %v", a.ClosesAt)
	}
	if out := mustPlace(t, a, auction.Bid{Bidder: "bob", Amount: 10500, At: at(59)}); !out.Extended || a.ClosesAt != at(62) {
		t.Fatalf("a bid in the last minutes: %+v, ends %v", out, a.ClosesAt)
	}
	if out := mustPlace(t, a, auction.Bid{Bidder: "ann", Amount: 11000, At: at(61)}); !out.Extended || a.ClosesAt != at(64) {
		t.Fatalf("the second extension: %+v, ends %v", out, a.ClosesAt)
	}
	if out := mustPlace(t, a, auction.Bid{Bidder: "bob", Amount: 11500, At: at(63)}); out.Extended || a.ClosesAt != at(64) {
		t.Fatalf("past the cap: %+v, ends %v", out, a.ClosesAt)
	}
	if _, err := a.Place(auction.Bid{Bidder: "ann", Amount: 20000, At: at(64)}, nil); !errors.Is(err, auction.ErrClosed) {
		t.Fatalf("a bid at the end: %v", err)
	}
	if st, err := a.Settle(at(64)); err != nil || st != auction.Unsold {
		t.Fatalf("settled below the reserve: %s %v", st, err)
	}
	if _, err := a.Settle(at(65)); !errors.Is(err, auction.ErrNotSettleable) {
		t.Fatalf("settled twice: %v", err)
	}
}

func TestTermsValidate(t *testing.T) {
	for name, edit := range map[string]func(*auction.Terms){
		"no increments":           func(x *auction.Terms) { x.Increments = nil },
		"ladder not rising":       func(x *auction.Terms) { x.Increments = auction.Ladder{{0, 500}, {0, 1000}} },
		"ladder above the start":  func(x *auction.Terms) { x.Increments = auction.Ladder{{20000, 500}} },
		"zero step":               func(x *auction.Terms) { x.Increments = auction.Ladder{{0, 0}} },
		"ends before it starts":   func(x *auction.Terms) { x.EndsAt = x.StartsAt },
		"negative reserve":        func(x *auction.Terms) { x.ReservePrice = -1 },
		"zero start":              func(x *auction.Terms) { x.StartPrice = 0 },
		"no deposit":              func(x *auction.Terms) { x.Deposit = 0 },
		"bad currency":            func(x *auction.Terms) { x.Currency = "XXZ" },
		"no pay window":           func(x *auction.Terms) { x.PayWindow = 0 },
		"snipe without extension": func(x *auction.Terms) { x.Extend = 0 },
		"bad id":                  func(x *auction.Terms) { x.ID = "a b" },
	} {
		x := terms()
		edit(&x)
		if err := x.Validate(); !errors.Is(err, auction.ErrInvalidAuction) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRandomBiddingKeepsTheHistoryHonest: 50 bidders, 1,000 bids by hand and by proxy in random
// order, some too low, some by the leader: the history strictly increases, each entry at least the
// step that applies above the one before, the last entry is the price and the leader, the leader's
// maximum never falls below the price, and every bid was either applied or refused with a stable
// error.
func TestRandomBiddingKeepsTheHistoryHonest(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		a := newAuction(t)
		a.ClosesAt = t0.Add(24 * time.Hour)
		var history []auction.Entry
		applied, refused := 0, 0
		for i := 0; i < 1000; i++ {
			b := auction.Bid{Bidder: fmt.Sprint("b", rng.IntN(50)), At: t0.Add(time.Duration(i) * time.Second)}
			x := a.MinNext() - 600 + rng.Int64N(5000)
			if rng.IntN(2) == 0 {
				b.Amount = max(1, x)
			} else {
				b.Max = max(1, x+rng.Int64N(20000))
			}
			before := a.State
			out, err := a.Place(b, nil)
			if err != nil {
				if !errors.Is(err, auction.ErrBidTooLow) && !errors.Is(err, auction.ErrOwnBid) {
					t.Fatalf("seed %d bid %d: unexpected %v", seed, i, err)
				}
				if a.State != before {
					t.Fatalf("seed %d bid %d: a refusal changed the state", seed, i)
				}
				refused++
				continue
			}
			applied++
			if out.Entry != nil {
				e := *out.Entry
				if n := len(history); n > 0 {
					prev := history[n-1]
					if e.Amount < prev.Amount+a.Increments.StepAt(prev.Amount) || e.Seq != prev.Seq+1 {
						t.Fatalf("seed %d: entry %+v after %+v", seed, e, prev)
					}
				} else if e.Amount < a.StartPrice {
					t.Fatalf("seed %d: first entry %+v below the start", seed, e)
				}
				history = append(history, e)
			}
			last := history[len(history)-1]
			if a.Current != last.Amount || a.Leader != last.Bidder || a.Bids != int64(len(history)) {
				t.Fatalf("seed %d: state %+v, last entry %+v", seed, a.State, last)
			}
			if a.LeaderMax != 0 && a.LeaderMax < a.Current {
				t.Fatalf("seed %d: the leader's max %d is below the price %d", seed, a.LeaderMax, a.Current)
			}
		}
		if applied+refused != 1000 || applied == 0 || refused == 0 {
			t.Fatalf("seed %d: %d applied, %d refused", seed, applied, refused)
		}
	}
}
