package auction

import (
	"context"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
)

// BidEvent is the payload of auction.bid_accepted: the price move a bid made.
type BidEvent struct {
	Tenant    string    `json:"tenant"`
	AuctionID string    `json:"auctionId"`
	Seq       int64     `json:"seq"`
	Bidder    string    `json:"bidder"`
	Amount    int64     `json:"amount"`
	Proxy     bool      `json:"proxy"`
	Currency  string    `json:"currency"`
	Leader    string    `json:"leader"`
	EndsAt    time.Time `json:"endsAt"`
	At        time.Time `json:"at"`
}

// ExtendedEvent is the payload of auction.extended.
type ExtendedEvent struct {
	Tenant     string    `json:"tenant"`
	AuctionID  string    `json:"auctionId"`
	EndsAt     time.Time `json:"endsAt"`
	Extensions int       `json:"extensions"`
	At         time.Time `json:"at"`
}

// AuctionEvent is the payload of auction.settled, auction.unsold, auction.cancelled and
// auction.review_required.
type AuctionEvent struct {
	Tenant    string `json:"tenant"`
	AuctionID string `json:"auctionId"`
	SKUID     string `json:"skuId"`
	Status    string `json:"status"`
	Currency  string `json:"currency"`
	// Price is the last bid; Winner and TradeID are the sale's, when sold.
	Price   int64  `json:"price"`
	Bids    int64  `json:"bids"`
	Winner  string `json:"winner,omitempty"`
	TradeID string `json:"tradeId,omitempty"`
	// Credited is the winner's deposit counted toward the price; Refunded the other deposits
	// given back.
	Credited int64 `json:"credited,omitempty"`
	Refunded int64 `json:"refunded,omitempty"`
	// ReviewBy is when an auction left for review is settled unsold if no operator decided it
	// (auction.review_required); Reason says why it went unsold that way (review_expired).
	ReviewBy *time.Time `json:"reviewBy,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	At       time.Time  `json:"at"`
}

// DepositEvent is the payload of auction.deposit_paid and auction.deposit_forfeited.
type DepositEvent struct {
	Tenant    string    `json:"tenant"`
	AuctionID string    `json:"auctionId"`
	DepositID string    `json:"depositId"`
	Bidder    string    `json:"bidder"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	PaymentID string    `json:"paymentId"`
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
}

func (f *Flow) emitBid(ctx context.Context, tenant string, a *auc.Auction, out auc.Outcome) error {
	if out.Entry != nil {
		e := out.Entry
		if _, err := f.d.Outbox.Append(ctx, TopicBidAccepted, tenant, a.ID, BidEvent{Tenant: tenant, AuctionID: a.ID, Seq: e.Seq, Bidder: e.Bidder,
			Amount: e.Amount, Proxy: e.Proxy, Currency: a.Currency, Leader: a.Leader, EndsAt: a.ClosesAt, At: e.At}); err != nil {
			return err
		}
	}
	if !out.Extended {
		return nil
	}
	_, err := f.d.Outbox.Append(ctx, TopicExtended, tenant, a.ID, ExtendedEvent{Tenant: tenant, AuctionID: a.ID, EndsAt: a.ClosesAt,
		Extensions: a.Extensions, At: out.Entry.At})
	return err
}

// moveClose moves the close timer of an auction its bids extended, once per batch, in the
// batch's transaction.
func (f *Flow) moveClose(tenant string) func(ctx context.Context, was, is *auc.Auction) error {
	return func(ctx context.Context, was, is *auc.Auction) error {
		if is.ClosesAt.Equal(was.ClosesAt) {
			return nil
		}
		return f.d.Timers.Move(ctx, TimerClose, auctionRef(tenant, is.ID), is.ClosesAt)
	}
}

func (f *Flow) emitDeposit(ctx context.Context, tenant, topic string, d auc.Deposit, now time.Time) error {
	_, err := f.d.Outbox.Append(ctx, topic, tenant, d.AuctionID, DepositEvent{Tenant: tenant, AuctionID: d.AuctionID, DepositID: d.ID,
		Bidder: d.Bidder, Amount: d.Amount, Currency: d.Currency, PaymentID: d.PaymentID, Status: string(d.Status), At: now})
	return err
}

func (f *Flow) emitAuction(ctx context.Context, tenant, topic string, a *auc.Auction, ev AuctionEvent) error {
	ev.Tenant, ev.AuctionID, ev.SKUID, ev.Currency, ev.Price, ev.Bids = tenant, a.ID, a.SKUID, a.Currency, a.Current, a.Bids
	if ev.Status == "" {
		ev.Status = string(a.Settled)
	}
	_, err := f.d.Outbox.Append(ctx, topic, tenant, a.ID, ev)
	return err
}
