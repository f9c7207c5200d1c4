// Package outbox writes events into an outbox table inside the caller's transaction (the
// transactional outbox): an event exists if and only if the business change that caused it
// committed. The relay in components/mq forwards unpublished rows to the broker in the order they
// were written and marks them published; consumers deduplicate by event id.
package outbox

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/identity"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the outbox.
func Migrations() dal.Migrations { return dal.Embedded("outbox", migrationFiles) }

// Event is one message to publish.
type Event struct {
	ID     string
	Topic  string
	Tenant string
	// Key orders events: the relay delivers the events of one key in the order they were written
	// (a trade's events are keyed by the trade id).
	Key        string
	Payload    []byte
	OccurredAt time.Time
	// Attempts counts failed relays of the event (LastError is the latest).
	Attempts  int
	LastError string
	// Actor is who caused it (identity.ActorOf the context it was appended in); read by OfKey.
	Actor string
}

// Writer appends events to the outbox.
type Writer struct {
	db        *dal.DB
	ids       func() string
	committed []func(topic string, payload any)
}

// NewWriter returns a Writer; ids makes event ids.
func NewWriter(db *dal.DB, ids func() string) *Writer { return &Writer{db: db, ids: ids} }

// OnCommitted calls fn with each event once the transaction that appended it has committed (the
// platform counts orders by flow and status from them, and wakes the relay). Add every callback
// before the writer is used.
func (w *Writer) OnCommitted(fn func(topic string, payload any)) {
	w.committed = append(w.committed, fn)
}

// Append marshals payload as JSON and writes it, as an event of tenant ordered by key, in the
// transaction ctx carries (or on its own). It returns the event id.
func (w *Writer) Append(ctx context.Context, topic, tenant, key string, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("outbox: marshal %s: %w", topic, err)
	}
	id := w.ids()
	if _, err := w.db.Q(ctx).ExecContext(ctx, `INSERT INTO outbox_events (event_id, topic, tenant, msg_key, payload, created_at, published_at, actor)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?)`, id, topic, tenant, key, string(body), time.Now().UnixMilli(), actorOf(ctx)); err != nil {
		return "", fmt.Errorf("outbox: append %s: %w", topic, err)
	}
	for _, fn := range w.committed {
		w.db.AfterCommit(ctx, func() { fn(topic, payload) })
	}
	return id, nil
}

// actorOf is the actor to record, cut to its column.
func actorOf(ctx context.Context) string {
	a := identity.ActorOf(ctx)
	if len(a) > 80 {
		a = a[:80]
	}
	return a
}

// OfKey returns the first limit events of tenant's key (a trade's events are its timeline), in
// the order they were written.
func (w *Writer) OfKey(ctx context.Context, tenant, key string, limit int) ([]Event, error) {
	out, err := dal.All(ctx, w.db.R(ctx), func(rows *sql.Rows) (Event, error) {
		var e Event
		var payload string
		var at int64
		err := rows.Scan(&e.ID, &e.Topic, &e.Tenant, &e.Key, &payload, &at, &e.Actor)
		e.Payload, e.OccurredAt = []byte(payload), time.UnixMilli(at)
		return e, err
	}, `SELECT event_id, topic, tenant, msg_key, payload, created_at, actor FROM outbox_events WHERE tenant = ? AND msg_key = ?
		ORDER BY event_id LIMIT ?`, tenant, key, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: events of %s: %w", key, err)
	}
	return out, nil
}

// Pending returns up to limit unpublished events in the order they were written (the time, then
// the id: ids from one node increase, so one node's events of a key keep their order).
func (w *Writer) Pending(ctx context.Context, limit int) ([]Event, error) {
	return w.pending(ctx, w.db.R(ctx), limit)
}

// PendingPrimary is Pending read from the primary: the relay must not miss what a lagging
// replica has not seen yet, nor relay again what it has just marked.
func (w *Writer) PendingPrimary(ctx context.Context, limit int) ([]Event, error) {
	return w.pending(ctx, w.db.Q(ctx), limit)
}

func (w *Writer) pending(ctx context.Context, q dal.Querier, limit int) ([]Event, error) {
	// The unpublished events are a few rows at the head of outbox_unpublished, whatever the
	// table holds; MySQL's planner, from statistics of a table whose rows were all sent a moment
	// ago, may still choose to scan it and sort, so it is told which index to read.
	from := "outbox_events"
	if w.db.Dialect() == dal.MySQL {
		from += " FORCE INDEX (outbox_unpublished)"
	}
	rows, err := q.QueryContext(ctx, `SELECT event_id, topic, tenant, msg_key, payload, created_at, attempts, last_error FROM `+from+`
		WHERE published_at = 0 ORDER BY created_at, event_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var payload string
		var created int64
		if err := rows.Scan(&e.ID, &e.Topic, &e.Tenant, &e.Key, &payload, &created, &e.Attempts, &e.LastError); err != nil {
			return nil, fmt.Errorf("outbox: scan: %w", err)
		}
		e.Payload, e.OccurredAt = []byte(payload), time.UnixMilli(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkPublished records that the events ids reached the broker at time at.
func (w *Writer) MarkPublished(ctx context.Context, ids []string, at time.Time) error {
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, 0, n+1)
		args = append(args, at.UnixMilli())
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		if _, err := w.db.Q(ctx).ExecContext(ctx, `UPDATE outbox_events SET published_at = ? WHERE published_at = 0 AND event_id IN (`+
			dal.Placeholders(n)+`)`, args...); err != nil {
			return fmt.Errorf("outbox: mark published: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// MarkFailed counts a failed relay of event id and keeps why (cut to fit).
func (w *Writer) MarkFailed(ctx context.Context, id string, cause error) error {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if _, err := w.db.Q(ctx).ExecContext(ctx, `UPDATE outbox_events SET attempts = attempts + 1, last_error = ? WHERE event_id = ?`, msg, id); err != nil {
		return fmt.Errorf("outbox: mark failed: %w", err)
	}
	return nil
}

// Backlog is how many events are not yet published (counting at most limit, so that a node far
// behind still answers cheaply) and when the oldest of them was written (zero time: none).
func (w *Writer) Backlog(ctx context.Context, limit int) (int64, time.Time, error) {
	q := w.db.R(ctx)
	var n, oldest int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM outbox_events WHERE published_at = 0 LIMIT ?) x`, limit).Scan(&n); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MIN(created_at), 0) FROM outbox_events WHERE published_at = 0`).Scan(&oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if oldest == 0 {
		return n, time.Time{}, nil
	}
	return n, time.UnixMilli(oldest), nil
}
