// Package extsql is the SQL adapter of extensions.Store for SQLite and MySQL: script versions,
// publications (a stack per scope and point, so rollback restores what came before), the
// revision counter nodes poll, and the per-trade records of which scripts ran.
package extsql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema of this adapter.
func Migrations() dal.Migrations { return dal.Embedded("extensions", migrationFiles) }

// Store implements extensions.Store. Scripts, publications and the revision are the platform's
// own (every node loads every tenant's publications), on the directory pod; the records of which
// scripts ran for a trade are the tenant's, on its pod, written in the trade's transaction.
type Store struct {
	db   *dal.DB // the directory pod
	runs *dal.DB // routed by tenant
}

// New returns a Store on db.
func New(db *dal.DB) *Store { return &Store{db: db.Platform(), runs: db.Routed()} }

var _ extensions.Store = (*Store)(nil)

const versionCols = `tenant, script_id, version, point, source, hash, author, notes, created_at`

func scanVersion(row interface{ Scan(...any) error }) (extensions.StoredVersion, error) {
	var v extensions.StoredVersion
	var at int64
	err := row.Scan(&v.Tenant, &v.ScriptID, &v.Version, &v.Point, &v.Source, &v.Hash, &v.Author, &v.Notes, &at)
	v.CreatedAt = time.UnixMilli(at)
	return v, err
}

// SaveVersion implements extensions.Store.
func (s *Store) SaveVersion(ctx context.Context, v extensions.StoredVersion) (extensions.StoredVersion, error) {
	var saved extensions.StoredVersion
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		latest, err := scanVersion(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+versionCols+` FROM ext_scripts
			WHERE tenant = ? AND script_id = ? ORDER BY version DESC LIMIT 1`+s.db.ForUpdate(), v.Tenant, v.ScriptID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			v.Version = 1
		case err != nil:
			return fmt.Errorf("extsql: latest version: %w", err)
		case latest.Hash == v.Hash:
			saved = latest // the same content again: the same version
			return nil
		case latest.Point != v.Point:
			return errkind.WithDetail(extensions.ErrInvalidScript, "script %s is for %s; a new version cannot change its point", v.ScriptID, latest.Point)
		default:
			v.Version = latest.Version + 1
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO ext_scripts (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Tenant, v.ScriptID, v.Version, v.Point, v.Source, v.Hash, v.Author, v.Notes, v.CreatedAt.UnixMilli()); err != nil {
			return fmt.Errorf("extsql: save version: %w", err)
		}
		saved = v
		return nil
	})
	return saved, err
}

// Version implements extensions.Store.
func (s *Store) Version(ctx context.Context, tenant, scriptID string, version int) (extensions.StoredVersion, error) {
	v, err := scanVersion(s.db.R(ctx).QueryRowContext(ctx, `SELECT `+versionCols+` FROM ext_scripts
		WHERE tenant = ? AND script_id = ? AND version = ?`, tenant, scriptID, version))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errkind.WithDetail(extensions.ErrScriptNotFound, "script %s has no version %d", scriptID, version)
	}
	if err != nil {
		return v, fmt.Errorf("extsql: version: %w", err)
	}
	return v, nil
}

// Versions implements extensions.Store.
func (s *Store) Versions(ctx context.Context, tenant, scriptID string) ([]extensions.StoredVersion, error) {
	q := `SELECT ` + versionCols + ` FROM ext_scripts WHERE tenant = ?`
	args := []any{tenant}
	if scriptID != "" {
		q += ` AND script_id = ?`
		args = append(args, scriptID)
	}
	out, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (extensions.StoredVersion, error) { return scanVersion(r) },
		q+` ORDER BY script_id, version`, args...)
	if err != nil {
		return nil, fmt.Errorf("extsql: versions: %w", err)
	}
	return out, nil
}

const pubCols = `tenant, scope, point, stable_script, stable_version, gray_script, gray_version, gray_bp, published_by, published_at`

func scanPub(row interface{ Scan(...any) error }) (extensions.Publication, error) {
	var p extensions.Publication
	var at int64
	err := row.Scan(&p.Tenant, &p.Scope, &p.Point, &p.StableScript, &p.StableVersion, &p.GrayScript, &p.GrayVersion, &p.GrayBP, &p.By, &at)
	p.At = time.UnixMilli(at)
	return p, err
}

func (s *Store) bump(ctx context.Context) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE ext_revision SET rev = rev + 1 WHERE id = 1`)
	return err
}

// Publish implements extensions.Store.
func (s *Store) Publish(ctx context.Context, p extensions.Publication) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		// Lock the revision row first: publications serialize, so seq numbers never collide.
		if err := s.bump(ctx); err != nil {
			return fmt.Errorf("extsql: bump revision: %w", err)
		}
		var seq int64
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM ext_publications
			WHERE tenant = ? AND scope = ? AND point = ?`, p.Tenant, p.Scope, p.Point).Scan(&seq); err != nil {
			return fmt.Errorf("extsql: next seq: %w", err)
		}
		_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO ext_publications (tenant, scope, point, seq, stable_script, stable_version,
			gray_script, gray_version, gray_bp, published_by, published_at, rolled_back) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			p.Tenant, p.Scope, p.Point, seq+1, p.StableScript, p.StableVersion, p.GrayScript, p.GrayVersion, p.GrayBP, p.By, p.At.UnixMilli())
		if err != nil {
			return fmt.Errorf("extsql: publish: %w", err)
		}
		return nil
	})
}

