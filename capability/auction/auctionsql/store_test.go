package auctionsql_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/auction/auctionsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

func terms(now time.Time) auction.Terms {
	return auction.Terms{ID: "A1", SKUID: "vase", Title: "Ming vase", Currency: "CNY", StartPrice: 10000, ReservePrice: 30000,
		Increments: auction.Ladder{{From: 0, Step: 500}, {From: 20000, Step: 1000}}, Deposit: 5000, StartsAt: now.Add(-time.Minute),
		EndsAt: now.Add(time.Hour), AntiSnipe: 2 * time.Minute, Extend: 3 * time.Minute, MaxExtensions: 5, PayWindow: time.Hour}
}

// place places one bid in a batch of its own: its outcome and the auction as the batch left it,
// or its refusal.
func place(ctx context.Context, b *auction.Bidding, bid auction.Bid) (auction.Outcome, *auction.Auction, error) {
	p := &auction.Placement{Bid: bid}
	a, err := b.PlaceAll(ctx, "t1", "A1", []*auction.Placement{p}, bid.At, nil)
	if err != nil {
		return auction.Outcome{}, nil, err
	}
	return p.Out, a, p.Err
}

func TestStore(t *testing.T) {
	daltest.Each(t, []dal.Migrations{auctionsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := auctionsql.New(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		put, err := s.Put(ctx, "t1", terms(now), now)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "t1", "A1")
		if err != nil || !reflect.DeepEqual(got, put) {
			t.Fatalf("round trip:\n got %+v %v\nwant %+v", got, err, put)
		}
		if _, err := s.Get(ctx, "t2", "A1"); !errors.Is(err, auction.ErrNotFound) {
			t.Fatalf("another tenant's auction: %v", err)
		}
		changed := terms(now)
		changed.ReservePrice = 40000
		if _, err := s.Put(ctx, "t1", changed, now); err != nil {
			t.Fatal(err)
		}
		b := auction.NewBidding(db, s)
		out, a, err := place(ctx, b, auction.Bid{Bidder: "ann", Max: 25000, At: now})
		if err != nil || out.Entry == nil || a.Current != 10000 || a.ReservePrice != 40000 {
			t.Fatalf("first bid: %+v %+v %v", out, a, err)
		}
		if _, err := s.Put(ctx, "t1", terms(now), now); !errors.Is(err, auction.ErrInvalidAuction) {
			t.Fatalf("terms changed after a bid: %v", err)
		}
		if _, _, err := place(ctx, b, auction.Bid{Bidder: "bob", Amount: 10000, At: now}); !errors.Is(err, auction.ErrBidTooLow) {
			t.Fatalf("a bid at the price: %v", err)
		}
		if _, a, err = place(ctx, b, auction.Bid{Bidder: "bob", Amount: 12000, At: now}); err != nil || a.Leader != "ann" || a.Current != 12500 {
			t.Fatalf("covered by the proxy: %+v %v", a, err)
		}
		h, err := s.History(ctx, "t1", "A1", 0, 10)
		if err != nil || len(h) != 2 || h[0].Amount != 12500 || !h[0].Proxy || h[1].Bidder != "ann" || h[1].Seq != 1 {
			t.Fatalf("history: %+v %v", h, err)
		}
		if older, _ := s.History(ctx, "t1", "A1", 2, 10); len(older) != 1 || older[0].Seq != 1 {
			t.Fatalf("history before 2: %+v", older)
		}
	})
}

