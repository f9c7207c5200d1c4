package auction

// The bid batcher: a concurrency primitive of its own (a turn per auction on this node, and the
// batch the bids waiting for it form), used by Bid.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
)

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

// maxBatch bounds the bids one transaction places.
const maxBatch = 128

// batchTimeout bounds a batch's transaction: it places other callers' bids, so it does not end
// with the caller that runs it.
const batchTimeout = 5 * time.Second

// errBatchFailed is the answer to the bids of a batch whose placing broke off.
var errBatchFailed = errors.New("auction: the batch of bids failed")

// maxGates bounds the auctions a node keeps a gate for.
const maxGates = 1 << 16
