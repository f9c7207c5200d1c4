package auction

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
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

// gate is an auction's turn among this node's bids on it: a bid that finds it free goes to the
// database at once; the bids that come meanwhile wait, and go together when it ends, in one
// transaction that applies them in the order they came (auc.Bidding.PlaceAll). In a rush that is
// one lock, one write of the auction and one commit for many bids, most of which the bids ahead
// of them outbid (refused in memory), instead of a queue on the row lock with a transaction each.
// It is an optimization, not the ordering: the auction's row lock orders the batches, of one node
// or many, so a gate forgotten (see maxGates) or never taken is safe.
type gate struct {
	mu    sync.Mutex
	busy  bool       // a batch is being placed
	queue []*pending // the bids waiting for the next, first come first served
}

// pending is a bid at the gate. The batch that places it sets after and err, then closes done;
// turn is closed to hand it the gate: it places the next batch.
type pending struct {
	p              *auc.Placement
	judge          func() error
	turn, done     chan struct{}
	after          *auc.Auction
	err            error
	granted, taken bool
}

// maxBatch bounds the bids one transaction places.
const maxBatch = 128

// batchTimeout bounds a batch's transaction: it places other callers' bids, so it does not end
// with the caller that runs it.
const batchTimeout = 5 * time.Second

// errBatchFailed is the answer to the bids of a batch whose placing broke off.
var errBatchFailed = errors.New("auction: the batch of bids failed")

// place places me, judged first by its judge (whose refusal it returns), alone or in the batch
// it waits for: the auction as its batch left it, or the batch's failure. run places a batch.
func (g *gate) place(ctx context.Context, me *pending, run func(context.Context, []*auc.Placement) (*auc.Auction, error)) (*auc.Auction, error) {
	if err := me.judge(); err != nil {
		return nil, err
	}
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return g.lead(ctx, me, false, run)
	}
	me.turn, me.done = make(chan struct{}), make(chan struct{})
	g.queue = append(g.queue, me)
	g.mu.Unlock()
	select {
	case <-me.turn:
		return g.lead(ctx, me, true, run)
	case <-me.done:
		return me.after, me.err
	case <-ctx.Done():
	}
	g.mu.Lock()
	switch {
	case me.taken: // in a batch already: its answer comes
		g.mu.Unlock()
		<-me.done
		return me.after, me.err
	case me.granted: // handed the gate: hand it on, placing nothing
		g.mu.Unlock()
		g.finish()
	default:
		g.queue = slices.DeleteFunc(g.queue, func(q *pending) bool { return q == me })
		g.mu.Unlock()
	}
	return nil, fmt.Errorf("waiting for the turn to bid: %w", ctx.Err())
}

// lead places me and the bids waiting behind it (up to maxBatch) in one batch, answers them, and
// hands the gate to the next bid waiting. Each bid that waited (me too, if it did) is judged again
// first, by what committed meanwhile: those outbid are answered at once, and a batch they all
// were is never placed.
func (g *gate) lead(ctx context.Context, me *pending, waited bool, run func(context.Context, []*auc.Placement) (*auc.Auction, error)) (*auc.Auction, error) {
	g.mu.Lock()
	n := min(len(g.queue), maxBatch-1)
	batch := append([]*pending{me}, g.queue[:n]...)
	g.queue = g.queue[n:]
	for _, q := range batch[1:] {
		q.taken = true
	}
	g.mu.Unlock()
	var (
		live   []*pending
		after  *auc.Auction
		err    error
		placed bool
	)
	defer func() {
		if !placed { // judging or placing panicked: no answer of it stands
			after, err = nil, errBatchFailed
		}
		for _, q := range batch[1:] {
			if q.err == nil { // not answered already as outbid
				q.after, q.err = after, err
				close(q.done)
			}
		}
		g.finish()
	}()
	for _, q := range batch {
		if q == me && !waited {
			live = append(live, q) // judged just now, in place
			continue
		}
		if q.err = q.judge(); q.err != nil {
			if q != me {
				close(q.done)
			}
			continue
		}
		live = append(live, q)
	}
	if len(live) > 0 {
		ps := make([]*auc.Placement, len(live))
		for i, q := range live {
			ps[i] = q.p
		}
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
		defer cancel()
		after, err = run(bctx, ps)
	}
	placed = true
	if me.err != nil {
		return nil, me.err
	}
	return after, err
}

// finish hands the gate to the first bid waiting, or frees it.
func (g *gate) finish() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.busy = false
		return
	}
	next := g.queue[0]
	g.queue = g.queue[1:]
	next.granted = true
	close(next.turn)
}

// gateOf is auction id's gate on this node.
func (f *Flow) gateOf(tenant, id string) *gate {
	key := tenant + "\x00" + id
	if g, ok := f.gates.Load(key); ok {
		return g.(*gate)
	}
	if f.gateCount.Add(1) > maxGates { // a bound, not a policy: start over
		f.gates.Clear()
		f.gateCount.Store(0)
	}
	g, _ := f.gates.LoadOrStore(key, &gate{})
	return g.(*gate)
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
		[]errkind.FieldError{{Field: "minNextBid", Code: "min", Message: strconv.FormatInt(next, 10),
			Amount: errkind.Amount{Minor: next, Currency: currency}}})
}

// errReplayed withdraws a bid whose idempotency key another request claimed first.
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
	ident, err := identity.New(tenant, "", Scenario)
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
