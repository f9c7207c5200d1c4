// Package groupbuysql is the SQL adapter of the group-buying flow, for SQLite and MySQL.
package groupbuysql

import (
	"cmp"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/groupbuy"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("groupbuy", migrationFiles) }

// Store implements groupbuy.Store.
type Store struct{ db *dal.DB }

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db} }

var _ groupbuy.Store = (*Store)(nil)

// PutCampaign implements groupbuy.Store.
func (s *Store) PutCampaign(ctx context.Context, tenant string, c groupbuy.Campaign) error {
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("groupbuysql: encode: %w", err)
	}
	return s.db.Upsert(ctx, `UPDATE groupbuy_campaigns SET status = ?, body = ?, updated_at = ? WHERE tenant = ? AND campaign_id = ?`,
		[]any{c.Status, string(body), c.UpdatedAt, tenant, c.ID},
		`INSERT INTO groupbuy_campaigns (tenant, campaign_id, status, body, updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		[]any{tenant, c.ID, c.Status, string(body), c.UpdatedAt, cmp.Or(c.CreatedAt, c.UpdatedAt)})
}

func (s *Store) campaign(ctx context.Context, q dal.Querier, suffix, tenant, id string) (groupbuy.Campaign, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM groupbuy_campaigns WHERE tenant = ? AND campaign_id = ?`+suffix, tenant, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return groupbuy.Campaign{}, errkind.WithDetail(groupbuy.ErrCampaignNotFound, "group buy %s does not exist", id)
	}
	if err != nil {
		return groupbuy.Campaign{}, fmt.Errorf("groupbuysql: campaign: %w", err)
	}
	var c groupbuy.Campaign
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return groupbuy.Campaign{}, fmt.Errorf("groupbuysql: campaign %s: %w", id, err)
	}
	return c, nil
}

// Campaign implements groupbuy.Store.
func (s *Store) Campaign(ctx context.Context, tenant, id string) (groupbuy.Campaign, error) {
	return s.campaign(ctx, s.db.R(ctx), "", tenant, id)
}

// LockCampaign implements groupbuy.Store.
func (s *Store) LockCampaign(ctx context.Context, tenant, id string) (groupbuy.Campaign, error) {
	return s.campaign(ctx, s.db.Q(ctx), s.db.ForUpdate(), tenant, id)
}

const groupCols = `tenant, group_id, campaign_id, leader, status, size, virtual_fill, expires_at, created_at, ended_at, reason, version`

