// Package auction is an English auction of one unit: its terms (start price, a ladder of bid
// increments, a reserve, a deposit, a window with anti-sniping extensions), and the rules that
// put one bid after another: what the next bid must be, how a proxy bids for its buyer, who
// leads, when the end moves, and whether the reserve was met.
//
// Bids are applied one at a time to the auction's state (Place); the flow decides the order, and
// the state says nothing of storage. Every placement that moves the price appends exactly one
// entry to the history, so that the history strictly increases, each entry at least the step that
// applies above the one before it, and its last entry is the price and the leader:
//
//   - a bid above what the leader's proxy allows takes the lead: a manual bid at its amount, a
//     proxy at the least that beats the leader (the leader's max plus a step, within its own max);
//   - a bid the leader's proxy covers leaves the leader in front, at the bid plus a step where the
//     proxy allows it, else at the bid itself: the earlier proxy wins a tie;
//   - a leader may raise their own proxy max (no price move) but not outbid themselves.
//
// The reserve is never shown to buyers; ReserveMet says only whether it is reached.
package auction

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// Status is where an auction stands.
type Status string

// The statuses.
const (
	Scheduled Status = "scheduled"
	Running   Status = "running"
	// Ended: past its end, not settled yet.
	Ended     Status = "ended"
	Sold      Status = "sold"
	Unsold    Status = "unsold"
	Cancelled Status = "cancelled"
)

// Errors.
var (
	ErrInvalidAuction = errkind.New(errkind.Invalid, "auction.invalid_auction", "invalid auction")
	ErrNotFound       = errkind.New(errkind.NotFound, "auction.not_found", "auction not found")
	ErrNotRunning     = errkind.New(errkind.Conflict, "auction.not_running", "the auction is not running")
	ErrClosed         = errkind.New(errkind.Conflict, "auction.closed", "the auction has closed")
	ErrBidTooLow      = errkind.New(errkind.Conflict, "auction.bid_too_low", "the bid is below the next acceptable bid")
	ErrOwnBid         = errkind.New(errkind.Conflict, "auction.own_bid", "you already lead; raise your proxy maximum instead")
	ErrInvalidBid     = errkind.New(errkind.Invalid, "auction.invalid_bid", "a bid is an amount or a proxy maximum, in minor units")
	ErrDepositNeeded  = errkind.New(errkind.Conflict, "auction.deposit_required", "pay the auction's deposit before bidding")
	ErrNotSettleable  = errkind.New(errkind.Conflict, "auction.not_settleable", "the auction cannot be settled in its current state")
)

// BidTooLowError is a bid below the next acceptable one; MinNext is that bid.
type BidTooLowError struct{ MinNext int64 }

func (e *BidTooLowError) Error() string {
	return fmt.Sprintf("%s: the next bid must be at least %d", ErrBidTooLow.Code(), e.MinNext)
}

// Unwrap makes errors.Is(err, ErrBidTooLow) hold.
func (e *BidTooLowError) Unwrap() error {
	return errkind.WithDetail(ErrBidTooLow, "the next bid must be at least %d", e.MinNext)
}

// Step is one rung of the increment ladder: from this price on, bids rise by Step.
type Step struct {
	From int64
	Step int64
}

// Ladder is the increments, by rising From; the step that applies is the one with the highest
// From at or below the price.
type Ladder []Step

// StepAt is the increment that applies at price.
func (l Ladder) StepAt(price int64) int64 {
	step := l[0].Step
	for _, s := range l {
		if s.From <= price {
			step = s.Step
		}
	}
	return step
}

// Validate reports what is wrong with a ladder for an auction starting at startPrice, as
// auction.invalid_auction: 1-50 rungs rising by From, the first at or below the start, each Step
// positive.
func (l Ladder) Validate(startPrice int64) error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidAuction, format, args...) }
	if len(l) == 0 || len(l) > 50 {
		return bad("increments must have 1-50 steps")
	}
	for i, s := range l {
		switch {
		case s.Step <= 0 || s.Step > MaxPrice || s.From < 0 || s.From > MaxPrice:
			return bad("increments[%d]: step must be positive and from non-negative", i)
		case i == 0 && s.From > startPrice:
			return bad("increments[0].from must be at or below the start price")
		case i > 0 && s.From <= l[i-1].From:
			return bad("increments must rise by from")
		}
	}
	return nil
}

// Terms are what an operator sets.
type Terms struct {
	ID, SKUID, Title, Currency string
	StartPrice, ReservePrice   int64
	Increments                 Ladder
	Deposit                    int64
	StartsAt, EndsAt           time.Time
	// A bid accepted within AntiSnipe of the end moves the end to Extend after the bid, at most
	// MaxExtensions times.
	AntiSnipe, Extend time.Duration
	MaxExtensions     int
	// PayWindow is how long the winner has to pay.
	PayWindow time.Duration
}

