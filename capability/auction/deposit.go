package auction

import (
	"context"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// DepositStatus is where a bidder's deposit stands. A deposit that was paid ends exactly one of
// refunded, credited (to the winner's order) or forfeited (a winner who did not pay); a credited
// one may still be forfeited, or refunded (the winner's sale refunded through after-sale).
type DepositStatus string

// The deposit statuses.
const (
	DepositPending   DepositStatus = "pending"
	DepositPaid      DepositStatus = "paid"
	DepositRefunded  DepositStatus = "refunded"
	DepositCredited  DepositStatus = "credited"
	DepositForfeited DepositStatus = "forfeited"
)

var depositMoves = map[DepositStatus][]DepositStatus{
	DepositPending:  {DepositPaid},
	DepositPaid:     {DepositRefunded, DepositCredited, DepositForfeited},
	DepositCredited: {DepositForfeited, DepositRefunded},
}

// ErrDepositTransition is a deposit move its status does not allow.
var ErrDepositTransition = errkind.New(errkind.Conflict, "auction.deposit_transition", "the deposit cannot make this change in its current status")

// Deposit is one bidder's deposit on one auction: the money that lets them bid.
type Deposit struct {
	ID        string // the payment holder's id ("AD...")
	AuctionID string
	Bidder    string
	Amount    int64
	Currency  string
	// PaymentID is the payment that paid it, once one did.
	PaymentID string
	Status    DepositStatus
	// ShipTo is where the unit goes if this bidder wins: the address given with the deposit.
	ShipTo    order.Address
	UpdatedAt time.Time
}

// Move changes the deposit's status as depositMoves allows.
func (d *Deposit) Move(to DepositStatus, now time.Time) error {
	for _, s := range depositMoves[d.Status] {
		if s == to {
			d.Status, d.UpdatedAt = to, now
			return nil
		}
	}
	return errkind.WithDetail(ErrDepositTransition, "deposit %s is %s and cannot become %s", d.ID, d.Status, to)
}

// Paid reports whether the deposit lets its bidder bid.
func (d *Deposit) Paid() bool { return d.Status == DepositPaid }

// DepositStore keeps deposits: one per bidder and auction.
type DepositStore interface {
	// Create writes a pending deposit; a bidder's second is the first (found).
	Create(ctx context.Context, tenant string, d Deposit) (Deposit, bool, error)
	Get(ctx context.Context, tenant, auctionID, bidder string) (Deposit, error)
	// Lock reads a deposit by its id for update inside the caller's transaction.
	Lock(ctx context.Context, tenant, id string) (Deposit, error)
	Save(ctx context.Context, tenant string, d Deposit) error
	// OfAuction lists an auction's deposits.
	OfAuction(ctx context.Context, tenant, auctionID string) ([]Deposit, error)
}

// ErrDepositNotFound is a bidder without a deposit on the auction.
var ErrDepositNotFound = errkind.New(errkind.NotFound, "auction.deposit_not_found", "no deposit on this auction")

// Sale is an auction's unit sold: the trade placed for the winner (or, after a winner who did
// not pay, for the runner-up offered a second chance) at the price they bid, with what their
// deposit counts toward it.
type Sale struct {
	AuctionID string
	TradeID   string
	Bidder    string
	Price     int64
	// Credit is the deposit counted toward the price; DepositID names it (empty: none).
	Credit       int64
	DepositID    string
	SecondChance bool
	CreatedAt    time.Time
	// Outcome is how a sale that did not go ahead ended (empty while it may): its buyer did not
	// pay in time or cancelled (SaleForfeited), or an operator cancelled it as goodwill
	// (SaleReleased). EndedAt is when.
	Outcome SaleOutcome
	EndedAt time.Time
}

// SaleOutcome is how a sale ended without being paid.
type SaleOutcome string

// The outcomes of a sale that did not go ahead.
const (
	// SaleForfeited: the winner did not pay (in time, or cancelled); a deposit it credited is
	// forfeited, and the unit may be offered to the runner-up.
	SaleForfeited SaleOutcome = "forfeited"
	// SaleReleased: an operator cancelled the sale and gave the credited deposit back.
	SaleReleased SaleOutcome = "released"
)

// SaleStore keeps sales.
type SaleStore interface {
	CreateSale(ctx context.Context, tenant string, s Sale) error
	// SaleOf is the sale of a trade; ErrNotFound for a trade that is no auction's.
	SaleOf(ctx context.Context, tenant, tradeID string) (Sale, error)
	// Sales are an auction's sales, oldest first.
	Sales(ctx context.Context, tenant, auctionID string) ([]Sale, error)
	// EndSale records how the sale of a trade ended, in the caller's transaction.
	EndSale(ctx context.Context, tenant, tradeID string, outcome SaleOutcome, at time.Time) error
}
