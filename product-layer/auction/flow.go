// Package auction is the auction flow: an operator puts one unit of a SKU up (reserved from stock
// while the auction runs), buyers pay a deposit and bid, by hand or by proxy, and at the end the
// unit is sold to the leader through a trade of flow auction at the winning price, their deposit
// credited, or it goes back to stock.
//
// How bids are ordered, and why it is safe. Bids go to the database in short transactions that
// lock the auction's row, apply the bids to the state in memory (capability/auction), in order,
// append their history entries and write the state back once, with each accepted bid's event and
// idempotency key. Nothing slow runs under the lock: the deposit is checked and a business's
// increment ladder (auction.bid_increment) is decided before it. On SQLite the database has one
// writer, so transactions are applied one after another; on MySQL the row lock (SELECT ... FOR
// UPDATE) queues the transactions of one auction and only those, from any number of trade nodes,
// since the lock is the database's. The loser of a race is answered with the price that beat it.
//
// Most bids of a rush are too low by the time they arrive; those are refused before any lock,
// from the node's own copy of the auction as it last committed (at most 250 ms old): a price only
// rises, so what was too low stays too low, and a bid the copy lets through is judged again on
// the locked row. The bids a node lets through meet at the auction's gate on the node: one that
// finds it free goes to the database at once, and those that come meanwhile wait and then go
// together, one transaction for the lot, applied in the order they came after each is judged again
// by what committed while it waited. A rush thus costs the database one lock and one commit per
// batch, not one per bid, and no bid queues on the row lock only to find itself outbid there. The
// gate only spares the database: the row lock alone orders the batches, so several nodes (each
// with its own gate) are as safe as one. A double submit (the same idempotency key while the
// first is placed) waits for the first on the node, and answers what it did.
//
// The end is decided on the server's clock, and by a durable timer: a bid at or after the close
// is refused, and the close timer settles the auction once, in one transaction (the winner's
// trade, the deposits, the stock, the events), whichever node runs it and however often it runs.
package auction

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Scenario names the auction flow: its trades, its business identities and its scripts' scope.
const Scenario identity.Scenario = "auction"

// Topics of the events the flow writes, keyed by the auction id (a sale's order events are
// keyed by its trade, as every trade's).
const (
	TopicBidAccepted      = "auction.bid_accepted"
	TopicExtended         = "auction.extended"
	TopicSettled          = "auction.settled"
	TopicUnsold           = "auction.unsold"
	TopicCancelled        = "auction.cancelled"
	TopicDepositPaid      = "auction.deposit_paid"
	TopicDepositForfeited = "auction.deposit_forfeited"
)

// Timer kinds.
const (
	// TimerClose settles an auction at its close (tenant/auctionID).
	TimerClose = "auction.close"
	// TimerUnpaid cancels a sale its buyer did not pay in time (tenant/tradeID).
	TimerUnpaid = "auction.unpaid"
	// TimerReview settles unsold an auction left for review that no operator decided in time
	// (tenant/auctionID).
	TimerReview = "auction.review"
)

// DepositPrefix starts the id of every deposit: the core hands their payments to this flow.
const DepositPrefix = "AD"

// Refund reasons of deposits.
const (
	ReasonOutbid    = "auction_lost"
	ReasonCancelled = "auction_cancelled"
	ReasonUnsold    = "auction_unsold"
)

// Lifecycle is the lifecycle of auction orders: a sale is paid, shipped, delivered and completed
// as any order, or cancelled when its buyer does not pay in time.
var Lifecycle = order.Standard

func init() {
	order.RegisterLifecycle(Scenario, Lifecycle)
	trade.RegisterStates(Scenario, states)
}

// The states of an auction trade's flow.
const (
	StateAwaitingPayment = "awaiting_payment"
	StatePaid            = "paid"
	StateCancelled       = "cancelled"
)