func (s *Store) current(ctx context.Context, tenant, scope, point string) (*extensions.Publication, int64, error) {
	var seq int64
	row := s.db.Q(ctx).QueryRowContext(ctx, `SELECT seq, `+pubCols+` FROM ext_publications
		WHERE tenant = ? AND scope = ? AND point = ? AND rolled_back = 0 ORDER BY seq DESC LIMIT 1`, tenant, scope, point)
	var p extensions.Publication
	var at int64
	err := row.Scan(&seq, &p.Tenant, &p.Scope, &p.Point, &p.StableScript, &p.StableVersion, &p.GrayScript, &p.GrayVersion,
		&p.GrayBP, &p.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("extsql: current publication: %w", err)
	}
	p.At = time.UnixMilli(at)
	return &p, seq, nil
}

// Current implements extensions.Store.
func (s *Store) Current(ctx context.Context, tenant, scope, point string) (*extensions.Publication, error) {
	p, _, err := s.current(ctx, tenant, scope, point)
	return p, err
}

// Rollback implements extensions.Store.
func (s *Store) Rollback(ctx context.Context, tenant, scope, point string) (*extensions.Publication, error) {
	var now *extensions.Publication
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.bump(ctx); err != nil {
			return fmt.Errorf("extsql: bump revision: %w", err)
		}
		_, seq, err := s.current(ctx, tenant, scope, point)
		if err != nil {
			return err
		}
		if seq == 0 {
			return errkind.WithDetail(extensions.ErrNothingToRollBack, "nothing is published for %s at %s", point, scope)
		}
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE ext_publications SET rolled_back = 1
			WHERE tenant = ? AND scope = ? AND point = ? AND seq = ?`, tenant, scope, point, seq); err != nil {
			return fmt.Errorf("extsql: roll back: %w", err)
		}
		now, _, err = s.current(ctx, tenant, scope, point)
		return err
	})
	return now, err
}

// Publications implements extensions.Store.
func (s *Store) Publications(ctx context.Context, tenant string) ([]extensions.Publication, error) {
	all, err := s.currentAll(ctx, "WHERE p.tenant = ?", tenant)
	if err != nil {
		return nil, err
	}
	return all, nil
}

// currentAll returns the current publication of every (tenant, scope, point) matching where.
func (s *Store) currentAll(ctx context.Context, where string, args ...any) ([]extensions.Publication, error) {
	all, err := dal.All(ctx, s.db.R(ctx), func(r *sql.Rows) (extensions.Publication, error) { return scanPub(r) },
		`SELECT p.tenant, p.scope, p.point, p.stable_script, p.stable_version,
		p.gray_script, p.gray_version, p.gray_bp, p.published_by, p.published_at FROM ext_publications p
		JOIN (SELECT tenant, scope, point, MAX(seq) AS seq FROM ext_publications WHERE rolled_back = 0 GROUP BY tenant, scope, point) c
		ON c.tenant = p.tenant AND c.scope = p.scope AND c.point = p.point AND c.seq = p.seq `+where+`
		ORDER BY p.tenant, p.point, p.scope`, args...)
	if err != nil {
		return nil, fmt.Errorf("extsql: publications: %w", err)
	}
	var out []extensions.Publication
	for _, p := range all {
		if p.StableScript != "" || p.GrayScript != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// Active implements extensions.Store.
func (s *Store) Active(ctx context.Context) ([]extensions.BindingSet, error) {
	pubs, err := s.currentAll(ctx, "")
	if err != nil {
		return nil, err
	}
	cache := map[string]*extensions.Version{}
	load := func(tenant, script string, version int) (*extensions.Version, error) {
		if script == "" {
			return nil, nil
		}
		key := fmt.Sprintf("%s/%s/%d", tenant, script, version)
		if v, ok := cache[key]; ok {
			return v, nil
		}
		sv, err := s.Version(ctx, tenant, script, version)
		if err != nil {
			return nil, err
		}
		v := &extensions.Version{ScriptID: sv.ScriptID, Version: sv.Version, Hash: sv.Hash, Source: sv.Source}
		cache[key] = v
		return v, nil
	}
	out := make([]extensions.BindingSet, 0, len(pubs))
	for _, p := range pubs {
		stable, err := load(p.Tenant, p.StableScript, p.StableVersion)
		if err != nil {
			return nil, err
		}
		gray, err := load(p.Tenant, p.GrayScript, p.GrayVersion)
		if err != nil {
			return nil, err
		}
		out = append(out, extensions.BindingSet{Point: p.Point, Scope: p.Scope, Stable: stable, Gray: gray, GrayBP: p.GrayBP})
	}
	return out, nil
}

// Revision implements extensions.Store.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var rev int64
	// The primary, not a replica: a lagging replica would delay the reload.
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT rev FROM ext_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("extsql: revision: %w", err)
	}
	return rev, nil
}

// maxRecorded bounds what a run record keeps of an input or output.
const maxRecorded = 128 << 10

func clip(b []byte) string {
	if len(b) > maxRecorded {
		return string(b[:maxRecorded])
	}
	return string(b)
}

// SaveRuns implements extensions.Store; it joins the caller's transaction. The records go in as
// one statement: they are written inside the order's transaction, where every statement costs.
func (s *Store) SaveRuns(ctx context.Context, tenant, tradeID string, recs []extensions.Record) error {
	if len(recs) == 0 {
		return nil
	}
	now := time.Now().UnixMilli()
	q := `INSERT INTO ext_runs (tenant, trade_id, seq, point, scope, script_id, version, hash, gray, outcome, input, previous,
		output, error, created_at, biz_code, scenario) VALUES `
	args := make([]any, 0, len(recs)*17)
	for i, r := range recs {
		if i > 0 {
			q += ", "
		}
		q += "(" + dal.Placeholders(17) + ")"
		gray := 0
		if r.Binding.Gray {
			gray = 1
		}
		msg := r.Error
		if len(msg) > 500 {
			msg = msg[:500]
		}
		args = append(args, tenant, tradeID, i+1, r.Point, r.Binding.Scope, r.Binding.ScriptID, r.Binding.Version, r.Binding.Hash, gray,
			string(r.Outcome), clip(r.Input), clip(r.Previous), clip(r.Output), msg, now, r.BizCode, r.Scenario)
	}
	if _, err := s.runs.Q(ctx).ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("extsql: save runs: %w", err)
	}
	return nil
}

const runCols = `trade_id, seq, point, scope, script_id, version, hash, gray, outcome, input, previous, output, error, created_at,
	biz_code, scenario`

func scanRun(rows *sql.Rows) (r extensions.RunRecord, err error) {
	var gray int
	var outcome, in, prev, output string
	var at int64
	if err := rows.Scan(&r.TradeID, &r.Seq, &r.Point, &r.Binding.Scope, &r.Binding.ScriptID, &r.Binding.Version, &r.Binding.Hash, &gray,
		&outcome, &in, &prev, &output, &r.Error, &at, &r.BizCode, &r.Scenario); err != nil {
		return r, err
	}
	r.Binding.Gray, r.Outcome, r.At = gray == 1, extensions.Outcome(outcome), time.UnixMilli(at)
	r.Input, r.Output = []byte(in), []byte(output)
	if prev != "" {
		r.Previous = []byte(prev)
	}
	return r, nil
}

// Runs implements extensions.Store.
func (s *Store) Runs(ctx context.Context, tenant, tradeID string) ([]extensions.RunRecord, error) {
	out, err := dal.All(ctx, s.runs.R(ctx), scanRun, `SELECT `+runCols+` FROM ext_runs WHERE tenant = ? AND trade_id = ? ORDER BY seq`, tenant, tradeID)
	if err != nil {
		return nil, fmt.Errorf("extsql: runs: %w", err)
	}
	return out, nil
}

// RecentRuns implements extensions.Store: the latest calls of point that a publication at scope
// would serve, along ext_runs_by_point_time (a tenant-wide scope) or ext_runs_by_point_biz. A
// call is served by it when scope covers the call's business identity and what ran for the call
// was no more specific (a script at scope or at a wider one, or the default): a more specific
// publication would still win. Calls logged before identities were (biz_code ”) are matched by
// the scope they ran at, as they were.
func (s *Store) RecentRuns(ctx context.Context, tenant, scope, point string, since time.Time, limit int) ([]extensions.RunRecord, error) {
	who, what, _ := strings.Cut(scope, "/")
	widths := []any{"", tenant + "/*"} // what may have run: the default, a tenant-wide script
	where, args := `tenant = ? AND point = ? AND created_at >= ?`, []any{tenant, point, since.UnixMilli()}
	if who != tenant {
		widths = append(widths, who+"/*")
		if what != "*" {
			widths = append(widths, scope)
		}
		cover := `biz_code = ?`
		cargs := []any{who}
		if what != "*" {
			cover, cargs = cover+` AND scenario = ?`, append(cargs, what)
		}
		where += ` AND ((` + cover + `) OR (biz_code = '' AND scope = ?))`
		args = append(append(args, cargs...), scope)
	}
	where += ` AND scope IN (` + dal.Placeholders(len(widths)) + `)`
	args = append(args, widths...)
	out, err := dal.All(ctx, s.runs.R(ctx), scanRun, `SELECT `+runCols+` FROM ext_runs WHERE `+where+`
		ORDER BY created_at DESC, trade_id DESC, seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("extsql: recent runs: %w", err)
	}
	return out, nil
}
