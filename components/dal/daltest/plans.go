package daltest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/atriumtrade/atrium/components/dal"
)

// Statements records the distinct statements a workload runs on a database (with the arguments
// of their first run), for CheckPlans.
type Statements struct {
	mu    sync.Mutex
	seen  map[string][]any
	first string
}

// RecordOn starts recording the statements run on db; stop with db.Record(nil).
func (s *Statements) RecordOn(db *dal.DB) {
	s.mu.Lock()
	s.seen, s.first = map[string][]any{}, ""
	s.mu.Unlock()
	db.Record(func(query string, args []any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.seen[query]; !ok {
			s.seen[query] = append([]any(nil), args...)
		}
		if s.first == "" {
			s.first = query
		}
	})
}

// Len is how many distinct statements were recorded.
func (s *Statements) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// First is the first statement recorded and the arguments it ran with.
func (s *Statements) First() (string, []any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.seen[s.first]
}

// Access is how a plan reads one table.
type Access struct {
	Table string
	// Scan: every row (or every index entry) of the table is read.
	Scan bool
	// Keys are the index columns the lookup is bounded by.
	Keys []string
	// Sort: the rows are sorted after they are read (a temporary b-tree, a filesort).
	Sort bool
	// Alternatives: the planner had another index it could have used (MySQL's possible_keys).
	// MySQL chooses between them by sampled statistics, which on a test's few hundred rows may
	// prefer the primary key's tenant prefix to a narrower index that exists; the schema is
	// right either way, and the choice is not stable from run to run.
	Alternatives bool
	Plan         string
}

