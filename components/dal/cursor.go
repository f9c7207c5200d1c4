package dal

import (
	"encoding/base64"
	"regexp"
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
