package auction

import (
	"context"
	"errors"
	"fmt"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
	"github.com/atriumtrade/atrium/capability/pricing"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TopicSecondChance: the unit offered to the runner-up after the winner did not pay.
const TopicSecondChance = "auction.second_chance"

// SettleInput is the input of auction.settle.
type SettleInput struct {
	AuctionID    string `json:"auctionId"`
	SKUID        string `json:"skuId"`
	Currency     string `json:"currency"`
	Price        int64  `json:"price"`
	ReservePrice int64  `json:"reservePrice"`
	ReserveMet   bool   `json:"reserveMet"`
	Bids         int64  `json:"bids"`
	Leader       string `json:"leader"`
}

// SettleOutput is what auction.settle decides: sell (to the leader, at the price), unsold, or
// review (an operator decides, POST /admin/v1/auctions/{id}/decide). An auction left for review
// that no operator decides within ReviewSeconds of its close (0: the platform's review window)
// is settled unsold: the bidders' deposits are not held indefinitely.
type SettleOutput struct {
	Decision      string `json:"decision"`
	ReviewSeconds int64  `json:"reviewSeconds,omitempty"`
}

// The decisions of auction.settle.
const (
	DecisionSell   = "sell"
	DecisionUnsold = "unsold"
	DecisionReview = "review"
)

// TopicReviewRequired: a business's rule left an ended auction for an operator to decide.
const TopicReviewRequired = "auction.review_required"

// SettlePoint lets a business decide an auction's end its own way: sell below the reserve at the
// seller's discretion, or keep a lot unsold. A script that cannot run leaves the reserve's
// verdict.
var SettlePoint = extensions.Declare(extensions.Spec[SettleInput, SettleOutput]{
	Name:   "auction.settle",
	Doc:    "Decide an ended auction: sell to the leader at the price, or unsold. Default: sell when the reserve is met.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in SettleInput) (SettleOutput, error) {
		if in.ReserveMet {
			return SettleOutput{Decision: DecisionSell}, nil
		}
		return SettleOutput{Decision: DecisionUnsold}, nil
	},
	Check: func(in SettleInput, out SettleOutput) error {
		switch {
		case out.Decision == DecisionSell && in.Bids == 0:
			return errkind.Invalidf("nothing to sell: nobody bid")
		case out.Decision != DecisionSell && out.Decision != DecisionUnsold && out.Decision != DecisionReview:
			return errkind.Invalidf("decision must be sell, unsold or review")
		case out.ReviewSeconds < 0 || out.ReviewSeconds > int64(MaxReviewWindow/time.Second):
			return errkind.Invalidf("reviewSeconds must be 0 (the platform's window) to %d", int64(MaxReviewWindow/time.Second))
		case out.ReviewSeconds > 0 && out.Decision != DecisionReview:
			return errkind.Invalidf("reviewSeconds goes with decision review")
		}
		return nil
	},
})

// errNotClosed is a close timer that fired before the auction's close (another node's clock, or an
// extension not yet seen): the timer runs again.
var errNotClosed = errors.New("auction: not closed yet")

// closeDue is the close timer: it settles the auction once it has closed.
func (f *Flow) closeDue(ctx context.Context, ref string) error {
	tenant, id, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	_, err = f.settle(ctx, tenant, id, "")
	return err
}

// reviewDue is the review window's timer: an auction left for review that no operator decided is
// settled unsold (every deposit refunded, the unit back in stock).
func (f *Flow) reviewDue(ctx context.Context, ref string) error {
	tenant, id, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	_, err = f.settle(ctx, tenant, id, decisionReviewExpired)
	return err
}

// decisionReviewExpired is settle's decision when the review window ends undecided: unsold.
const decisionReviewExpired = "review_expired"

// Settle decides a closed auction as its rules say; see settle.
func (f *Flow) Settle(ctx context.Context, tenant, id string) (*auc.Auction, error) {
	return f.settle(ctx, tenant, id, "")
}

// ErrInvalidDecision is an operator's decision that is neither sell nor unsold.
var ErrInvalidDecision = errkind.New(errkind.Invalid, "auction.invalid_decision", "decide sell or unsold")

