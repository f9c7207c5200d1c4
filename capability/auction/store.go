package auction

import (
	"context"
	"time"
)

// Store is the persistence port. Lock reads an auction for update inside the caller's
// transaction; Save writes back its state and the entry its placement appended, if any.
type Store interface {
	// Put creates an auction or replaces its terms; an auction that has bids or is settled keeps
	// its terms (ErrInvalidAuction).
	Put(ctx context.Context, tenant string, t Terms, now time.Time) (*Auction, error)
	Get(ctx context.Context, tenant, id string) (*Auction, error)
	Lock(ctx context.Context, tenant, id string) (*Auction, error)
	Save(ctx context.Context, tenant string, a *Auction, e *Entry, now time.Time) error
	// History lists the accepted bids newest first, up to limit, before seq (0: from the last).
	History(ctx context.Context, tenant, id string, before int64, limit int) ([]Entry, error)
}

// Transactor runs fn in one local transaction carried by ctx.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Bidding places bids in the order the store's row lock gives them.
type Bidding struct {
	tx    Transactor
	store Store
}

// NewBidding returns a Bidding.
func NewBidding(tx Transactor, store Store) *Bidding { return &Bidding{tx: tx, store: store} }

// Place applies b to auction id in one short transaction: lock the auction's row, apply the bid
// in memory, append its entry, write back, then also (the caller's writes that go with the bid:
// its event, its idempotency key), if not nil. Nothing slow runs while the row is locked: a
// business's increments (step) are decided before, as a function of the price. It returns the
// outcome and the auction as the bid left it, or as it stood for a refusal; nil when the
// transaction failed otherwise.
func (b *Bidding) Place(ctx context.Context, tenant, id string, bid Bid, step func(price int64) int64,
	also func(ctx context.Context, out Outcome, a *Auction) error) (Outcome, *Auction, error) {
	var (
		out     Outcome
		a       *Auction
		refused bool
	)
	err := b.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if a, err = b.store.Lock(ctx, tenant, id); err != nil {
			return err
		}
		if out, err = a.Place(bid, step); err != nil {
			refused = true // a refusal changed nothing: a is the auction that refused it
			return err
		}
		if err := b.store.Save(ctx, tenant, a, out.Entry, bid.At); err != nil {
			return err
		}
		if also != nil {
			return also(ctx, out, a)
		}
		return nil
	})
	if err != nil && !refused {
		a = nil // rolled back: not a state the database holds
	}
	return out, a, err
}
