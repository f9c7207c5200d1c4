package dal

import (
	"encoding/base64"
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

// Page cuts rows that a list read with LIMIT limit+1 to limit, and names the next page by the
// last row kept (key makes its cursor key); next is empty when there is no more.
func Page[T any](rows []T, limit int, key func(T) string) (page []T, next string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, Cursor(key(rows[limit-1]))
}

// AtCursorKey is the cursor key of a row listed newest first by a time (unix ms), then an id.
func AtCursorKey(at int64, id string) string { return strconv.FormatInt(at, 10) + ":" + id }

// ParseAtCursor reads a cursor made of an AtCursorKey; ok is false for one it could not have made.
func ParseAtCursor(cursor string) (at int64, id string, ok bool) {
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