// TestConcurrentBidding: 50 bidders send 20 bids each at once, by hand and by proxy, each bid a
// transaction of its own on one auction row, on SQLite and MariaDB under -race: the history the
// database kept strictly rises, each entry by at least the step over the one before, its last
// entry is the auction's price and leader, and every bid was either applied or refused with a
// stable code.
func TestConcurrentBidding(t *testing.T) {
	daltest.Each(t, []dal.Migrations{auctionsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := auctionsql.New(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		if _, err := s.Put(ctx, "t1", terms(now), now); err != nil {
			t.Fatal(err)
		}
		b := auction.NewBidding(db, s)
		var applied, refused atomic.Int64
		var wg sync.WaitGroup
		for bidder := 0; bidder < 50; bidder++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(bidder), 7))
				for i := 0; i < 20; i++ {
					cur, err := s.Get(ctx, "t1", "A1")
					if err != nil {
						t.Error(err)
						return
					}
					bid := auction.Bid{Bidder: fmt.Sprint("b", bidder), At: now}
					if x := cur.MinNext() + rng.Int64N(3000) - 500; rng.IntN(3) == 0 {
						bid.Max = x + rng.Int64N(5000)
					} else {
						bid.Amount = x
					}
					_, _, err = place(ctx, b, bid)
					switch {
					case err == nil:
						applied.Add(1)
					case errors.Is(err, auction.ErrBidTooLow) || errors.Is(err, auction.ErrOwnBid):
						refused.Add(1)
					default:
						t.Errorf("bid: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if applied.Load()+refused.Load() != 1000 {
			t.Fatalf("%d applied and %d refused of 1000", applied.Load(), refused.Load())
		}
		a, err := s.Get(ctx, "t1", "A1")
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.History(ctx, "t1", "A1", 0, 10000)
		if err != nil || int64(len(h)) != a.Bids || len(h) == 0 {
			t.Fatalf("history of %d entries, auction counts %d: %v", len(h), a.Bids, err)
		}
		for i := len(h) - 1; i > 0; i-- {
			prev, e := h[i], h[i-1]
			if e.Seq != prev.Seq+1 || e.Amount < prev.Amount+a.Increments.StepAt(prev.Amount) {
				t.Fatalf("entry %+v after %+v", e, prev)
			}
		}
		if last := h[0]; last.Amount != a.Current || last.Bidder != a.Leader {
			t.Fatalf("last entry %+v; the auction says %d by %s", last, a.Current, a.Leader)
		}
		t.Logf("%d bids applied, %d refused, %d price moves, final %d", applied.Load(), refused.Load(), len(h), a.Current)
	})
}

// TestDeposits: one deposit per bidder and auction; it moves pending → paid → refunded, credited
// or forfeited, and a refunded one never becomes anything else.
func TestDeposits(t *testing.T) {
	daltest.Each(t, []dal.Migrations{auctionsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := auctionsql.NewDeposits(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		d := auction.Deposit{ID: "AD1", AuctionID: "A1", Bidder: "ann", Amount: 5000, Currency: "CNY", Status: auction.DepositPending, UpdatedAt: now}
		if _, found, err := s.Create(ctx, "t1", d); err != nil || found {
			t.Fatalf("create: %v %v", found, err)
		}
		second := d
		second.ID = "AD2"
		if got, found, err := s.Create(ctx, "t1", second); err != nil || !found || got.ID != "AD1" {
			t.Fatalf("a second deposit of the same bidder: %+v %v %v", got, found, err)
		}
		if _, err := s.Get(ctx, "t1", "A1", "bob"); !errors.Is(err, auction.ErrDepositNotFound) {
			t.Fatalf("bob has none: %v", err)
		}
		if err := db.InTx(ctx, func(ctx context.Context) error {
			got, err := s.Lock(ctx, "t1", "AD1")
			if err != nil {
				return err
			}
			if err := got.Move(auction.DepositPaid, now); err != nil {
				return err
			}
			got.PaymentID = "P1"
			return s.Save(ctx, "t1", got)
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "t1", "A1", "ann")
		if err != nil || !got.Paid() || got.PaymentID != "P1" {
			t.Fatalf("paid: %+v %v", got, err)
		}
		if err := got.Move(auction.DepositRefunded, now); err != nil {
			t.Fatal(err)
		}
		for _, to := range []auction.DepositStatus{auction.DepositCredited, auction.DepositForfeited, auction.DepositPaid} {
			if err := got.Move(to, now); !errors.Is(err, auction.ErrDepositTransition) {
				t.Fatalf("refunded then %s: %v", to, err)
			}
		}
		if all, err := s.OfAuction(ctx, "t1", "A1"); err != nil || len(all) != 1 {
			t.Fatalf("of auction: %+v %v", all, err)
		}
	})
}

// TestPlaceAll: a batch applies its bids in order in one transaction. Bids the ones before them
// outbid are refused, a bid its hook withdraws changes nothing and the batch goes on, the
// entries are numbered in order, the close moves once for the batch; a hook that fails fails
// the whole batch, which then wrote nothing.
func TestPlaceAll(t *testing.T) {
	daltest.Each(t, []dal.Migrations{auctionsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := auctionsql.New(db)
		now := time.UnixMilli(time.Now().UnixMilli())
		if _, err := s.Put(ctx, "t1", terms(now), now); err != nil {
			t.Fatal(err)
		}
		late := now.Add(time.Hour - time.Minute) // in the anti-sniping window
		var events []string
		emit := func(_ context.Context, out auction.Outcome, a *auction.Auction) error {
			events = append(events, fmt.Sprintf("%s@%d", a.Leader, a.Current))
			return nil
		}
		replayed := errors.New("replayed")
		batch := []*auction.Placement{
			{Bid: auction.Bid{Bidder: "ann", Amount: 10000, At: late}, Also: emit},
			{Bid: auction.Bid{Bidder: "bob", Amount: 10000, At: late}, Also: emit}, // outbid by ann's
			{Bid: auction.Bid{Bidder: "cat", Amount: 12000, At: late}, Also: func(context.Context, auction.Outcome, *auction.Auction) error {
				return auction.Withdraw(replayed)
			}},
			{Bid: auction.Bid{Bidder: "bob", Amount: 10500, At: late}, Also: emit},
			{Bid: auction.Bid{Bidder: "dan", Max: 30000, At: late}, Also: emit},
		}
		var moves int
		a, err := auction.NewBidding(db, s).PlaceAll(ctx, "t1", "A1", batch, late, func(_ context.Context, was, is *auction.Auction) error {
			moves++
			if !is.ClosesAt.After(was.ClosesAt) {
				t.Errorf("close %s → %s", was.ClosesAt, is.ClosesAt)
			}
			return nil
		})
		if err != nil || a.Bids != 3 || a.Leader != "dan" || a.Current != 11000 || a.LeaderMax != 30000 || a.Extensions != 1 || moves != 1 {
			t.Fatalf("after the batch: %+v %v, %d moves", a, err, moves)
		}
		if !errors.Is(batch[1].Err, auction.ErrBidTooLow) || !errors.Is(batch[2].Err, replayed) || batch[0].Err != nil || batch[3].Err != nil ||
			batch[4].Err != nil || !batch[4].Out.Leading || !batch[3].Out.Leading {
			t.Fatalf("outcomes: %v %v %v %v %v", batch[0].Err, batch[1].Err, batch[2].Err, batch[3].Err, batch[4].Err)
		}
		if fmt.Sprint(events) != "[ann@10000 bob@10500 dan@11000]" {
			t.Fatalf("events %v", events)
		}
		h, err := s.History(ctx, "t1", "A1", 0, 10)
		if err != nil || len(h) != 3 || h[0].Seq != 3 || h[0].Bidder != "dan" || h[1].Bidder != "bob" || h[2].Bidder != "ann" || h[2].Seq != 1 {
			t.Fatalf("history: %+v %v", h, err)
		}
		if got, _ := s.Get(ctx, "t1", "A1"); got.State != a.State {
			t.Fatalf("stored %+v, placed %+v", got.State, a.State)
		}

		broken := errors.New("outbox down")
		a, err = auction.NewBidding(db, s).PlaceAll(ctx, "t1", "A1", []*auction.Placement{
			{Bid: auction.Bid{Bidder: "eve", Amount: 12000, At: late}},
			{Bid: auction.Bid{Bidder: "fay", Amount: 13000, At: late}, Also: func(context.Context, auction.Outcome, *auction.Auction) error { return broken }},
		}, late, nil)
		if !errors.Is(err, broken) || a != nil {
			t.Fatalf("a failing hook: %+v %v", a, err)
		}
		if got, _ := s.Get(ctx, "t1", "A1"); got.Bids != 3 || got.Leader != "dan" {
			t.Fatalf("a failed batch wrote %+v", got.State)
		}
	})
}
