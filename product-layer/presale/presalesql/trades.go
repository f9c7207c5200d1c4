package presalesql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/presale"
)

var _ presale.TradeStore = (*Store)(nil)

// CreateRecord implements presale.TradeStore.
func (s *Store) CreateRecord(ctx context.Context, r presale.Record) error {
	shares, err := json.Marshal(r.Orders)
	if err != nil {
		return fmt.Errorf("presalesql: encode shares: %w", err)
	}
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO presale_trades (tenant, trade_id, campaign_id, user_id, currency, deposit, credit,
		balance, units, deposit_status, shares, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Tenant, r.TradeID, r.CampaignID, r.UserID, r.Currency, r.Deposit, r.Credit, r.Balance, r.Units, r.DepositStatus, string(shares),
		r.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("presalesql: create record: %w", err)
	}
	return nil
}

func (s *Store) record(ctx context.Context, q dal.Querier, suffix, tenant, tradeID string) (presale.Record, error) {
	r := presale.Record{Tenant: tenant, TradeID: tradeID}
	var shares string
	var created int64
	err := q.QueryRowContext(ctx, `SELECT campaign_id, user_id, currency, deposit, credit, balance, units, deposit_status, shares, created_at
		FROM presale_trades WHERE tenant = ? AND trade_id = ?`+suffix, tenant, tradeID).Scan(&r.CampaignID, &r.UserID, &r.Currency,
		&r.Deposit, &r.Credit, &r.Balance, &r.Units, &r.DepositStatus, &shares, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return presale.Record{}, presale.ErrNotAPresaleTrade
	}
	if err != nil {
		return presale.Record{}, fmt.Errorf("presalesql: record: %w", err)
	}
	if err := json.Unmarshal([]byte(shares), &r.Orders); err != nil {
		return presale.Record{}, fmt.Errorf("presalesql: record %s: %w", tradeID, err)
	}
	r.CreatedAt = time.UnixMilli(created)
	return r, nil
}

// Record implements presale.TradeStore.
func (s *Store) Record(ctx context.Context, tenant, tradeID string) (presale.Record, error) {
	return s.record(ctx, s.db.R(ctx), "", tenant, tradeID)
}

// LockRecord implements presale.TradeStore.
func (s *Store) LockRecord(ctx context.Context, tenant, tradeID string) (presale.Record, error) {
	return s.record(ctx, s.db.Q(ctx), s.db.ForUpdate(), tenant, tradeID)
}

// SetDepositStatus implements presale.TradeStore.
func (s *Store) SetDepositStatus(ctx context.Context, tenant, tradeID, status string) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE presale_trades SET deposit_status = ? WHERE tenant = ? AND trade_id = ?`,
		status, tenant, tradeID); err != nil {
		return fmt.Errorf("presalesql: deposit status: %w", err)
	}
	return nil
}

// ClaimUnits implements presale.TradeStore: the row is created if missing (a duplicate from a
// parallel first claim is fine), then one conditional update claims within the cap.
func (s *Store) ClaimUnits(ctx context.Context, tenant, campaignID, userID string, units, max int64) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `INSERT INTO presale_claims (tenant, campaign_id, user_id, units) VALUES (?, ?, ?, 0)`,
		tenant, campaignID, userID); err != nil && !dal.IsDuplicate(err) {
		return fmt.Errorf("presalesql: claim: %w", err)
	}
	cap := max
	if cap == 0 {
		cap = 1 << 62
	}
	res, err := q.ExecContext(ctx, `UPDATE presale_claims SET units = units + ? WHERE tenant = ? AND campaign_id = ? AND user_id = ? AND units + ? <= ?`,
		units, tenant, campaignID, userID, units, cap)
	if err != nil {
		return fmt.Errorf("presalesql: claim: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("presalesql: claim: %w", err)
	} else if n == 0 {
		return errkind.WithDetail(presale.ErrPerUserLimit, "pre-sale %s sells at most %d units to a buyer", campaignID, max)
	}
	return nil
}

// ReleaseUnits implements presale.TradeStore.
func (s *Store) ReleaseUnits(ctx context.Context, tenant, campaignID, userID string, units int64) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE presale_claims SET units = units - ? WHERE tenant = ? AND campaign_id = ? AND user_id = ? AND units >= ?`,
		units, tenant, campaignID, userID, units); err != nil {
		return fmt.Errorf("presalesql: release: %w", err)
	}
	return nil
}

// TradesOf implements presale.TradeStore.
func (s *Store) TradesOf(ctx context.Context, tenant, campaignID string) ([]string, error) {
	return dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT trade_id FROM presale_trades WHERE tenant = ? AND campaign_id = ? ORDER BY trade_id`, tenant, campaignID)
}
