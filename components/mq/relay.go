package mq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/mq/outbox"
)

// RelayConfig tunes the relay.
type RelayConfig struct {
	// Batch is how many events one round reads and publishes (default 200).
	Batch int `yaml:"batch"`
	// Poll is how often the relay looks for events when no commit on this node woke it (events
	// committed on other nodes; default 250ms). The SQL broker's subscriptions poll as often.
	Poll time.Duration `yaml:"poll"`
	// LeaseTTL is how long the relaying node holds the lease without renewing it: another node
	// takes over this long after the holder dies (default 10s).
	LeaseTTL time.Duration `yaml:"leaseTtl"`
	// MaxBackoff caps the wait between failed rounds while the broker is down (default 30s).
	MaxBackoff time.Duration `yaml:"maxBackoff"`
}

func (c RelayConfig) withDefaults() RelayConfig {
	if c.Batch <= 0 {
		c.Batch = 200
	}
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	return c
}

func (c RelayConfig) validate() error {
	if c.Batch > 5000 {
		return fmt.Errorf("mq: relay.batch %d is more than 5000", c.Batch)
	}
	if c.LeaseTTL < time.Second {
		return fmt.Errorf("mq: relay.leaseTtl %s is under a second", c.LeaseTTL)
	}
	return nil
}

// leaseName is the relay's row in mq_leases.
const leaseName = "outbox-relay"

// Relay forwards committed outbox events to the broker.
//
// Ordering: one node relays at a time, holding a lease (a row in mq_leases with an expiry,
// renewed while it works; a node that dies loses it LeaseTTL later). The holder reads unpublished
// events in the order they were written and publishes them one after another; at the first
// failure it stops, marks what went through, and tries again from that event after a backoff. So
// the broker receives every key's events in order, and the lease makes that hold with several
// nodes. A relay that dies between publishing and marking publishes those events again when it
// (or another node) resumes: at least once. On NATS the message id (the event id) lets JetStream
// drop the repeat within its duplicate window; on the SQL broker, publishing and marking are one
// transaction and nothing repeats; elsewhere consumers deduplicate (Consumers).
type Relay struct {
	db     *dal.DB
	w      *outbox.Writer
	b      Broker
	cfg    RelayConfig
	source string
	holder string
	log    *slog.Logger
	now    func() time.Time
	wake   chan struct{}
	// heldUntil is when this node's lease runs out (zero: not held).
	heldUntil time.Time
}

// NewRelay returns a relay of w's events to b; holder names this node in the lease (a node that
// restarts under the same name takes its lease back at once). On a database of several pods each
// pod has a relay of its own, made on the view pinned to it (dal.DB.Pods): a pod that is down
// delays only its own events.
func NewRelay(db *dal.DB, w *outbox.Writer, b Broker, cfg Config, holder string, log *slog.Logger) *Relay {
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.Default()
	}
	r := &Relay{db: db, w: w, b: b, cfg: cfg.Relay, source: cfg.Source, holder: holder, log: log.With("component", "relay", "broker", b.Name()),
		now: time.Now, wake: make(chan struct{}, 1)}
	w.OnCommitted(func(string, any) { r.Wake() })
	return r
}

// Wake makes a waiting relay look for events now (events committed on this node call it).
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	ctx = r.db.Bind(ctx)
	failures := 0
	for ctx.Err() == nil {
		held, err := r.lease(ctx)
		if err != nil {
			r.log.Warn("relay lease", "err", err)
		}
		if !held {
			r.sleep(ctx, r.cfg.LeaseTTL/3, false)
			continue
		}
		n, err := r.RelayOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			wait := min(r.cfg.MaxBackoff, r.cfg.Poll<<min(failures, 10))
			r.log.Warn("relay to the broker failed; retrying", "relayed", n, "failures", failures, "retryIn", wait, "err", err)
			r.sleep(ctx, wait, false)
		case n == r.cfg.Batch:
			failures = 0 // more are waiting
		default:
			if failures > 0 {
				r.log.Info("relay to the broker recovered", "after", failures)
			}
			failures = 0
			r.sleep(ctx, r.cfg.Poll, true)
		}
	}
	r.release()
}