var (
	idRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$`)
	skuIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

// MaxPrice bounds every amount of an auction: a trillion minor units.
const MaxPrice = 1_000_000_000_000

// Validate reports what is wrong with the terms, as auction.invalid_auction.
func (t Terms) Validate() error {
	bad := func(format string, args ...any) error { return errkind.WithDetail(ErrInvalidAuction, format, args...) }
	switch {
	case !idRe.MatchString(t.ID):
		return bad("auctionId must be 1-48 letters, digits, '_', '.' or '-'")
	case !skuIDRe.MatchString(t.SKUID):
		return bad("skuId is required")
	case strings.TrimSpace(t.Title) == "" || !utf8.ValidString(t.Title) || utf8.RuneCountInString(t.Title) > 200:
		return bad("title must be 1-200 characters")
	}
	if _, err := money.ParseCurrency(t.Currency); err != nil {
		return bad("currency %q is not an ISO 4217 code", t.Currency)
	}
	for what, v := range map[string]int64{"startPrice": t.StartPrice, "reservePrice": t.ReservePrice, "deposit": t.Deposit} {
		if v < 0 || v > MaxPrice {
			return bad("%s must be between 0 and %d minor units", what, int64(MaxPrice))
		}
	}
	if t.StartPrice == 0 {
		return bad("startPrice must be positive")
	}
	if t.Deposit == 0 {
		return bad("deposit must be positive: bidders pay it, and say where the unit goes, before they bid")
	}
	if err := t.Increments.Validate(t.StartPrice); err != nil {
		return err
	}
	epoch := time.UnixMilli(0)
	switch {
	case !t.StartsAt.After(epoch) || !t.EndsAt.After(t.StartsAt):
		return bad("startsAt and endsAt are unix ms, endsAt after startsAt")
	case t.EndsAt.Sub(t.StartsAt) > 90*24*time.Hour:
		return bad("an auction runs at most 90 days")
	case t.AntiSnipe < 0 || t.AntiSnipe > 24*time.Hour || t.Extend < 0 || t.Extend > 24*time.Hour:
		return bad("antiSnipeSeconds and extendSeconds must be between 0 and a day")
	case t.MaxExtensions < 0 || t.MaxExtensions > 1000:
		return bad("maxExtensions must be between 0 and 1000")
	case (t.AntiSnipe > 0) != (t.Extend > 0) && t.MaxExtensions > 0:
		return bad("anti-sniping needs both antiSnipeSeconds and extendSeconds")
	case t.PayWindow < time.Minute || t.PayWindow > 30*24*time.Hour:
		return bad("payWindowSeconds must be between a minute and 30 days")
	}
	return nil
}

// Entry is one accepted bid in the history.
type Entry struct {
	Seq    int64
	Bidder string
	Amount int64
	// Proxy: the platform bid for the bidder, from their maximum.
	Proxy bool
	At    time.Time
}

// State is where the bidding stands.
type State struct {
	// Current is the price: the last entry's amount; zero before the first bid.
	Current int64
	Leader  string
	// LeaderMax is the leader's proxy maximum; zero when the leader bid by hand.
	LeaderMax  int64
	Bids       int64 // entries in the history
	Extensions int
	// ClosesAt is the end after extensions (Terms.EndsAt is the end as set).
	ClosesAt time.Time
	// Settled is Sold, Unsold or Cancelled once the auction is settled; empty before.
	Settled Status
}

// Auction is an auction's terms and state.
type Auction struct {
	Terms
	State
}

// New returns a fresh auction of valid terms.
func New(t Terms) (*Auction, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &Auction{Terms: t, State: State{ClosesAt: t.EndsAt}}, nil
}

// Clone is a copy of a that placing bids on does not change a (the terms' ladder is shared: a
// bid never changes it).
func (a *Auction) Clone() *Auction {
	c := *a
	return &c
}

// StatusAt is the auction's status at now.
func (a *Auction) StatusAt(now time.Time) Status {
	switch {
	case a.Settled != "":
		return a.Settled
	case now.Before(a.StartsAt):
		return Scheduled
	case now.Before(a.ClosesAt):
		return Running
	}
	return Ended
}

// MinNext is the least the next bid may be.
func (a *Auction) MinNext() int64 {
	if a.Bids == 0 {
		return a.StartPrice
	}
	return a.Current + a.Increments.StepAt(a.Current)
}

// ReserveMet reports whether the price reached the reserve.
func (a *Auction) ReserveMet() bool { return a.Bids > 0 && a.Current >= a.ReservePrice }

// Bid is one bidder's bid: Amount by hand, or Max for a proxy (exactly one of them).
type Bid struct {
	Bidder string
	Amount int64
	Max    int64
	At     time.Time
}

// Outcome is what a placement did.
type Outcome struct {
	// Leading: the bidder leads after it.
	Leading bool
	// Entry is the history entry the placement appended; nil when it moved no price (a leader
	// raising their own maximum).
	Entry *Entry
	// Extended: the end moved (anti-sniping).
	Extended bool
}

// Place applies b to the auction (see the package doc). A refusal changes nothing:
// ErrNotRunning before the start, ErrClosed from the end on, *BidTooLowError below the next
// acceptable bid, ErrOwnBid for a leader bidding by hand, ErrInvalidBid for a malformed bid.
// step, if not nil, replaces the ladder (a business's own increments).
func (a *Auction) Place(b Bid, step func(price int64) int64) (Outcome, error) {
	if step == nil {
		step = a.Increments.StepAt
	}
	switch st := a.StatusAt(b.At); st {
	case Running:
	case Scheduled:
		return Outcome{}, errkind.WithDetail(ErrNotRunning, "the auction opens at %s", a.StartsAt.UTC().Format(time.RFC3339))
	default:
		return Outcome{}, errkind.WithDetail(ErrClosed, "the auction is %s", st)
	}
	proxy := b.Max > 0
	if b.Bidder == "" || (b.Amount > 0) == proxy || b.Amount < 0 || b.Max < 0 || b.Amount > MaxPrice || b.Max > MaxPrice {
		return Outcome{}, ErrInvalidBid
	}
	minNext := a.StartPrice
	if a.Bids > 0 {
		minNext = a.Current + step(a.Current)
	}
	x := max(b.Amount, b.Max)
	if b.Bidder == a.Leader && a.Bids > 0 {
		if !proxy {
			return Outcome{}, ErrOwnBid
		}
		if x < minNext || x <= a.LeaderMax {
			return Outcome{}, &BidTooLowError{MinNext: max(minNext, a.LeaderMax+1)}
		}
		a.LeaderMax = x
		return Outcome{Leading: true}, nil
	}
	if x < minNext {
		return Outcome{}, &BidTooLowError{MinNext: minNext}
	}
	ceiling := max(a.LeaderMax, a.Current) // what the leader's proxy allows
	var e Entry
	leading := false
	switch {
	case a.Bids == 0:
		e = Entry{Bidder: b.Bidder, Amount: b.Amount, Proxy: proxy}
		if proxy {
			e.Amount = a.StartPrice
		}
		a.LeaderMax, leading = b.Max, true
	case x > ceiling:
		e = Entry{Bidder: b.Bidder, Amount: b.Amount, Proxy: proxy}
		if proxy {
			e.Amount = max(minNext, min(x, ceiling+step(ceiling)))
		}
		a.LeaderMax, leading = b.Max, true
	default: // the leader's proxy covers it: the earlier proxy leads
		e = Entry{Bidder: a.Leader, Amount: x, Proxy: true}
		if up := x + step(x); up <= a.LeaderMax {
			e.Amount = up
		}
	}
	a.Bids++
	e.Seq, e.At = a.Bids, b.At
	a.Current, a.Leader = e.Amount, e.Bidder
	out := Outcome{Leading: leading, Entry: &e}
	if a.AntiSnipe > 0 && a.Extensions < a.MaxExtensions && !b.At.Before(a.ClosesAt.Add(-a.AntiSnipe)) {
		if end := b.At.Add(a.Extend); end.After(a.ClosesAt) {
			a.ClosesAt, out.Extended = end, true
			a.Extensions++
		}
	}
	return out, nil
}

// Settle decides an ended auction: sold to the leader when the reserve is met, else unsold.
func (a *Auction) Settle(now time.Time) (Status, error) {
	if st := a.StatusAt(now); st != Ended {
		return "", errkind.WithDetail(ErrNotSettleable, "the auction is %s", st)
	}
	a.Settled = Unsold
	if a.ReserveMet() {
		a.Settled = Sold
	}
	return a.Settled, nil
}

// Cancel calls the auction off before it is settled.
func (a *Auction) Cancel() error {
	if a.Settled != "" {
		return errkind.WithDetail(ErrNotSettleable, "the auction is %s", a.Settled)
	}
	a.Settled = Cancelled
	return nil
}

// MinNextOf reads the next acceptable bid from a refusal, if it carries one.
func MinNextOf(err error) (int64, bool) {
	var low *BidTooLowError
	if errors.As(err, &low) {
		return low.MinNext, true
	}
	return 0, false
}
