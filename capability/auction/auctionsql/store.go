// Package auctionsql is the SQL adapter of auctions and their bid history, for SQLite and MySQL.
package auctionsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("auction", migrationFiles) }

// Store implements auction.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ auction.Store = (*Store)(nil)

const cols = `auction_id, sku_id, title, currency, start_price, reserve_price, deposit, increments, starts_at, ends_at, anti_snipe_ms,
	extend_ms, max_extensions, pay_window_ms, current_price, leader, leader_max, bids, extensions, closes_at, settled`

// Put implements auction.Store.
func (s *Store) Put(ctx context.Context, tenant string, t auction.Terms, now time.Time) (*auction.Auction, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	var out *auction.Auction
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.Lock(ctx, tenant, t.ID)
		switch {
		case errors.Is(err, auction.ErrNotFound):
			a, err := auction.New(t)
			if err != nil {
				return err
			}
			_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO auctions (tenant, `+cols+`, updated_at) VALUES (`+dal.Placeholders(23)+`)`,
				append(append([]any{tenant}, values(a)...), now.UnixMilli())...)
			if err != nil {
				return fmt.Errorf("auctionsql: insert: %w", err)
			}
			out = a
			return nil
		case err != nil:
			return err
		case cur.Bids > 0 || cur.Settled != "":
			return errkind.WithDetail(auction.ErrInvalidAuction, "auction %s has bids or is settled: its terms stay", t.ID)
		}
		a, err := auction.New(t)
		if err != nil {
			return err
		}
		v := values(a)
		_, err = s.db.Q(ctx).ExecContext(ctx, `UPDATE auctions SET sku_id = ?, title = ?, currency = ?, start_price = ?, reserve_price = ?,
			deposit = ?, increments = ?, starts_at = ?, ends_at = ?, anti_snipe_ms = ?, extend_ms = ?, max_extensions = ?, pay_window_ms = ?,
			closes_at = ?, updated_at = ? WHERE tenant = ? AND auction_id = ?`,
			v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[19], now.UnixMilli(), tenant, t.ID)
		if err != nil {
			return fmt.Errorf("auctionsql: update terms: %w", err)
		}
		out = a
		return nil
	})
	return out, err
}

// values are a's columns in cols order.
func values(a *auction.Auction) []any {
	steps := make([]string, len(a.Increments))
	for i, s := range a.Increments {
		steps[i] = strconv.FormatInt(s.From, 10) + ":" + strconv.FormatInt(s.Step, 10)
	}
	return []any{a.ID, a.SKUID, a.Title, a.Currency, a.StartPrice, a.ReservePrice, a.Deposit, strings.Join(steps, ","),
		a.StartsAt.UnixMilli(), a.EndsAt.UnixMilli(), a.AntiSnipe.Milliseconds(), a.Extend.Milliseconds(), a.MaxExtensions,
		a.PayWindow.Milliseconds(), a.Current, a.Leader, a.LeaderMax, a.Bids, a.Extensions, a.ClosesAt.UnixMilli(), string(a.Settled)}
}

// Get implements auction.Store.
func (s *Store) Get(ctx context.Context, tenant, id string) (*auction.Auction, error) {
	return s.one(ctx, tenant, id, "")
}

// Lock implements auction.Store.
func (s *Store) Lock(ctx context.Context, tenant, id string) (*auction.Auction, error) {
	return s.one(ctx, tenant, id, s.db.ForUpdate())
}

func (s *Store) one(ctx context.Context, tenant, id, suffix string) (*auction.Auction, error) {
	a, err := scan(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+cols+` FROM auctions WHERE tenant = ? AND auction_id = ?`+suffix, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auction.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("auctionsql: get: %w", err)
	}
	return a, nil
}

// scan reads an auction's cols.
func scan(row interface{ Scan(...any) error }) (*auction.Auction, error) {
	var (
		a                                        auction.Auction
		steps, settled                           string
		starts, ends, snipe, extend, pay, closes int64
	)
	err := row.Scan(&a.ID, &a.SKUID, &a.Title, &a.Currency, &a.StartPrice, &a.ReservePrice, &a.Deposit, &steps, &starts, &ends, &snipe, &extend,
		&a.MaxExtensions, &pay, &a.Current, &a.Leader, &a.LeaderMax, &a.Bids, &a.Extensions, &closes, &settled)
	if err != nil {
		return nil, err
	}
	for _, part := range strings.Split(steps, ",") {
		from, step, ok := strings.Cut(part, ":")
		f, err1 := strconv.ParseInt(from, 10, 64)
		st, err2 := strconv.ParseInt(step, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("auctionsql: auction %s: stored increments %q", a.ID, steps)
		}
		a.Increments = append(a.Increments, auction.Step{From: f, Step: st})
	}
	a.StartsAt, a.EndsAt, a.ClosesAt = time.UnixMilli(starts), time.UnixMilli(ends), time.UnixMilli(closes)
	a.AntiSnipe, a.Extend, a.PayWindow = time.Duration(snipe)*time.Millisecond, time.Duration(extend)*time.Millisecond, time.Duration(pay)*time.Millisecond
	a.Settled = auction.Status(settled)
	return &a, nil
}

// Save implements auction.Store.
func (s *Store) Save(ctx context.Context, tenant string, a *auction.Auction, entries []auction.Entry, now time.Time) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		if len(entries) > 0 { // one statement for a batch's entries
			rows := make([]string, len(entries))
			args := make([]any, 0, 7*len(entries))
			for i, e := range entries {
				rows[i] = "(" + dal.Placeholders(7) + ")"
				args = append(args, tenant, a.ID, e.Seq, e.Bidder, e.Amount, e.Proxy, e.At.UnixMilli())
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO auction_bids (tenant, auction_id, seq, bidder, amount, proxy, placed_at) VALUES `+
				strings.Join(rows, ", "), args...); err != nil {
				return fmt.Errorf("auctionsql: append bids: %w", err)
			}
		}
		if _, err := q.ExecContext(ctx, `UPDATE auctions SET current_price = ?, leader = ?, leader_max = ?, bids = ?, extensions = ?,
			closes_at = ?, settled = ?, updated_at = ? WHERE tenant = ? AND auction_id = ?`, a.Current, a.Leader, a.LeaderMax, a.Bids,
			a.Extensions, a.ClosesAt.UnixMilli(), string(a.Settled), now.UnixMilli(), tenant, a.ID); err != nil {
			return fmt.Errorf("auctionsql: save: %w", err)
		}
		return nil
	})
}

// History implements auction.Store.
func (s *Store) History(ctx context.Context, tenant, id string, before int64, limit int) ([]auction.Entry, error) {
	q := `SELECT seq, bidder, amount, proxy, placed_at FROM auction_bids WHERE tenant = ? AND auction_id = ?`
	args := []any{tenant, id}
	if before > 0 {
		q += ` AND seq < ?`
		args = append(args, before)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, limit)
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (e auction.Entry, err error) {
		var at int64
		err = r.Scan(&e.Seq, &e.Bidder, &e.Amount, &e.Proxy, &at)
		e.At = time.UnixMilli(at)
		return e, err
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("auctionsql: history: %w", err)
	}
	return out, nil
}
