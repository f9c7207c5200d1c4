package auction

import (
	"context"
	"errors"
	"time"
)

// Store is the persistence port. Lock reads an auction for update inside the caller's
// transaction; Save writes back its state and the entries its placements appended, if any.
type Store interface {
	// Put creates an auction or replaces its terms; an auction that has bids or is settled keeps
	// its terms (ErrInvalidAuction).
	Put(ctx context.Context, tenant string, t Terms, now time.Time) (*Auction, error)
	Get(ctx context.Context, tenant, id string) (*Auction, error)
	Lock(ctx context.Context, tenant, id string) (*Auction, error)
	Save(ctx context.Context, tenant string, a *Auction, entries []Entry, now time.Time) error
	// History lists the accepted bids newest first, up to limit, before seq (0: from the last).
	History(ctx context.Context, tenant, id string, before int64, limit int) ([]Entry, error)
	// List lists a tenant's auctions, the latest to open first, in f at now; next is the cursor of
	// the following page, empty at the end.
	List(ctx context.Context, tenant string, f Filter, now time.Time, limit int, cursor string) (as []*Auction, next string, err error)
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

// Placement is one bid of a batch: the bid, the increments it is judged by (a business's,
// decided before, as a function of the price; nil: the auction's own), and Also, if not nil, the
// caller's writes that go with it once it is applied (its event, its idempotency key). Out and
// Err are what became of it: its outcome, or its refusal (or Also's error that withdrew it).
type Placement struct {
	Bid  Bid
	Step func(price int64) int64
	Also func(ctx context.Context, out Outcome, a *Auction) error
	Out  Outcome
	Err  error
}

// Withdraw wraps an error of a placement's Also that withdraws that bid alone (a replayed
// idempotency key, say): the bid changes nothing and the rest of the batch goes on. Also must
// not have written anything when it withdraws its bid.
func Withdraw(err error) error { return &withdrawn{err} }

type withdrawn struct{ err error }

func (w *withdrawn) Error() string { return w.err.Error() }
func (w *withdrawn) Unwrap() error { return w.err }

// PlaceAll applies the bids of a batch to auction id in order, in one short transaction: lock the
// auction's row, apply each bid in memory (a refused one changes nothing), run its Also, append
// the entries and write the auction back once; then, if the bids changed it, then (the caller's
// writes for the batch as a whole: the close timer) with the auction as locked and as left.
// Nothing slow runs while the row is locked. It returns the auction as the batch left it, or nil
// when the transaction failed (a failure of any bid's writes fails the batch: its error).
func (b *Bidding) PlaceAll(ctx context.Context, tenant, id string, bids []*Placement, now time.Time,
	then func(ctx context.Context, was, is *Auction) error) (*Auction, error) {
	var a *Auction
	err := b.tx.InTx(ctx, func(ctx context.Context) error {
		locked, err := b.store.Lock(ctx, tenant, id)
		if err != nil {
			return err
		}
		a = locked.Clone()
		var entries []Entry
		for _, p := range bids {
			p.Out, p.Err = Outcome{}, nil
			before := a.Clone()
			out, err := a.Place(p.Bid, p.Step)
			if err != nil {
				p.Err = err // a refusal changed nothing
				continue
			}
			if p.Also != nil {
				if err := p.Also(ctx, out, a); err != nil {
					var w *withdrawn
					if !errors.As(err, &w) {
						return err
					}
					a, p.Err = before, w.err
					continue
				}
			}
			p.Out = out
			if out.Entry != nil {
				entries = append(entries, *out.Entry)
			}
		}
		if a.State == locked.State {
			return nil // every bid refused or withdrawn
		}
		if err := b.store.Save(ctx, tenant, a, entries, now); err != nil {
			return err
		}
		if then != nil {
			return then(ctx, locked, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
