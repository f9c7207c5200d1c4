package inventory

import (
	"context"
	"errors"
	"time"
)

// Reservation is the stock one order reserves.
type Reservation struct {
	ID    string
	Lines []Line
}

// Prepared is the stock of an order about to be written, reserved in the three steps that a hot
// SKU needs and every other SKU goes through unchanged:
//
//   - Prepare, before the order's transaction: stock of hot levels is reserved ahead, in the
//     tenant's next hot batch (see ReserveHot), so that orders of a flash sale do not queue on
//     one row lock each; other stock is left for the transaction.
//   - Commit, inside the order's transaction: reservations made ahead are attached to it, and the
//     others are reserved there (their row locks last, held until commit).
//   - Abort, after the transaction failed or wrote nothing: what was reserved ahead is given
//     back at once; one that cannot be given back now expires at the hold.
//
// A flow calls the three and never handles hot stock itself.
type Prepared struct {
	s            *Service
	tenant       string
	reservations []Reservation
	hot          bool
}

// Hot reports whether the stock was reserved ahead of the transaction.
func (p *Prepared) Hot() bool { return p.hot }

// Prepare readies the reservations of one order (its child orders) for its transaction. If any
// line is of a hot level, every reservation is made ahead, in hot batches, held until hold; if one
// fails, those already made are given back and the error is returned.
func (s *Service) Prepare(ctx context.Context, tenant string, rs []Reservation, hold time.Time) (*Prepared, error) {
	p := &Prepared{s: s, tenant: tenant, reservations: rs}
	for _, r := range rs {
		for _, l := range r.Lines {
			p.hot = p.hot || l.Hot
		}
	}
	if !p.hot {
		return p, nil
	}
	for i, r := range rs {
		if err := s.ReserveHot(ctx, tenant, r.ID, r.Lines, hold); err != nil {
			done := rs[:i]
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				// This one too: its batch may still write it, and a cancel recorded first makes
				// that batch refuse it. Any other error is the batch's answer: nothing was written.
				done = rs[:i+1]
			}
			_ = (&Prepared{s: s, tenant: tenant, reservations: done, hot: true}).Abort(ctx)
			return nil, err
		}
	}
	return p, nil
}

// Commit reserves the stock in the caller's transaction: it attaches what Prepare reserved
// ahead, or reserves the rest now.
func (p *Prepared) Commit(ctx context.Context) error {
	for _, r := range p.reservations {
		var err error
		if p.hot {
			err = p.s.Attach(ctx, p.tenant, r.ID)
		} else {
			err = p.s.Reserve(ctx, p.tenant, r.ID, r.Lines)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Abort gives back what Prepare reserved ahead, for an order whose transaction failed or wrote
// nothing (a replayed request). It works on a context of its own, so a caller that gave up does
// not strand the stock; what cannot be given back now expires at the hold. It returns the
// errors of the reservations it could not cancel.
func (p *Prepared) Abort(ctx context.Context) error {
	if !p.hot {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var errs []error
	for _, r := range p.reservations {
		if err := p.s.Cancel(ctx, p.tenant, r.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
