package inventory

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// MaxHotBatch bounds the reservations one batch writes.
const MaxHotBatch = 256

// hotBatchTimeout bounds one batch's transaction; it does not follow any requester's context,
// since the batch serves many.
const hotBatchTimeout = 30 * time.Second

// hotBatches gathers ReserveHot requests per tenant. There is no goroutine while nothing is
// pending: the request that finds its tenant idle starts one, which writes batches until the
// queue is empty, so a batch holds whatever arrived while the previous one was committing.
type hotBatches struct {
	mu      sync.Mutex
	tenants map[string]*hotQueue

	batches, reservations atomic.Uint64
}

type hotQueue struct {
	pending []*hotRequest
}

type hotRequest struct {
	item      BatchItem
	expiresAt int64
	done      chan error
}

// ReserveHot reserves lines under reservationID in the next batch of the tenant's hot
// reservations: one short transaction of its own, so the order's transaction must Attach it
// before expiresAt, after which ExpireDue gives the stock back. Lines are all-or-nothing, as with
// Reserve; a batch's other reservations do not affect this one's outcome.
//
// If ctx ends first, ReserveHot returns ctx's error and the reservation may still be written by
// its batch; the caller cancels it (Cancel records the cancellation if the batch has not run
// yet), or it expires.
func (s *Service) ReserveHot(ctx context.Context, tenant, reservationID string, lines []Line, expiresAt time.Time) error {
	if len(lines) == 0 {
		return errkind.WithDetail(ErrInvalidStockQuantity, "a reservation needs at least one line")
	}
	for _, l := range lines {
		if l.Quantity <= 0 || l.Quantity > MaxOnHand {
			return errkind.WithDetail(ErrInvalidStockQuantity, "quantity must be between 1 and %d", int64(MaxOnHand))
		}
	}
	req := &hotRequest{item: BatchItem{ReservationID: reservationID, Lines: lines}, expiresAt: expiresAt.UnixMilli(), done: make(chan error, 1)}
	h := &s.hot
	h.mu.Lock()
	if h.tenants == nil {
		h.tenants = map[string]*hotQueue{}
	}
	q, running := h.tenants[tenant]
	if !running {
		q = &hotQueue{}
		h.tenants[tenant] = q
	}
	q.pending = append(q.pending, req)
	h.mu.Unlock()
	if !running {
		go s.runHot(tenant, q)
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runHot writes the tenant's batches until none is pending.
func (s *Service) runHot(tenant string, q *hotQueue) {
	h := &s.hot
	for {
		h.mu.Lock()
		n := min(len(q.pending), MaxHotBatch)
		if n == 0 {
			delete(h.tenants, tenant)
			h.mu.Unlock()
			return
		}
		batch := q.pending[:n:n]
		q.pending = append([]*hotRequest(nil), q.pending[n:]...)
		h.mu.Unlock()
		s.writeBatch(tenant, batch)
	}
}

func (s *Service) writeBatch(tenant string, batch []*hotRequest) {
	// The batch outlives the requests that joined it; it writes for their tenant (and so on its
	// pod).
	ctx, cancel := context.WithTimeout(identity.WithTenant(context.Background(), tenant), hotBatchTimeout)
	defer cancel()
	items := make([]BatchItem, len(batch))
	var expiresAt int64
	for i, r := range batch {
		items[i] = r.item
		expiresAt = max(expiresAt, r.expiresAt)
	}
	errs, err := s.store.ReserveBatch(ctx, tenant, items, expiresAt)
	s.hot.batches.Add(1)
	if err == nil {
		for i, r := range batch {
			r.done <- errs[i]
		}
		s.hot.reservations.Add(uint64(len(batch)))
		return
	}
	// Nothing of the batch was written: the database failed, or a concurrent Cancel recorded one
	// of its ids first. Each reservation on its own keeps one from failing the others.
	for _, r := range batch {
		var one []error
		for attempt := 0; attempt < 2; attempt++ {
			if one, err = s.store.ReserveBatch(ctx, tenant, []BatchItem{r.item}, r.expiresAt); err == nil {
				break
			}
		}
		s.hot.batches.Add(1)
		if err != nil {
			r.done <- err
			continue
		}
		s.hot.reservations.Add(1)
		r.done <- one[0]
	}
}

// HotStats reports how many batches were written and how many reservations they held, so the
// average batch size (orders per stock-row lock) can be watched.
func (s *Service) HotStats() (batches, reservations uint64) {
	return s.hot.batches.Load(), s.hot.reservations.Load()
}

// Attach makes a reservation from ReserveHot permanent, in the caller's (the order's)
// transaction.
func (s *Service) Attach(ctx context.Context, tenant, reservationID string) error {
	return s.store.Attach(ctx, tenant, reservationID)
}

// ExpireDue gives back the stock of every reservation whose expiry has passed, in rounds of 100,
// and returns them.
func (s *Service) ExpireDue(ctx context.Context, now time.Time) ([]Expired, error) {
	const round = 100
	var all []Expired
	for {
		got, err := s.store.ExpireDue(ctx, now.UnixMilli(), round)
		all = append(all, got...)
		if err != nil || len(got) < round {
			return all, err
		}
		if err := ctx.Err(); err != nil {
			return all, err
		}
	}
}