func scanGroup(row interface{ Scan(...any) error }) (groupbuy.Group, error) {
	var g groupbuy.Group
	var expires, created, ended int64
	err := row.Scan(&g.Tenant, &g.ID, &g.CampaignID, &g.Leader, &g.Status, &g.Size, &g.VirtualFill, &expires, &created, &ended, &g.Reason, &g.Version)
	if err != nil {
		return g, err
	}
	g.ExpiresAt, g.CreatedAt = time.UnixMilli(expires), time.UnixMilli(created)
	if ended > 0 {
		g.EndedAt = time.UnixMilli(ended)
	}
	return g, nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// CreateGroup implements groupbuy.Store.
func (s *Store) CreateGroup(ctx context.Context, g groupbuy.Group) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO groupbuy_groups (`+groupCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		g.Tenant, g.ID, g.CampaignID, g.Leader, g.Status, g.Size, g.VirtualFill, millis(g.ExpiresAt), millis(g.CreatedAt), millis(g.EndedAt), g.Reason)
	if err != nil {
		return fmt.Errorf("groupbuysql: create group: %w", err)
	}
	return nil
}

func (s *Store) group(ctx context.Context, q dal.Querier, suffix, tenant, id string) (groupbuy.Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupCols+` FROM groupbuy_groups WHERE tenant = ? AND group_id = ?`+suffix, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return groupbuy.Group{}, errkind.WithDetail(groupbuy.ErrGroupNotFound, "group %s does not exist", id)
	}
	if err != nil {
		return groupbuy.Group{}, fmt.Errorf("groupbuysql: group: %w", err)
	}
	return g, nil
}

// Group implements groupbuy.Store.
func (s *Store) Group(ctx context.Context, tenant, id string) (groupbuy.Group, error) {
	return s.group(ctx, s.db.R(ctx), "", tenant, id)
}

// LockGroup implements groupbuy.Store.
func (s *Store) LockGroup(ctx context.Context, tenant, id string) (groupbuy.Group, error) {
	return s.group(ctx, s.db.Q(ctx), s.db.ForUpdate(), tenant, id)
}

// SaveGroup implements groupbuy.Store.
func (s *Store) SaveGroup(ctx context.Context, g *groupbuy.Group) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE groupbuy_groups SET status = ?, ended_at = ?, reason = ?, version = version + 1
		WHERE tenant = ? AND group_id = ? AND version = ?`, g.Status, millis(g.EndedAt), g.Reason, g.Tenant, g.ID, g.Version)
	if err != nil {
		return fmt.Errorf("groupbuysql: save group: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("groupbuysql: save group: %w", err)
	} else if n == 0 {
		return errkind.WithDetail(order.ErrConcurrentUpdate, "group %s changed concurrently", g.ID)
	}
	g.Version++
	return nil
}

// Groups implements groupbuy.Store. The cursor is "<created_at>:<group_id>" of the last group
// of the previous page.
func (s *Store) Groups(ctx context.Context, tenant, campaignID string, forming bool, limit int, cursor string) ([]groupbuy.Group, string, error) {
	q := `SELECT ` + groupCols + ` FROM groupbuy_groups WHERE tenant = ? AND campaign_id = ?`
	args := []any{tenant, campaignID}
	if forming {
		q += ` AND status = ?`
		args = append(args, groupbuy.Forming)
	}
	if cursor != "" {
		ts, id, ok := strings.Cut(cursor, ":")
		n, err := strconv.ParseInt(ts, 10, 64)
		if !ok || err != nil || id == "" {
			return nil, "", errkind.WithDetail(order.ErrInvalidCursor, "cursor %q was not handed out here", cursor)
		}
		q += ` AND (created_at < ? OR (created_at = ? AND group_id < ?))`
		args = append(args, n, n, id)
	}
	q += ` ORDER BY created_at DESC, group_id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.R(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("groupbuysql: groups: %w", err)
	}
	defer rows.Close()
	var out []groupbuy.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, "", fmt.Errorf("groupbuysql: groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("groupbuysql: groups: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = strconv.FormatInt(last.CreatedAt.UnixMilli(), 10) + ":" + last.ID
	}
	return out, next, nil
}

const memberCols = `tenant, trade_id, group_id, user_id, units, status, leader, joined_at, updated_at`

func scanMember(row interface{ Scan(...any) error }) (groupbuy.Member, error) {
	var m groupbuy.Member
	var leader int
	var joined, updated int64
	if err := row.Scan(&m.Tenant, &m.TradeID, &m.GroupID, &m.UserID, &m.Units, &m.Status, &leader, &joined, &updated); err != nil {
		return m, err
	}
	m.Leader, m.JoinedAt, m.UpdatedAt = leader == 1, time.UnixMilli(joined), time.UnixMilli(updated)
	return m, nil
}

// AddMember implements groupbuy.Store.
func (s *Store) AddMember(ctx context.Context, m groupbuy.Member) error {
	leader := 0
	if m.Leader {
		leader = 1
	}
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO groupbuy_members (`+memberCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Tenant, m.TradeID, m.GroupID, m.UserID, m.Units, m.Status, leader, millis(m.JoinedAt), millis(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("groupbuysql: add member: %w", err)
	}
	return nil
}

// SaveMember implements groupbuy.Store.
func (s *Store) SaveMember(ctx context.Context, m groupbuy.Member) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE groupbuy_members SET status = ?, updated_at = ? WHERE tenant = ? AND trade_id = ?`,
		m.Status, millis(m.UpdatedAt), m.Tenant, m.TradeID); err != nil {
		return fmt.Errorf("groupbuysql: save member: %w", err)
	}
	return nil
}

// Members implements groupbuy.Store: in the order they joined.
func (s *Store) Members(ctx context.Context, tenant, groupID string) ([]groupbuy.Member, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+memberCols+` FROM groupbuy_members WHERE tenant = ? AND group_id = ?
		ORDER BY joined_at, trade_id`, tenant, groupID)
	if err != nil {
		return nil, fmt.Errorf("groupbuysql: members: %w", err)
	}
	defer rows.Close()
	var out []groupbuy.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("groupbuysql: members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MemberOf implements groupbuy.Store.
func (s *Store) MemberOf(ctx context.Context, tenant, tradeID string) (groupbuy.Member, error) {
	m, err := scanMember(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+memberCols+` FROM groupbuy_members WHERE tenant = ? AND trade_id = ?`,
		tenant, tradeID))
	if errors.Is(err, sql.ErrNoRows) {
		return groupbuy.Member{}, errkind.WithDetail(groupbuy.ErrNotAGroupBuyTrade, "trade %s holds no place in a group", tradeID)
	}
	if err != nil {
		return groupbuy.Member{}, fmt.Errorf("groupbuysql: member: %w", err)
	}
	return m, nil
}

// ClaimUnits implements groupbuy.Store.
func (s *Store) ClaimUnits(ctx context.Context, tenant, campaignID, userID string, units, max int64) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `INSERT INTO groupbuy_claims (tenant, campaign_id, user_id, units) VALUES (?, ?, ?, 0)`,
		tenant, campaignID, userID); err != nil && !dal.IsDuplicate(err) {
		return fmt.Errorf("groupbuysql: claim: %w", err)
	}
	limit := max
	if limit == 0 {
		limit = 1 << 62
	}
	res, err := q.ExecContext(ctx, `UPDATE groupbuy_claims SET units = units + ? WHERE tenant = ? AND campaign_id = ? AND user_id = ? AND units + ? <= ?`,
		units, tenant, campaignID, userID, units, limit)
	if err != nil {
		return fmt.Errorf("groupbuysql: claim: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("groupbuysql: claim: %w", err)
	} else if n == 0 {
		return errkind.WithDetail(groupbuy.ErrPerUserLimit, "group buy %s sells at most %d units to a buyer", campaignID, max)
	}
	return nil
}

// ReleaseUnits implements groupbuy.Store.
func (s *Store) ReleaseUnits(ctx context.Context, tenant, campaignID, userID string, units int64) error {
	if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE groupbuy_claims SET units = units - ? WHERE tenant = ? AND campaign_id = ? AND user_id = ? AND units >= ?`,
		units, tenant, campaignID, userID, units); err != nil {
		return fmt.Errorf("groupbuysql: release: %w", err)
	}
	return nil
}