// Decide settles an ended auction its business's rule left for review, as an operator decides:
// sell (to the leader, at the price) or unsold.
func (f *Flow) Decide(ctx context.Context, tenant string, a trade.Actor, id, decision string) (*auc.Auction, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	if decision != DecisionSell && decision != DecisionUnsold {
		return nil, errkind.WithDetail(ErrInvalidDecision, "decision must be sell or unsold")
	}
	x, err := f.d.Auctions.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if st := x.StatusAt(f.d.Now()); st != auc.Ended {
		return nil, errkind.WithDetail(auc.ErrNotSettleable, "the auction is %s", st)
	}
	if decision == DecisionSell && x.Bids == 0 {
		return nil, errkind.WithDetail(ErrInvalidDecision, "nobody bid: nothing to sell")
	}
	return f.settle(ctx, tenant, id, decision)
}

// settle decides a closed auction, once, in one transaction: sold (as decided, else as
// auction.settle decides; by default when the reserve is met), the leader gets a trade of flow
// auction at the winning price, payable within the pay window, with their deposit credited and
// the unit the auction held; every other paid deposit is refunded through its provider. Unsold,
// every deposit is refunded and the unit goes back to stock. Left for review, it stays ended until
// an operator decides, or until the review window ends (then unsold). Settling a settled auction
// changes nothing.
func (f *Flow) settle(ctx context.Context, tenant, id, decided string) (*auc.Auction, error) {
	peek, err := f.d.Auctions.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if peek.Settled != "" {
		return peek, nil
	}
	now := f.d.Now()
	if peek.StatusAt(now) != auc.Ended {
		return nil, fmt.Errorf("auction %s closes at %s: %w", id, peek.ClosesAt.UTC().Format(time.RFC3339), errNotClosed)
	}
	ident, err := identity.New(tenant, "", Scenario)
	if err != nil {
		return nil, err
	}
	out := SettleOutput{Decision: decided}
	if decided == "" {
		if out, err = SettlePoint.Run(ctx, f.d.Ext, extensions.Call{Identity: ident, UserID: peek.Leader}, SettleInput{AuctionID: id,
			SKUID: peek.SKUID, Currency: peek.Currency, Price: peek.Current, ReservePrice: peek.ReservePrice, ReserveMet: peek.ReserveMet(),
			Bids: peek.Bids, Leader: peek.Leader}); err != nil {
			return nil, err
		}
	}
	reason := ""
	if out.Decision == decisionReviewExpired {
		out.Decision, reason = DecisionUnsold, decisionReviewExpired
	}
	if out.Decision == DecisionReview {
		// The deadline counts from the close, so that a close timer run twice sets the same one.
		window := f.d.ReviewWindow()
		if out.ReviewSeconds > 0 {
			window = time.Duration(out.ReviewSeconds) * time.Second
		}
		by := peek.ClosesAt.Add(min(max(window, time.Minute), MaxReviewWindow))
		return peek, f.d.Tx.InTx(ctx, func(ctx context.Context) error {
			if err := f.d.Timers.Schedule(ctx, TimerReview, auctionRef(tenant, id), by); err != nil {
				return err
			}
			return f.emitAuction(ctx, tenant, TopicReviewRequired, peek, AuctionEvent{Status: DecisionReview, Winner: peek.Leader,
				ReviewBy: &by, At: now})
		})
	}
	// The winner's order is planned before the auction is locked (a plan runs the business's
	// scripts); the transaction checks that nothing moved since.
	var d *trade.Draft
	var winner auc.Deposit
	if out.Decision == DecisionSell {
		if winner, err = f.d.Deposits.Get(ctx, tenant, id, peek.Leader); err != nil {
			return nil, err
		}
		if d, err = f.plan(ctx, tenant, peek, peek.Leader, peek.Current, winner.ShipTo, now); err != nil {
			return nil, err
		}
	}
	var refunds []*payment.Refund
	var settled *auc.Auction
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		refunds = nil
		x, err := f.d.Auctions.Lock(ctx, tenant, id)
		if err != nil {
			return err
		}
		settled = x
		if x.Settled != "" {
			return nil // settled by another run
		}
		if x.Current != peek.Current || x.Leader != peek.Leader || x.StatusAt(now) != auc.Ended {
			return fmt.Errorf("auction %s moved while it was settled: %w", id, errNotClosed)
		}
		if _, err := x.Settle(now); err != nil {
			return err
		}
		if decided != "" && decided != decisionReviewExpired { // an operator's decision ends the review window
			if err := f.d.Timers.Cancel(ctx, TimerReview, auctionRef(tenant, id)); err != nil {
				return err
			}
		}
		ev := AuctionEvent{At: now, Reason: reason}
		topic := TopicUnsold
		keep := ""
		if out.Decision == DecisionSell {
			x.Settled, topic, keep = auc.Sold, TopicSettled, x.Leader
			tr, err := f.sell(ctx, tenant, x, d, x.Leader, x.Current, &winner, false, now)
			if err != nil {
				return err
			}
			ev.Winner, ev.TradeID, ev.Credited = x.Leader, tr.ID(), winner.Amount
		} else {
			x.Settled = auc.Unsold
			if err := f.d.Inventory.Cancel(ctx, tenant, reservation(id)); err != nil {
				return err
			}
		}
		if err := f.d.Auctions.Save(ctx, tenant, x, nil, now); err != nil {
			return err
		}
		why := ReasonOutbid
		if keep == "" {
			why = ReasonUnsold
		}
		if refunds, ev.Refunded, err = f.refundDeposits(ctx, tenant, x, keep, why); err != nil {
			return err
		}
		return f.emitAuction(ctx, tenant, topic, x, ev)
	})
	if err != nil {
		return nil, err
	}
	f.d.Core.SettleRefunds(ctx, refunds)
	return settled, nil
}