var states = trade.NewStates(StateAwaitingPayment, map[string][]string{
	StateAwaitingPayment: {StatePaid, StateCancelled},
}).Waits(StateAwaitingPayment, TimerUnpaid)

// Timers are the durable timers, with Move for the close that late bids push back.
type Timers interface {
	trade.Timers
	// Move sets an existing timer to a new due time (scheduling it if it does not exist).
	Move(ctx context.Context, kind, ref string, due time.Time) error
}

// Deps are the flow's collaborators.
type Deps struct {
	Tx          trade.Transactor
	Core        *trade.Core
	Auctions    auc.Store
	Deposits    auc.DepositStore
	Sales       auc.SaleStore
	Catalog     catalog.Store
	Inventory   *inventory.Service
	Orders      order.Repository
	Payments    payment.Store
	Outbox      trade.Outbox
	Timers      Timers
	Idempotency trade.Idempotency
	IDs         trade.IDs
	// Ext runs auction.bid_increment and auction.settle; nil runs the defaults.
	Ext extensions.Runtime
	// ReviewWindow is how long operators have to decide an auction auction.settle left for review,
	// from its close (a script may set its own); nil: DefaultReviewWindow. Read at each close.
	ReviewWindow func() time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// DefaultReviewWindow is the review window when none is configured.
const DefaultReviewWindow = 72 * time.Hour

// MaxReviewWindow bounds a review window, configured or a script's.
const MaxReviewWindow = 30 * 24 * time.Hour

// Flow runs auctions.
type Flow struct {
	d       Deps
	bidding *auc.Bidding
	// paid remembers the deposits this node saw paid (see depositPaid).
	paid      sync.Map
	paidCount atomic.Int64
	// recent holds each auction as this node last saw it committed (see recentAuction).
	recent sync.Map
	// gates holds each auction's turn among this node's bids on it (see gate).
	gates     sync.Map
	gateCount atomic.Int64
	// inflight holds the bids with an idempotency key this node is placing (see Bid).
	inflight sync.Map
	// Counts for BidStats.
	batches, batched, outbid atomic.Uint64
}

// BidStats reports the bid transactions this node ran, the bids they placed, and the bids it
// refused as outbid without the database, so that the average batch (bids per lock of an
// auction) and what the node spared the database can be watched.
func (f *Flow) BidStats() (batches, batched, outbid uint64) {
	return f.batches.Load(), f.batched.Load(), f.outbid.Load()
}

// New returns a Flow plugged into the core: it runs trades of scenario auction and takes the
// payments of deposits.
func New(d Deps) *Flow {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.ReviewWindow == nil {
		d.ReviewWindow = func() time.Duration { return DefaultReviewWindow }
	}
	f := &Flow{d: d, bidding: auc.NewBidding(d.Tx, d.Auctions)}
	d.Core.Register(f)
	d.Core.RegisterHolder(DepositPrefix, depositHolder{f})
	d.Core.OnRefundSettled(f.refundSettled)
	return f
}

// refundSettled runs as a refund is recorded paid: a credited deposit whose payment has gone back
// in full (an after-sale refunds the winner's sale: the price's payment first, then the deposit
// that counted toward it) is refunded, so that neither the bidder nor an operator reads it as
// money the sale kept.
func (f *Flow) refundSettled(ctx context.Context, r *payment.Refund) error {
	if !strings.HasPrefix(r.TradeID(), DepositPrefix) {
		return nil
	}
	d, err := f.d.Deposits.Lock(ctx, r.Tenant(), r.TradeID())
	if err != nil || d.Status != auc.DepositCredited {
		return err
	}
	p, err := f.d.Payments.Get(ctx, r.PaymentID())
	if err != nil {
		return err
	}
	back, err := f.d.Core.Refunded(ctx, p)
	if err != nil || back < d.Amount {
		return err
	}
	if err := d.Move(auc.DepositRefunded, f.d.Now()); err != nil {
		return err
	}
	return f.d.Deposits.Save(ctx, r.Tenant(), d)
}

// RegisterTimers registers the flow's timers with the node's queue.
func (f *Flow) RegisterTimers(register func(kind string, h func(ctx context.Context, ref string) error)) {
	register(TimerClose, f.closeDue)
	register(TimerUnpaid, f.unpaidDue)
	register(TimerReview, f.reviewDue)
}

// Scenario implements trade.Flow.
func (f *Flow) Scenario() identity.Scenario { return Scenario }

// States implements trade.Flow.
func (f *Flow) States() *trade.States { return states }

// Owes implements trade.Flow: the winning price less the deposit it credits, while the sale
// awaits payment.
func (f *Flow) Owes(ctx context.Context, t *order.Trade, purpose payment.Purpose, _ time.Time) (money.Amount, error) {
	if purpose != payment.Full {
		return money.Amount{}, errkind.WithDetail(payment.ErrInvalidPurpose, "an auction's sale is paid in full, less its deposit; not by %q", purpose)
	}
	owed := t.Payable()
	if owed.Minor() == 0 {
		return owed, nil
	}
	credit, err := f.Credit(ctx, t)
	if err != nil {
		return money.Amount{}, err
	}
	return money.New(max(0, owed.Minor()-credit.Minor()), owed.Currency()), nil
}

// Credit implements trade.Crediter: the deposit the sale credits toward its price.
func (f *Flow) Credit(ctx context.Context, t *order.Trade) (money.Amount, error) {
	s, err := f.d.Sales.SaleOf(ctx, t.Tenant(), t.ID())
	if err != nil {
		return money.Amount{}, err
	}
	return money.New(s.Credit, t.Total().Currency()), nil
}

// Collect implements trade.Flow: the full payment pays the sale; its stock is sold.
func (f *Flow) Collect(ctx context.Context, t *order.Trade, p *payment.Payment, now time.Time) (bool, error) {
	if p.Purpose() != payment.Full {
		return false, nil
	}
	paid, err := f.d.Core.MoveAll(ctx, t, order.PendingPayment, order.Paid, trade.TopicOrderPaid, p.ID(), now)
	if err != nil || len(paid) == 0 {
		return false, err
	}
	for _, o := range paid {
		if err := f.d.Inventory.Confirm(ctx, t.Tenant(), o.ID()); err != nil {
			return false, err
		}
	}
	if err := f.d.Timers.Cancel(ctx, TimerUnpaid, trade.TimerRef(t.Tenant(), t.ID())); err != nil {
		return false, err
	}
	_, err = f.d.Core.Advance(ctx, t.Tenant(), t.ID(), StatePaid)
	return err == nil, err
}

// Collected implements trade.Flow: the full payment paid the price less the deposit, and the
// deposit's payment the rest; refunds take from the full payment first.
func (f *Flow) Collected(ctx context.Context, t *order.Trade, o *order.Order) ([]trade.Collected, error) {
	s, err := f.d.Sales.SaleOf(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	ps, err := f.d.Payments.ByTrade(ctx, t.Tenant(), t.ID())
	if err != nil {
		return nil, err
	}
	var out []trade.Collected
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Status() == payment.Succeeded && ps[i].Purpose() == payment.Full {
			out = append(out, trade.Collected{Payment: ps[i], Amount: o.Total().Minor() - s.Credit})
			break
		}
	}
	if s.Credit > 0 {
		d, err := f.d.Deposits.Get(ctx, t.Tenant(), s.AuctionID, s.Bidder)
		if err != nil {
			return nil, err
		}
		p, err := f.d.Payments.Get(ctx, d.PaymentID)
		if err != nil {
			return nil, err
		}
		out = append(out, trade.Collected{Payment: p, Amount: s.Credit})
	}
	return out, nil
}

func auctionRef(tenant, id string) string { return trade.TimerRef(tenant, id) }
