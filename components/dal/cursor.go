package dal

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

var cursorKeyRe = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// Cursor makes an opaque list cursor of the key of a page's last row (an id, or "<ms>:<id>"), so
// that clients pass it back as it is instead of building their own.
func Cursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// ParseCursor reads a cursor Cursor made; ok is false for one it could not have made.
func ParseCursor(cursor string) (key string, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !cursorKeyRe.Match(b) {
		return "", false
	}
	return string(b), true
}

// ErrBadCursor is a cursor this package could not have made; a store wraps it in its own
// invalid-cursor error.
var ErrBadCursor = errors.New("dal: not a cursor of this list")

// Newest is a list read newest first: rows of Table whose Where holds (with Args), ordered by
// the time column At (unix ms) descending, then the id column ID descending. Cols are what scan
// reads, the time and the id included where the row's key needs them.
type Newest struct {
	Table, Cols, Where string
	Args               []any
	At, ID             string
}

// ListNewest reads one page of l, up to limit rows after cursor (empty: from the newest), and the
// cursor of the page after it (empty at the end). key gives a row's time and id: the page's last
// row names where the next one starts, so rows written while a client pages come before its
// cursor or after, and none repeats or is skipped. A cursor it did not make is ErrBadCursor.
func ListNewest[T any](ctx context.Context, q Querier, l Newest, limit int, cursor string, scan func(*sql.Rows) (T, error),
	key func(T) (at int64, id string)) ([]T, string, error) {
	where, args := l.Where, append([]any(nil), l.Args...)
	if cursor != "" {
		at, id, ok := parseAtCursor(cursor)
		if !ok {
			return nil, "", ErrBadCursor
		}
		where += ` AND (` + l.At + ` < ? OR (` + l.At + ` = ? AND ` + l.ID + ` < ?))`
		args = append(args, at, at, id)
	}
	rows, err := All(ctx, q, scan, `SELECT `+l.Cols+` FROM `+l.Table+` WHERE `+where+` ORDER BY `+l.At+` DESC, `+l.ID+` DESC LIMIT ?`,
		append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	kept, next := page(rows, limit, func(r T) string { return atCursorKey(key(r)) })
	return kept, next, nil
}

// ListNewestJSON is ListNewest over rows whose Cols are a JSON document and its time: each is
// decoded into a T, and id names a T in the cursor.
func ListNewestJSON[T any](ctx context.Context, q Querier, l Newest, limit int, cursor string, id func(T) string) ([]T, string, error) {
	type doc struct {
		v  T
		at int64
	}
	docs, next, err := ListNewest(ctx, q, l, limit, cursor, func(r *sql.Rows) (d doc, err error) {
		var body string
		if err := r.Scan(&body, &d.at); err != nil {
			return d, err
		}
		return d, json.Unmarshal([]byte(body), &d.v)
	}, func(d doc) (int64, string) { return d.at, id(d.v) })
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(docs))
	for i, d := range docs {
		out[i] = d.v
	}
	return out, next, nil
}

// page cuts rows that a list read with LIMIT limit+1 to limit, and names the next page by the
// last row kept (key makes its cursor key); next is empty when there is no more.
func page[T any](rows []T, limit int, key func(T) string) (kept []T, next string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, Cursor(key(rows[limit-1]))
}

// atCursorKey is the cursor key of a row listed newest first by a time (unix ms), then an id.
func atCursorKey(at int64, id string) string { return strconv.FormatInt(at, 10) + ":" + id }

// parseAtCursor reads a cursor made of an atCursorKey; ok is false for one it could not have made.
func parseAtCursor(cursor string) (at int64, id string, ok bool) {
	key, ok := ParseCursor(cursor)
	if !ok {
		return 0, "", false
	}
	a, id, ok := strings.Cut(key, ":")
	if !ok || id == "" {
		return 0, "", false
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, id, true
}