func (r *Relay) sleep(ctx context.Context, d time.Duration, wakeable bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	var wake chan struct{}
	if wakeable {
		wake = r.wake
	}
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// lease takes or renews the relay's lease; it renews only once a third of it has passed.
func (r *Relay) lease(ctx context.Context) (bool, error) {
	now := r.now()
	if now.Add(r.cfg.LeaseTTL * 2 / 3).Before(r.heldUntil) {
		return true, nil
	}
	until := now.Add(r.cfg.LeaseTTL)
	res, err := r.db.Q(ctx).ExecContext(ctx, `UPDATE mq_leases SET holder = ?, expires_at = ?, token = token + 1
		WHERE name = ? AND (holder = ? OR expires_at < ?)`, r.holder, until.UnixMilli(), leaseName, r.holder, now.UnixMilli())
	if err != nil {
		r.heldUntil = time.Time{}
		return false, fmt.Errorf("mq: relay lease: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		r.heldUntil = until
		return true, nil
	}
	if _, err := r.db.Q(ctx).ExecContext(ctx, `INSERT INTO mq_leases (name, holder, expires_at, token) VALUES (?, ?, ?, 1)`,
		leaseName, r.holder, until.UnixMilli()); err != nil {
		r.heldUntil = time.Time{}
		if dal.IsDuplicate(err) {
			return false, nil // another node holds it
		}
		return false, fmt.Errorf("mq: relay lease: %w", err)
	}
	r.heldUntil = until
	return true, nil
}

// release gives the lease up on a clean stop, so another node need not wait for it to expire.
func (r *Relay) release() {
	if r.heldUntil.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(r.db.Bind(context.Background()), 2*time.Second)
	defer cancel()
	_, _ = r.db.Q(ctx).ExecContext(ctx, `UPDATE mq_leases SET expires_at = 0 WHERE name = ? AND holder = ?`, leaseName, r.holder)
	r.heldUntil = time.Time{}
}

// RelayOnce publishes one batch of unpublished events, in order, and marks what the broker took.
// It does not take the lease: Run does.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	ctx = r.db.Bind(ctx)
	evs, err := r.w.PendingPrimary(ctx, r.cfg.Batch)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	envs := make([]Envelope, len(evs))
	ids := make([]string, len(evs))
	types := make([]string, 0, len(evs))
	for i, e := range evs {
		envs[i], ids[i] = EnvelopeOf(e, r.source), e.ID
		types = append(types, e.Topic)
	}
	if p, ok := r.b.(preparer); ok {
		if err := p.prepare(ctx, types); err != nil {
			r.failed(ctx, evs[0], err)
			return 0, err
		}
	}
	if t, ok := r.b.(transactional); ok && t.inTx() {
		err := r.db.InTx(ctx, func(ctx context.Context) error {
			if _, err := r.b.Publish(ctx, envs); err != nil {
				return err
			}
			return r.w.MarkPublished(ctx, ids, r.now())
		})
		if err != nil {
			r.failed(ctx, evs[0], err)
			return 0, err
		}
		relayed.WithLabelValues(r.b.Name()).Add(float64(len(evs)))
		return len(evs), nil
	}
	n, perr := r.b.Publish(ctx, envs)
	if n > 0 {
		// What the broker took is marked even if the caller has given up (ctx ended): marking
		// less only publishes it again.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := r.w.MarkPublished(mctx, ids[:n], r.now())
		cancel()
		if err != nil {
			return 0, errors.Join(perr, err)
		}
		relayed.WithLabelValues(r.b.Name()).Add(float64(n))
	}
	if perr != nil {
		r.failed(ctx, evs[n], perr)
	}
	return n, perr
}

func (r *Relay) failed(ctx context.Context, e outbox.Event, cause error) {
	relayFailures.WithLabelValues(r.b.Name()).Inc()
	if ctx.Err() != nil {
		return
	}
	if err := r.w.MarkFailed(ctx, e.ID, cause); err != nil {
		r.log.Warn("relay: recording a failure", "event", e.ID, "err", err)
	}
}
