package auction

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
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

// List lists a tenant's auctions for its operators, the latest to open first, as they stand now.
func (f *Flow) List(ctx context.Context, tenant string, filter auc.Filter, limit int, cursor string) ([]View, string, error) {
	if err := filter.Validate(); err != nil {
		return nil, "", err
	}
	now := f.d.Now()
	as, next, err := f.d.Auctions.List(ctx, tenant, filter, now, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	vs := make([]View, len(as))
	for i, x := range as {
		vs[i] = View{Auction: x, Status: x.StatusAt(now), MinNext: x.MinNext(), ReserveMet: x.ReserveMet()}
	}
	return vs, next, nil
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
	if cmd.IdempotencyKey == "" {
		return f.bid(ctx, cmd, hash)
	}
	// A request with the same key in flight on this node (a double submit) is waited for: if it
	// was accepted, its answer is this one's; if not, this one is judged on its own.
	key := cmd.Tenant + "\x00" + cmd.Actor.ID + "\x00" + cmd.IdempotencyKey
	me := &flight{hash: hash, done: make(chan struct{})}
	for {
		v, loaded := f.inflight.LoadOrStore(key, me)
		if !loaded {
			break
		}
		first := v.(*flight)
		select {
		case <-first.done:
		case <-ctx.Done():
			return BidResult{}, fmt.Errorf("waiting for the bid with the same idempotency key: %w", ctx.Err())
		}
		if first.res.Accepted {
			if first.hash != hash {
				return BidResult{}, errkind.ErrIdempotencyConflict
			}
			r := first.res
			r.Replayed = true
			return r, nil
		}
	}
	defer func() {
		f.inflight.Delete(key)
		close(me.done)
	}()
	res, err := f.bid(ctx, cmd, hash)
	if errors.Is(err, auc.ErrOwnBid) || errors.Is(err, auc.ErrBidTooLow) && f.leads(ctx, cmd.Tenant, cmd.AuctionID, cmd.Actor.ID) {
		// The same request may have been placed on another node since this one looked its key
		// up, and have made its bidder the leader this bid was refused by: the key's claim
		// committed with it. Its answer is this one's. (Only then: most refused bids in a rush
		// are outbid by others, and read nothing more.)
		if ref, found, lerr := f.d.Idempotency.Lookup(ctx, cmd.Tenant, cmd.Actor.ID, scopeBid, cmd.IdempotencyKey, hash); lerr != nil {
			return BidResult{}, lerr
		} else if r, ok := parseBidRef(ref); found && ok {
			res, err = r, nil
		}
	}
	if err == nil {
		me.res = res
	}
	return res, err
}

// leads reports whether bidder leads auction id as this node last saw it committed.
func (f *Flow) leads(ctx context.Context, tenant, id, bidder string) bool {
	x, err := f.recentAuction(ctx, tenant, id)
	return err == nil && x.Bids > 0 && x.Leader == bidder
}

// flight is a bid with an idempotency key while this node places it.
type flight struct {
	hash string
	done chan struct{}
	res  BidResult // when accepted
}

// bid places a validated bid whose request hash is hash.
func (f *Flow) bid(ctx context.Context, cmd BidRequest, hash string) (BidResult, error) {
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
	judge := func() error {
		x, err := f.recentAuction(ctx, cmd.Tenant, cmd.AuctionID)
		if err != nil {
			return err
		}
		next := x.StartPrice
		if x.Bids > 0 {
			next = x.Current + ladder.StepAt(x.Current)
		}
		if max(cmd.Amount, cmd.Max) < next {
			f.outbid.Add(1)
			return tooLow(next, x.Currency)
		}
		return nil
	}
	// The bids a node lets through wait for the auction's gate, and go to the database together:
	// see gate.
	var res BidResult
	me := &pending{judge: judge, p: &auc.Placement{Bid: auc.Bid{Bidder: cmd.Actor.ID, Amount: cmd.Amount, Max: cmd.Max}, Step: ladder.StepAt,
		Also: func(ctx context.Context, out auc.Outcome, a *auc.Auction) error {
			res = BidResult{Accepted: true, Leading: out.Leading, Current: a.Current, MinNext: a.Current + ladder.StepAt(a.Current),
				Currency: a.Currency}
			if cmd.IdempotencyKey != "" {
				prev, found, err := f.d.Idempotency.Claim(ctx, cmd.Tenant, cmd.Actor.ID, scopeBid, cmd.IdempotencyKey, hash, res.ref())
				switch {
				case errors.Is(err, errkind.ErrIdempotencyConflict):
					return auc.Withdraw(err)
				case err != nil:
					return err
				case found:
					res, _ = parseBidRef(prev)
					return auc.Withdraw(errReplayed)
				}
			}
			return f.emitBid(ctx, cmd.Tenant, a, out)
		}}}
	after, err := f.gateOf(cmd.Tenant, cmd.AuctionID).place(ctx, me, func(ctx context.Context, batch []*auc.Placement) (*auc.Auction, error) {
		now := f.d.Now() // the bids are ordered now, on the server's clock
		for _, p := range batch {
			p.Bid.At = now
		}
		f.batches.Add(1)
		f.batched.Add(uint64(len(batch)))
		after, err := f.bidding.PlaceAll(ctx, cmd.Tenant, cmd.AuctionID, batch, now, f.moveClose(cmd.Tenant))
		f.remember(cmd.Tenant, after) // committed: what the bids waiting next are judged by
		return after, err
	})
	switch {
	case err != nil:
		return BidResult{}, err
	case errors.Is(me.p.Err, errReplayed):
		return res, nil
	case me.p.Err != nil:
		if next, ok := auc.MinNextOf(me.p.Err); ok {
			return BidResult{}, tooLow(next, after.Currency)
		}
		return BidResult{}, me.p.Err
	}
	return res, nil
}

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

// maxPaidRemembered bounds the deposits a node remembers as paid.
const maxPaidRemembered = 1 << 20

// tooLow is the refusal of a bid below next, naming it in the minNextBid field.
func tooLow(next int64, currency string) error {
	return errkind.WithFields(auc.ErrBidTooLow, fmt.Sprintf("the next bid must be at least %s", money.New(next, money.MustCurrency(currency))),
		[]errkind.FieldError{{Field: "minNextBid", Code: "min", Message: strconv.FormatInt(next, 10),
			Amount: errkind.Amount{Minor: next, Currency: currency}}})
}

// errReplayed withdraws a bid whose idempotency key another request claimed first.
var errReplayed = errors.New("auction: bid replayed")