// plan plans the trade that sells x's unit to bidder at price, shipped to shipTo: at that price
// (no promotion or coupon takes from a bid), from the unit the auction held (or, for a second
// chance, whatever stock the usual choice finds), split and shipped as any order. The business's
// validation and purchase limits do not run: the operator set the auction and the buyer bid.
func (f *Flow) plan(ctx context.Context, tenant string, x *auc.Auction, bidder string, price int64, shipTo order.Address, now time.Time) (*trade.Draft, error) {
	ident, err := identity.New(tenant, "", Scenario)
	if err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(x.Currency)
	if err != nil {
		return nil, err
	}
	d := &trade.Draft{Call: extensions.Call{Identity: ident, UserID: bidder}, Buyer: trade.Buyer{UserID: bidder},
		Cart: trade.Cart{Items: []pricing.Item{{SKUID: x.SKUID, Quantity: 1}}, Currency: x.Currency}, Dest: address.PlaceOf(shipTo), Address: shipTo, At: now}
	stock := trade.StepChooseStock
	if x.Settled == "" { // the winner's: the unit the auction held
		held, err := f.d.Inventory.Lines(ctx, tenant, reservation(x.ID))
		if err != nil {
			return nil, err
		}
		stock = trade.StockFrom([][]inventory.Line{held})
	}
	priceStep := trade.Step{Name: trade.StepPrice.Name, Run: func(core *trade.Core, ctx context.Context, d *trade.Draft) error {
		return core.PriceAt(ctx, d, cur, func(skuID string) (int64, bool) { return price, skuID == x.SKUID }, "auction:"+x.ID)
	}}
	p := trade.Plan{priceStep, trade.StepNoDiscount, stock, trade.StepSplit, trade.StepShipping}
	if err := f.d.Core.Plan(ctx, d, p); err != nil {
		return nil, err
	}
	return d, nil
}

// sell places the planned trade d for bidder in the caller's transaction, its sale recorded and,
// when deposit is not nil, the deposit credited to it; the winner's sale takes over the unit the
// auction held.
func (f *Flow) sell(ctx context.Context, tenant string, x *auc.Auction, d *trade.Draft, bidder string, price int64, deposit *auc.Deposit,
	second bool, now time.Time) (*order.Trade, error) {
	ident, err := identity.New(tenant, "", Scenario)
	if err != nil {
		return nil, err
	}
	due := now.Add(x.PayWindow)
	return f.d.Core.Place(ctx, trade.Placement{Identity: ident, Draft: d, PayDeadline: due, Timers: []trade.Timer{{Kind: TimerUnpaid, Due: due}},
		Also: func(ctx context.Context, t *order.Trade) error {
			s := auc.Sale{AuctionID: x.ID, TradeID: t.ID(), Bidder: bidder, Price: price, SecondChance: second, CreatedAt: now}
			if !second {
				// The unit the auction held goes to the sale: given back here, reserved again for the
				// trade's order in the same transaction.
				if err := f.d.Inventory.Cancel(ctx, tenant, reservation(x.ID)); err != nil {
					return err
				}
			}
			if deposit != nil {
				locked, err := f.moveDeposit(ctx, tenant, deposit.ID, auc.DepositCredited, now)
				if err != nil {
					return err
				}
				s.Credit, s.DepositID, *deposit = locked.Amount, locked.ID, locked
			}
			return f.d.Sales.CreateSale(ctx, tenant, s)
		}})
}

