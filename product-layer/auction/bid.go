package auction

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/capability/money"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

const (
	scopeDeposit = "auction.deposit"
	scopeBid     = "auction.bid"
)

// View is an auction as someone sees it: the flow's answer; the access layer shows a buyer
// neither the reserve nor other bidders' maxima.
type View struct {
	Auction    *auc.Auction
	Status     auc.Status
	MinNext    int64
	ReserveMet bool
	// Leading and Deposit are the viewer's (a buyer's): whether they lead, and their deposit.
	Leading bool
	Deposit *auc.Deposit
}

// View returns auction id as actor a sees it at the server's clock.
func (f *Flow) View(ctx context.Context, tenant string, a trade.Actor, id string) (View, error) {
	if err := a.Validate(); err != nil {
		return View{}, err
	}
	x, err := f.d.Auctions.Get(ctx, tenant, id)
	if err != nil {
		return View{}, err
	}
	v := View{Auction: x, Status: x.StatusAt(f.d.Now()), MinNext: x.MinNext(), ReserveMet: x.ReserveMet()}
	if a.Kind == trade.ActorBuyer {
		v.Leading = x.Bids > 0 && x.Leader == a.ID
		if d, err := f.d.Deposits.Get(ctx, tenant, id, a.ID); err == nil {
			v.Deposit = &d
		} else if !errors.Is(err, auc.ErrDepositNotFound) {
			return View{}, err
		}
	}
	return v, nil
}