var (
	explainable = regexp.MustCompile(`(?is)^\s*(SELECT|UPDATE|DELETE|WITH|INSERT\s+INTO\s+\S+\s*(\([^)]*\))?\s*SELECT)\b`)
	aliasRe     = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_][a-z0-9_]*)(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?`)
	sqliteLine  = regexp.MustCompile(`^(SCAN|SEARCH) (\S+)(?: USING (?:COVERING )?(?:INDEX \S+|INTEGER PRIMARY KEY|PRIMARY KEY))?(?: \((.*)\))?`)
	keyPartRe   = regexp.MustCompile(`([a-z_0-9]+)\s*[=<>]`)
	notAliases  = map[string]bool{"where": true, "set": true, "on": true, "join": true, "left": true, "inner": true, "order": true,
		"group": true, "limit": true, "values": true, "select": true, "using": true}
)

// aliases maps each table alias a query uses (and each table name) to its table.
func aliases(query string) map[string]string {
	out := map[string]string{}
	for _, m := range aliasRe.FindAllStringSubmatch(query, -1) {
		table := strings.ToLower(m[1])
		out[table] = table
		if a := strings.ToLower(m[2]); a != "" && !notAliases[a] {
			out[a] = table
		}
	}
	return out
}

// Explain returns how the database plans query: one Access per table it reads. Statements that
// have no plan (INSERT ... VALUES, DDL) return nothing.
func Explain(ctx context.Context, db *dal.DB, query string, args []any) ([]Access, error) {
	if !explainable.MatchString(query) {
		return nil, nil
	}
	names := aliases(query)
	table := func(name string) string {
		if t, ok := names[strings.ToLower(name)]; ok {
			return t
		}
		return strings.ToLower(name)
	}
	if db.Dialect() == dal.SQLite {
		rows, err := db.Primary().QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []Access
		sorts := false
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return nil, err
			}
			if strings.HasPrefix(detail, "USE TEMP B-TREE") {
				sorts = true
				continue
			}
			m := sqliteLine.FindStringSubmatch(detail)
			if m == nil || strings.HasPrefix(m[2], "CONSTANT") {
				continue
			}
			a := Access{Table: table(m[2]), Scan: m[1] == "SCAN", Plan: detail}
			for _, k := range keyPartRe.FindAllStringSubmatch(m[3], -1) {
				a.Keys = append(a.Keys, k[1])
			}
			out = append(out, a)
		}
		for i := range out {
			out[i].Sort = sorts
		}
		return out, rows.Err()
	}
	var raw string
	if err := db.Primary().QueryRowContext(ctx, "EXPLAIN FORMAT=JSON "+query, args...).Scan(&raw); err != nil {
		return nil, err
	}
	var plan any
	if err := json.Unmarshal([]byte(raw), &plan); err != nil {
		return nil, err
	}
	var out []Access
	sorts := strings.Contains(raw, `"filesort"`) || strings.Contains(raw, `"temporary_table"`)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x["table_name"].(string); ok {
				if access, _ := x["access_type"].(string); access != "" {
					a := Access{Table: table(name), Scan: access == "ALL" || access == "index", Sort: sorts,
						Plan: fmt.Sprintf("%s %s on %v %v", access, name, x["key"], x["used_key_parts"])}
					if keys, ok := x["possible_keys"].([]any); ok && len(keys) > 1 {
						a.Alternatives = true
					}
					if parts, ok := x["used_key_parts"].([]any); ok && access != "index" {
						for _, p := range parts {
							a.Keys = append(a.Keys, fmt.Sprint(p))
						}
					}
					out = append(out, a)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(plan)
	return out, nil
}

// limited reports whether a query reads a bounded page (LIMIT without OFFSET past the start).
var limited = regexp.MustCompile(`(?i)\bLIMIT\s+(\?|\d+)\s*$`)

// CheckPlans fails t for every recorded statement whose plan reads a growing table (one that
// grows with orders, payments, events, ...) in full, or by tenant alone: both cost in proportion
// to what is stored, so a request path using them slows down as the database grows. A read of
// one page in index order (LIMIT, no sort) is allowed to be bounded by the tenant alone, and so
// is a MySQL read whose planner had a narrower index to choose (see Access.Alternatives); SQLite,
// which runs without statistics, plans from the indexes alone and is held to the rule strictly.
func CheckPlans(t testing.TB, db *dal.DB, s *Statements, growing []string) {
	t.Helper()
	grow := map[string]bool{}
	for _, g := range growing {
		grow[g] = true
	}
	s.mu.Lock()
	queries := make([]string, 0, len(s.seen))
	for q := range s.seen {
		queries = append(queries, q)
	}
	s.mu.Unlock()
	sort.Strings(queries)
	checked := 0
	for _, q := range queries {
		plan, err := Explain(context.Background(), db, q, s.seen[q])
		if err != nil {
			t.Errorf("explain %s: %v", oneLine(q), err)
			continue
		}
		for _, a := range plan {
			if !grow[a.Table] {
				continue
			}
			checked++
			byTenantOnly := len(a.Keys) == 0 || (len(a.Keys) == 1 && a.Keys[0] == "tenant")
			page := limited.MatchString(strings.TrimSpace(q)) && !a.Sort
			switch {
			case a.Scan:
				t.Errorf("%s: full scan of %s (%s) in\n\t%s", db.Dialect(), a.Table, a.Plan, oneLine(q))
			case byTenantOnly && !page && !a.Alternatives:
				t.Errorf("%s: %s read by tenant alone (%s) in\n\t%s", db.Dialect(), a.Table, a.Plan, oneLine(q))
			}
		}
	}
	if checked == 0 {
		t.Errorf("no recorded statement read a growing table; the workload proves nothing")
	}
	t.Logf("%s: %d statements, %d reads of growing tables checked", db.Dialect(), len(queries), checked)
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// Analyze refreshes the planner's statistics of tables (MySQL's are sampled when a table grows;
// a test that has just filled them asks for them now). SQLite is left as it runs in production:
// without statistics, so its plans must be right from the indexes alone.
func Analyze(ctx context.Context, db *dal.DB, tables []string) error {
	if db.Dialect() != dal.MySQL {
		return nil
	}
	for _, tb := range tables {
		var a, b, c, d sql.NullString
		if err := db.Primary().QueryRowContext(ctx, "ANALYZE TABLE "+tb).Scan(&a, &b, &c, &d); err != nil {
			return fmt.Errorf("analyze %s: %w", tb, err)
		}
	}
	return nil
}
