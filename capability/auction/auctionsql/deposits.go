package auctionsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/components/dal"
)

// Deposits implements auction.DepositStore.
type Deposits struct{ db *dal.DB }

// NewDeposits returns a Deposits on db.
func NewDeposits(db *dal.DB) *Deposits { return &Deposits{db: db} }

var _ auction.DepositStore = (*Deposits)(nil)

const depositCols = `deposit_id, auction_id, bidder, amount, currency, payment_id, status, updated_at`

// Create implements auction.DepositStore.
func (s *Deposits) Create(ctx context.Context, tenant string, d auction.Deposit) (auction.Deposit, bool, error) {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO auction_deposits (tenant, `+depositCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, d.ID, d.AuctionID, d.Bidder, d.Amount, d.Currency, d.PaymentID, string(d.Status), d.UpdatedAt.UnixMilli())
	if dal.IsDuplicate(err) {
		got, err := s.Get(ctx, tenant, d.AuctionID, d.Bidder)
		return got, true, err
	}
	if err != nil {
		return auction.Deposit{}, false, fmt.Errorf("auctionsql: create deposit: %w", err)
	}
	return d, false, nil
}

// Get implements auction.DepositStore.
func (s *Deposits) Get(ctx context.Context, tenant, auctionID, bidder string) (auction.Deposit, error) {
	return scanDeposit(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+depositCols+` FROM auction_deposits
		WHERE tenant = ? AND auction_id = ? AND bidder = ?`, tenant, auctionID, bidder))
}

// Lock implements auction.DepositStore.
func (s *Deposits) Lock(ctx context.Context, tenant, id string) (auction.Deposit, error) {
	return scanDeposit(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+depositCols+` FROM auction_deposits
		WHERE tenant = ? AND deposit_id = ?`+s.db.ForUpdate(), tenant, id))
}

func scanDeposit(row interface{ Scan(...any) error }) (auction.Deposit, error) {
	var d auction.Deposit
	var status string
	var at int64
	err := row.Scan(&d.ID, &d.AuctionID, &d.Bidder, &d.Amount, &d.Currency, &d.PaymentID, &status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return d, auction.ErrDepositNotFound
	}
	if err != nil {
		return d, fmt.Errorf("auctionsql: deposit: %w", err)
	}
	d.Status, d.UpdatedAt = auction.DepositStatus(status), time.UnixMilli(at)
	return d, nil
}

// Save implements auction.DepositStore.
func (s *Deposits) Save(ctx context.Context, tenant string, d auction.Deposit) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE auction_deposits SET payment_id = ?, status = ?, updated_at = ?
		WHERE tenant = ? AND deposit_id = ?`, d.PaymentID, string(d.Status), d.UpdatedAt.UnixMilli(), tenant, d.ID); err != nil {
		return fmt.Errorf("auctionsql: save deposit: %w", err)
	}
	return nil
}

// OfAuction implements auction.DepositStore.
func (s *Deposits) OfAuction(ctx context.Context, tenant, auctionID string) ([]auction.Deposit, error) {
	out, err := dal.All(ctx, s.db.Q(ctx), func(r *sql.Rows) (auction.Deposit, error) { return scanDeposit(r) },
		`SELECT `+depositCols+` FROM auction_deposits WHERE tenant = ? AND auction_id = ? ORDER BY bidder`, tenant, auctionID)
	if err != nil {
		return nil, fmt.Errorf("auctionsql: deposits: %w", err)
	}
	return out, nil
}
