package auctionsql

import (
	"context"
	"database/sql"
	"encoding/json"
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

const depositCols = `deposit_id, auction_id, bidder, amount, currency, payment_id, status, updated_at, ship_to`

// Create implements auction.DepositStore.
func (s *Deposits) Create(ctx context.Context, tenant string, d auction.Deposit) (auction.Deposit, bool, error) {
	shipTo, err := json.Marshal(d.ShipTo)
	if err != nil {
		return auction.Deposit{}, false, fmt.Errorf("auctionsql: encode address: %w", err)
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO auction_deposits (tenant, `+depositCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, d.ID, d.AuctionID, d.Bidder, d.Amount, d.Currency, d.PaymentID, string(d.Status), d.UpdatedAt.UnixMilli(), string(shipTo))
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
	var shipTo sql.NullString
	err := row.Scan(&d.ID, &d.AuctionID, &d.Bidder, &d.Amount, &d.Currency, &d.PaymentID, &status, &at, &shipTo)
	if errors.Is(err, sql.ErrNoRows) {
		return d, auction.ErrDepositNotFound
	}
	if err != nil {
		return d, fmt.Errorf("auctionsql: deposit: %w", err)
	}
	if shipTo.Valid && shipTo.String != "" {
		if err := json.Unmarshal([]byte(shipTo.String), &d.ShipTo); err != nil {
			return d, fmt.Errorf("auctionsql: deposit %s address: %w", d.ID, err)
		}
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

// Sales implements auction.SaleStore.
type Sales struct{ db *dal.DB }

// NewSales returns a Sales on db.
func NewSales(db *dal.DB) *Sales { return &Sales{db: db} }

var _ auction.SaleStore = (*Sales)(nil)

const saleCols = `trade_id, auction_id, bidder, price, credit, deposit_id, second_chance, created_at, outcome, ended_at`

// CreateSale implements auction.SaleStore.
func (s *Sales) CreateSale(ctx context.Context, tenant string, x auction.Sale) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO auction_sales (tenant, `+saleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, x.TradeID, x.AuctionID, x.Bidder, x.Price, x.Credit, x.DepositID, x.SecondChance, x.CreatedAt.UnixMilli(),
		string(x.Outcome), dal.NullMillis(x.EndedAt)); err != nil {
		return fmt.Errorf("auctionsql: create sale: %w", err)
	}
	return nil
}

func scanSale(r interface{ Scan(...any) error }) (auction.Sale, error) {
	var x auction.Sale
	var at int64
	var outcome string
	var ended sql.NullInt64
	err := r.Scan(&x.TradeID, &x.AuctionID, &x.Bidder, &x.Price, &x.Credit, &x.DepositID, &x.SecondChance, &at, &outcome, &ended)
	x.CreatedAt, x.Outcome, x.EndedAt = time.UnixMilli(at), auction.SaleOutcome(outcome), dal.TimeOf(ended)
	return x, err
}

// EndSale implements auction.SaleStore.
func (s *Sales) EndSale(ctx context.Context, tenant, tradeID string, outcome auction.SaleOutcome, at time.Time) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE auction_sales SET outcome = ?, ended_at = ? WHERE tenant = ? AND trade_id = ?`,
		string(outcome), at.UnixMilli(), tenant, tradeID)
	if err != nil {
		return fmt.Errorf("auctionsql: end sale: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return auction.ErrNotFound
	}
	return nil
}

// SaleOf implements auction.SaleStore.
func (s *Sales) SaleOf(ctx context.Context, tenant, tradeID string) (auction.Sale, error) {
	x, err := scanSale(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+saleCols+` FROM auction_sales WHERE tenant = ? AND trade_id = ?`, tenant, tradeID))
	if errors.Is(err, sql.ErrNoRows) {
		return x, auction.ErrNotFound
	}
	if err != nil {
		return x, fmt.Errorf("auctionsql: sale: %w", err)
	}
	return x, nil
}

// Sales implements auction.SaleStore.
func (s *Sales) Sales(ctx context.Context, tenant, auctionID string) ([]auction.Sale, error) {
	out, err := dal.All(ctx, s.db.Q(ctx), func(r *sql.Rows) (auction.Sale, error) { return scanSale(r) },
		`SELECT `+saleCols+` FROM auction_sales WHERE tenant = ? AND auction_id = ? ORDER BY created_at, trade_id`, tenant, auctionID)
	if err != nil {
		return nil, fmt.Errorf("auctionsql: sales: %w", err)
	}
	return out, nil
}