// unpaidDue is the pay window's timer: a sale still unpaid is cancelled, its unit goes back to
// stock, and the deposit it credited is forfeited (see endSale).
func (f *Flow) unpaidDue(ctx context.Context, ref string) error {
	tenant, tradeID, err := trade.ParseTimerRef(ref)
	if err != nil {
		return err
	}
	return f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, err := f.d.Orders.LockTrade(ctx, tenant, tradeID)
		if errors.Is(err, order.ErrTradeNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = f.endSale(ctx, t, "unpaid_timeout", false)
		return err
	})
}

// ErrNoSecondChance is an auction that cannot be offered to its runner-up: not sold, its sale not
// cancelled, or nobody else bid.
var ErrNoSecondChance = errkind.New(errkind.Conflict, "auction.no_second_chance", "the auction's unit cannot be offered to the runner-up")

// SecondChance offers the unit of a sold auction whose winner did not pay to the runner-up, at
// their last bid: a trade of flow auction, payable in full within the pay window, shipped to the
// address they gave with their deposit. Offering it again answers the same trade.
func (f *Flow) SecondChance(ctx context.Context, tenant string, a trade.Actor, id string) (*order.Trade, error) {
	if err := operatorOnly(a); err != nil {
		return nil, err
	}
	x, err := f.d.Auctions.Get(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	sales, err := f.d.Sales.Sales(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if x.Settled != auc.Sold || len(sales) == 0 {
		return nil, errkind.WithDetail(ErrNoSecondChance, "auction %s is %s", id, x.StatusAt(f.d.Now()))
	}
	last := sales[len(sales)-1]
	if last.SecondChance {
		return f.d.Core.Trade(ctx, tenant, a, last.TradeID)
	}
	won, err := f.d.Core.Trade(ctx, tenant, a, last.TradeID)
	if err != nil {
		return nil, err
	}
	if trade.AnyLive(won) {
		return nil, errkind.WithDetail(ErrNoSecondChance, "the winner's order %s goes ahead", last.TradeID)
	}
	// The runner-up: the latest bid of anyone but the winner.
	var runner auc.Entry
	for before := int64(0); runner.Bidder == ""; {
		page, err := f.d.Auctions.History(ctx, tenant, id, before, 100)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			return nil, errkind.WithDetail(ErrNoSecondChance, "nobody but the winner bid on auction %s", id)
		}
		for _, e := range page {
			if e.Bidder != last.Bidder {
				runner = e
				break
			}
		}
		before = page[len(page)-1].Seq
	}
	dep, err := f.d.Deposits.Get(ctx, tenant, id, runner.Bidder)
	if err != nil {
		return nil, err
	}
	now := f.d.Now()
	d, err := f.plan(ctx, tenant, x, runner.Bidder, runner.Amount, dep.ShipTo, now)
	if err != nil {
		return nil, err
	}
	var t *order.Trade
	err = f.d.Tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := f.d.Auctions.Lock(ctx, tenant, id)
		if err != nil {
			return err
		}
		again, err := f.d.Sales.Sales(ctx, tenant, id)
		if err != nil {
			return err
		}
		if n := len(again); again[n-1].SecondChance {
			t, err = f.d.Orders.Trade(ctx, tenant, again[n-1].TradeID)
			return err
		}
		if t, err = f.sell(ctx, tenant, locked, d, runner.Bidder, runner.Amount, nil, true, now); err != nil {
			return err
		}
		return f.emitAuction(ctx, tenant, TopicSecondChance, locked, AuctionEvent{Winner: runner.Bidder, TradeID: t.ID(), At: now})
	})
	return t, err
}
