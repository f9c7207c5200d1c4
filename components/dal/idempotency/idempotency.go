// Package idempotency records which result a client's Idempotency-Key produced, in the same
// transaction as the result itself: a key is claimed when and only when the thing it created
// committed. Two concurrent requests with one key serialize on the key's primary key; the second
// sees the first's result. The same key with a different request is a conflict.
package idempotency

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of the key store.
func Migrations() dal.Migrations { return dal.Embedded("idempotency", migrationFiles) }

// Store records keys.
type Store struct{ db *dal.DB }

// New returns a Store.
func New(db *dal.DB) *Store { return &Store{db: db} }

// A key is named by who sent it (tenant, userID), the operation (scope) and the client's
// Idempotency-Key; requestHash fingerprints the request it came with.

// Lookup returns the result recorded for the key, if any. A key recorded with another request
// hash is errkind.ErrIdempotencyConflict.
func (s *Store) Lookup(ctx context.Context, tenant, userID, scope, key, requestHash string) (string, bool, error) {
	return s.lookup(ctx, tenant, userID, scope, key, requestHash, "")
}

func (s *Store) lookup(ctx context.Context, tenant, userID, scope, key, requestHash, suffix string) (string, bool, error) {
	var hash, ref string
	err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT request_hash, result_ref FROM idempotency_keys
		WHERE tenant = ? AND user_id = ? AND scope = ? AND idem_key = ?`+suffix, tenant, userID, scope, key).Scan(&hash, &ref)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("idempotency: lookup: %w", err)
	}
	if hash != requestHash {
		return "", false, errkind.ErrIdempotencyConflict
	}
	return ref, true, nil
}

// Claim records k for result ref inside the caller's transaction, before the caller creates
// the result: while that transaction is open, a concurrent request with the same key waits on the
// key (MySQL) or on the write lock (SQLite). If the key was already recorded, Claim returns the
// recorded result with found=true and the caller must answer with it instead of creating another.
func (s *Store) Claim(ctx context.Context, tenant, userID, scope, key, requestHash, ref string) (string, bool, error) {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO idempotency_keys (tenant, user_id, scope, idem_key, request_hash, result_ref, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, tenant, userID, scope, key, requestHash, ref, time.Now().UnixMilli())
	if err == nil {
		return ref, false, nil
	}
	if !dal.IsDuplicate(err) {
		return "", false, fmt.Errorf("idempotency: record: %w", err)
	}
	// A locking read sees the latest committed row even in a REPEATABLE READ snapshot; a shared
	// lock, because every loser of the race holds one already from the duplicate-key check.
	prev, found, err := s.lookup(ctx, tenant, userID, scope, key, requestHash, s.db.ForShare())
	if err != nil {
		return "", false, err
	}
	return prev, found, nil
}