// History is an auction and its accepted bids, newest first.
func (f *Flow) History(ctx context.Context, tenant, id string, before int64, limit int) (*auc.Auction, []auc.Entry, error) {
	x, err := f.d.Auctions.Get(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	es, err := f.d.Auctions.History(ctx, tenant, id, before, limit)
	return x, es, err
}

// DepositRequest is a buyer paying an auction's deposit, and where the unit goes if they win.
type DepositRequest struct {
	Tenant         string
	Actor          trade.Actor
	AuctionID      string
	Method         string
	ShipTo         order.Address
	IdempotencyKey string
}

// PayDeposit makes the payment of a buyer's deposit on an auction that has not closed: their
// deposit record, pending until the payment succeeds, and the payment's intent (the same one
// while it is pending). A paid deposit is answered as it is.
func (f *Flow) PayDeposit(ctx context.Context, cmd DepositRequest) (*auc.Deposit, *payment.Payment, error) {
	if cmd.Actor.Kind != trade.ActorBuyer {
		return nil, nil, errkind.WithDetail(errkind.ErrForbidden, "only a buyer pays a deposit")
	}
	if err := cmd.Actor.Validate(); err != nil {
		return nil, nil, err
	}
	x, err := f.d.Auctions.Get(ctx, cmd.Tenant, cmd.AuctionID)
	if err != nil {
		return nil, nil, err
	}
	if st := x.StatusAt(f.d.Now()); st != auc.Scheduled && st != auc.Running {
		return nil, nil, errkind.WithDetail(auc.ErrClosed, "the auction is %s", st)
	}
	shipTo, err := order.NormalizeAddress(cmd.ShipTo)
	if err != nil {
		return nil, nil, err
	}
	now := f.d.Now()
	d, _, err := f.d.Deposits.Create(ctx, cmd.Tenant, auc.Deposit{ID: f.d.IDs.NextString(DepositPrefix), AuctionID: x.ID, Bidder: cmd.Actor.ID,
		Amount: x.Deposit, Currency: x.Currency, Status: auc.DepositPending, ShipTo: shipTo, UpdatedAt: now})
	if err != nil {
		return nil, nil, err
	}
	if d.Status != auc.DepositPending {
		var p *payment.Payment
		if d.PaymentID != "" {
			if p, err = f.d.Payments.Get(ctx, d.PaymentID); err != nil {
				return nil, nil, err
			}
		}
		return &d, p, nil
	}
	p, err := f.d.Core.CreateHeldPayment(ctx, trade.HeldPayment{Tenant: cmd.Tenant, UserID: cmd.Actor.ID, HolderID: d.ID, Method: cmd.Method,
		Purpose: payment.Deposit, Amount: money.New(d.Amount, money.MustCurrency(d.Currency)), IdempotencyKey: cmd.IdempotencyKey})
	if err != nil {
		return nil, nil, err
	}
	return &d, p, nil
}

// depositHolder takes the payments of deposits.
type depositHolder struct{ f *Flow }

// Collect implements trade.Holder: a deposit still pending, on an auction still open, is paid; any
// other money (a second payment, or one for an auction that closed meanwhile) is owed back.
func (h depositHolder) Collect(ctx context.Context, p *payment.Payment, now time.Time) (bool, error) {
	d, err := h.f.d.Deposits.Lock(ctx, p.Tenant(), p.TradeID())
	if err != nil {
		return false, err
	}
	if d.Status != auc.DepositPending || p.Purpose() != payment.Deposit || p.Amount().Minor() != d.Amount {
		return false, nil
	}
	x, err := h.f.d.Auctions.Get(ctx, p.Tenant(), d.AuctionID)
	if err != nil {
		return false, err
	}
	if st := x.StatusAt(now); st != auc.Scheduled && st != auc.Running {
		return false, nil
	}
	if err := d.Move(auc.DepositPaid, now); err != nil {
		return false, err
	}
	d.PaymentID = p.ID()
	if err := h.f.d.Deposits.Save(ctx, p.Tenant(), d); err != nil {
		return false, err
	}
	return true, h.f.emitDeposit(ctx, p.Tenant(), TopicDepositPaid, d, now)
}

// BidRequest is a buyer's bid: Amount by hand, or Max for a proxy.
type BidRequest struct {
	Tenant      string
	Actor       trade.Actor
	AuctionID   string
	Amount, Max int64
	// Currency, if set, is what the buyer's amounts are in: it must be the auction's.
	Currency       string
	IdempotencyKey string
}

// BidResult is the answer to a bid.
type BidResult struct {
	Accepted, Leading bool
	// Current and MinNext are in Currency, the auction's.
	Current, MinNext int64
	Currency         string
	// Replayed: the answer an earlier request with the same key got.
	Replayed bool
}

func (r BidResult) ref() string {
	return fmt.Sprintf("bid:%t:%t:%d:%d:%s", r.Accepted, r.Leading, r.Current, r.MinNext, r.Currency)
}

func parseBidRef(ref string) (BidResult, bool) {
	parts := strings.Split(ref, ":")
	if len(parts) != 6 || parts[0] != "bid" {
		return BidResult{}, false
	}
	cur, err1 := strconv.ParseInt(parts[3], 10, 64)
	next, err2 := strconv.ParseInt(parts[4], 10, 64)
	return BidResult{Accepted: parts[1] == "true", Leading: parts[2] == "true", Current: cur, MinNext: next, Currency: parts[5],
		Replayed: true}, err1 == nil && err2 == nil
}

// Bid places a buyer's bid. A refusal is an error with a stable code (auction.not_running,
// auction.closed, auction.deposit_required, auction.own_bid, auction.bid_too_low naming the
// next acceptable bid in its minNextBid field) and changes nothing; the same idempotency key
// with the same bid answers what the first one did.
func (f *Flow) Bid(ctx context.Context, cmd BidRequest) (BidResult, error) {
	if cmd.Actor.Kind != trade.ActorBuyer {
		return BidResult{}, errkind.WithDetail(errkind.ErrForbidden, "only a buyer bids")
	}
	if err := cmd.Actor.Validate(); err != nil {
		return BidResult{}, err
	}
	if err := trade.ValidateKey(cmd.IdempotencyKey); err != nil {
		return BidResult{}, err
	}
	if (cmd.Amount > 0) == (cmd.Max > 0) || cmd.Amount < 0 || cmd.Max < 0 {
		return BidResult{}, errkind.WithDetail(auc.ErrInvalidBid, "give amount (a bid) or maxAmount (a proxy's maximum), a positive number of minor units")
	}
	hash := trade.RequestHash([]any{cmd.AuctionID, cmd.Amount, cmd.Max})
	if cmd.IdempotencyKey != "" {
		ref, found, err := f.d.Idempotency.Lookup(ctx, cmd.Tenant, cmd.Actor.ID, scopeBid, cmd.IdempotencyKey, hash)
		if err != nil {
			return BidResult{}, err
		}
		if r, ok := parseBidRef(ref); found && ok {
			return r, nil
		}
	}
	x, err := f.recentAuction(ctx, cmd.Tenant, cmd.AuctionID)
	if err != nil {
		return BidResult{}, err
	}
	if cmd.Currency != "" && cmd.Currency != x.Currency {
		return BidResult{}, errkind.WithDetail(auc.ErrInvalidBid, "auction %s is in %s, not %s", x.ID, x.Currency, cmd.Currency)
	}
	switch st := x.StatusAt(f.d.Now()); st { // the bid's transaction checks again, on the locked row
	case auc.Running:
	case auc.Scheduled:
		return BidResult{}, errkind.WithDetail(auc.ErrNotRunning, "the auction opens at %s", x.StartsAt.UTC().Format(time.RFC3339))
	default:
		return BidResult{}, errkind.WithDetail(auc.ErrClosed, "the auction is %s", st)
	}
	if err := f.depositPaid(ctx, cmd.Tenant, x, cmd.Actor.ID); err != nil {
		return BidResult{}, err
	}
	ladder, err := f.ladder(ctx, cmd.Tenant, x, cmd.Actor.ID)
	if err != nil {
		return BidResult{}, err
	}
	// A price only rises: a bid below the next acceptable one of a committed state is below it for
	// good, so it is refused without taking the auction's lock (most of a last-seconds rush). A
	// stale read only sends more bids to the lock, never refuses a good one.
	next := x.StartPrice
	if x.Bids > 0 {
		next = x.Current + ladder.StepAt(x.Current)
	}
	if max(cmd.Amount, cmd.Max) < next {
		return BidResult{}, tooLow(next, x.Currency)
	}
	// Bids this node lets through take turns on the auction (a node-local gate), and each is judged
	// again by what the ones ahead of it committed: in a rush, one bid goes to the database and the
	// others it outbid are refused here as it commits, instead of queueing on the row lock only to
	// find themselves too low there. Across nodes the row lock still orders them.
	release, err := f.gate(ctx, cmd.Tenant, cmd.AuctionID)
	if err != nil {
		return BidResult{}, err
	}
	defer release()
	if x, err = f.recentAuction(ctx, cmd.Tenant, cmd.AuctionID); err != nil {
		return BidResult{}, err
	}
	if x.Bids > 0 {
		next = x.Current + ladder.StepAt(x.Current)
	}
	if max(cmd.Amount, cmd.Max) < next {
		return BidResult{}, tooLow(next, x.Currency)
	}
	var res BidResult
	_, after, err := f.bidding.Place(ctx, cmd.Tenant, cmd.AuctionID, auc.Bid{Bidder: cmd.Actor.ID, Amount: cmd.Amount, Max: cmd.Max, At: f.d.Now()},
		ladder.StepAt, func(ctx context.Context, out auc.Outcome, a *auc.Auction) error {
			res = BidResult{Accepted: true, Leading: out.Leading, Current: a.Current, MinNext: a.Current + ladder.StepAt(a.Current),
				Currency: a.Currency}
			if cmd.IdempotencyKey != "" {
				prev, found, err := f.d.Idempotency.Claim(ctx, cmd.Tenant, cmd.Actor.ID, scopeBid, cmd.IdempotencyKey, hash, res.ref())
				if err != nil {
					return err
				}
				if found {
					res, _ = parseBidRef(prev)
					return errReplayed
				}
			}
			return f.emitBid(ctx, cmd.Tenant, a, out)
		})
	f.remember(cmd.Tenant, after) // committed, or the locked row that refused the bid
	switch {
	case errors.Is(err, errReplayed):
		return res, nil
	case err != nil:
		if next, ok := auc.MinNextOf(err); ok {
			return BidResult{}, tooLow(next, after.Currency)
		}
		return BidResult{}, err
	}
	return res, nil
}

// gate waits for the turn of a bid on auction id among this node's bids on it, and returns what
// ends the turn. It is an optimization, not the ordering: the auction's row lock orders bids, on
// one node or many, so a gate forgotten (see maxGates) or never taken is safe.
func (f *Flow) gate(ctx context.Context, tenant, id string) (func(), error) {
	key := tenant + "\x00" + id
	g, ok := f.gates.Load(key)
	if !ok {
		if f.gateCount.Add(1) > maxGates { // a bound, not a policy: start over
			f.gates.Clear()
			f.gateCount.Store(0)
		}
		g, _ = f.gates.LoadOrStore(key, make(chan struct{}, 1))
	}
	turn := g.(chan struct{})
	select {
	case turn <- struct{}{}:
		return func() { <-turn }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("auction %s: waiting for the turn to bid: %w", id, ctx.Err())
	}
}

// maxGates bounds the auctions a node keeps a gate for.
const maxGates = 1 << 16

// recentTTL is how long a node judges bids by an auction it read or bid on itself, without
// reading it again.
const recentTTL = 250 * time.Millisecond

type recent struct {
	a  auc.Auction
	at time.Time
}

// recentAuction is auction id as this node last saw it committed, if that was within recentTTL
// and it was running then, else as the database has it now. It is what a bid is judged by before
// the auction is locked: its price is never above the committed one (prices only rise, and a node
// remembers only what committed), so a bid it refuses as too low is too low; a bid it lets
// through is judged again on the locked row. An auction that may have closed is always read
// afresh, so that no bid is told "closed" by a stale copy.
func (f *Flow) recentAuction(ctx context.Context, tenant, id string) (*auc.Auction, error) {
	key := tenant + "\x00" + id
	if v, ok := f.recent.Load(key); ok {
		r := v.(*recent)
		if time.Since(r.at) < recentTTL && r.a.StatusAt(f.d.Now()) == auc.Running {
			a := r.a
			return &a, nil
		}
	}
	x, err := f.d.Auctions.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	f.remember(tenant, x)
	return x, nil
}

// remember keeps x, committed, as this node's recent copy of it.
func (f *Flow) remember(tenant string, x *auc.Auction) {
	if x == nil {
		return
	}
	f.recent.Store(tenant+"\x00"+x.ID, &recent{a: *x, at: time.Now()})
}

// depositPaid checks that bidder's deposit on x is paid. A paid deposit stays paid while the
// auction runs (it is refunded, credited or forfeited only once the auction is settled or called
// off, and then bids are refused by the auction's own status), so a node remembers the deposits
// it saw paid and reads each once: a bid in a last-seconds rush reads one row fewer.
func (f *Flow) depositPaid(ctx context.Context, tenant string, x *auc.Auction, bidder string) error {
	key := tenant + "\x00" + x.ID + "\x00" + bidder
	if _, ok := f.paid.Load(key); ok {
		return nil
	}
	d, err := f.d.Deposits.Get(ctx, tenant, x.ID, bidder)
	if errors.Is(err, auc.ErrDepositNotFound) || err == nil && !d.Paid() {
		return errkind.WithDetail(auc.ErrDepositNeeded, "pay the deposit of %s first", money.New(x.Deposit, money.MustCurrency(x.Currency)))
	}
	if err != nil {
		return err
	}
	if f.paidCount.Add(1) > maxPaidRemembered { // a bound, not a policy: start over
		f.paid.Clear()
		f.paidCount.Store(0)
	}
	f.paid.Store(key, struct{}{})
	return nil
}

// maxPaidRemembered bounds the deposits a node remembers as paid.
const maxPaidRemembered = 1 << 20

// tooLow is the refusal of a bid below next, naming it in the minNextBid field.
func tooLow(next int64, currency string) error {
	return errkind.WithFields(auc.ErrBidTooLow, fmt.Sprintf("the next bid must be at least %s", money.New(next, money.MustCurrency(currency))),
		[]errkind.FieldError{{Field: "minNextBid", Code: "min", Message: strconv.FormatInt(next, 10)}})
}

// errReplayed rolls back a bid whose idempotency key another request claimed first.
var errReplayed = errors.New("auction: bid replayed")

// IncrementInput is the input of auction.bid_increment.
type IncrementInput struct {
	AuctionID  string     `json:"auctionId"`
	SKUID      string     `json:"skuId"`
	Currency   string     `json:"currency"`
	StartPrice int64      `json:"startPrice"`
	Current    int64      `json:"current"`
	Bids       int64      `json:"bids"`
	Increments []StepView `json:"increments"`
}

// StepView is one rung of a ladder in the point's input and output.
type StepView struct {
	From int64 `json:"from"`
	Step int64 `json:"step"`
}

// IncrementOutput is the ladder the business wants.
type IncrementOutput struct {
	Increments []StepView `json:"increments"`
}

// IncrementPoint lets a business set its own ladder of increments (finer steps for cheap lots,
// coarser for a charity gala). The ladder is decided before the bid locks the auction, from the
// auction as it stood; a script that cannot run leaves the auction's own ladder.
var IncrementPoint = extensions.Declare(extensions.Spec[IncrementInput, IncrementOutput]{
	Name:   "auction.bid_increment",
	Doc:    "Set the ladder of bid increments ({from, step}, rising by from). Default: the auction's own ladder.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in IncrementInput) (IncrementOutput, error) {
		return IncrementOutput{Increments: in.Increments}, nil
	},
	Check: func(in IncrementInput, out IncrementOutput) error {
		return ladderOf(out.Increments).Validate(in.StartPrice)
	},
})

func ladderOf(steps []StepView) auc.Ladder {
	l := make(auc.Ladder, len(steps))
	for i, s := range steps {
		l[i] = auc.Step{From: s.From, Step: s.Step}
	}
	return l
}

// ladder is the increments a bid on x is judged by: the business's, or the auction's own.
func (f *Flow) ladder(ctx context.Context, tenant string, x *auc.Auction, userID string) (auc.Ladder, error) {
	ident, err := identity.New(tenant, "", identity.Auction)
	if err != nil {
		return nil, err
	}
	in := IncrementInput{AuctionID: x.ID, SKUID: x.SKUID, Currency: x.Currency, StartPrice: x.StartPrice, Current: x.Current, Bids: x.Bids}
	for _, s := range x.Increments {
		in.Increments = append(in.Increments, StepView{From: s.From, Step: s.Step})
	}
	out, err := IncrementPoint.Run(ctx, f.d.Ext, extensions.Call{Identity: ident, UserID: userID}, in)
	if err != nil {
		return nil, err
	}
	return ladderOf(out.Increments), nil
}
