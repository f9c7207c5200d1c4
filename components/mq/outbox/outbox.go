// Package outbox writes events into an outbox table inside the caller's transaction (the
// transactional outbox): an event exists if and only if the business change that caused it
// committed. A relay forwards unpublished rows to a broker; consumers deduplicate by event id.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the outbox.
func Migrations() dal.Migrations { return dal.Embedded("outbox", migrationFiles) }

// Event is one message to publish.
type Event struct {
	ID         string
	Topic      string
	Key        string
	Payload    []byte
	OccurredAt time.Time
}

// Writer appends events to the outbox.
type Writer struct {
	db        *dal.DB
	ids       func() string
	committed func(topic string, payload any)
}

// NewWriter returns a Writer; ids makes event ids.
func NewWriter(db *dal.DB, ids func() string) *Writer { return &Writer{db: db, ids: ids} }

// OnCommitted calls fn with each event once the transaction that appended it has committed (the
// platform counts orders by flow and status from them). Set it before the writer is used.
func (w *Writer) OnCommitted(fn func(topic string, payload any)) { w.committed = fn }

// Append marshals payload as JSON and writes it in the transaction ctx carries (or on its own).
// It returns the event id.
func (w *Writer) Append(ctx context.Context, topic, key string, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("outbox: marshal %s: %w", topic, err)
	}
	id := w.ids()
	if _, err := w.db.Q(ctx).ExecContext(ctx, `INSERT INTO outbox_events (event_id, topic, msg_key, payload, created_at, published_at)
		VALUES (?, ?, ?, ?, ?, 0)`, id, topic, key, string(body), time.Now().UnixMilli()); err != nil {
		return "", fmt.Errorf("outbox: append %s: %w", topic, err)
	}
	if w.committed != nil {
		w.db.AfterCommit(ctx, func() { w.committed(topic, payload) })
	}
	return id, nil
}

// Pending returns up to limit unpublished events, oldest first.
func (w *Writer) Pending(ctx context.Context, limit int) ([]Event, error) {
	rows, err := w.db.R(ctx).QueryContext(ctx, `SELECT event_id, topic, msg_key, payload, created_at FROM outbox_events
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
		if err := rows.Scan(&e.ID, &e.Topic, &e.Key, &payload, &created); err != nil {
			return nil, fmt.Errorf("outbox: scan: %w", err)
		}
		e.Payload, e.OccurredAt = []byte(payload), time.UnixMilli(created)
		out = append(out, e)
	}
	return out, rows.Err()
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
