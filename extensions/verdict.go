package extensions

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Verdict is the output of a point that accepts or refuses what it is shown (an order, a way to
// pay); a refusal's message is shown to the buyer.
type Verdict struct {
	Reject  bool   `json:"reject"`
	Message string `json:"message"`
}

// CheckVerdict is the Check of such a point: a refusal says why, in 1-200 characters.
func CheckVerdict[In any](_ In, v Verdict) error {
	if v.Reject && (strings.TrimSpace(v.Message) == "" || utf8.RuneCountInString(v.Message) > 200) {
		return errkind.Invalidf("a rejection needs a message of 1-200 characters")
	}
	return nil
}

// Public is the verdict's message fit to show: trimmed, with control characters left out.
func (v Verdict) Public() string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, strings.TrimSpace(v.Message))
}
