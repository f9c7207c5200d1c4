// Package errkind defines the kinds of failure and the stable error codes that every layer of
// Atrium speaks: capabilities declare their sentinels with New, the RPC boundary carries the code
// across Kitex, and the access layer maps codes to HTTP statuses and channel envelopes.
//
// Codes are append-only: once a code such as "inventory.insufficient_stock" has shipped, clients
// depend on it, so it is never renamed or reused.
package errkind

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Kind classifies a failure so that a boundary can choose a status without knowing every code.
type Kind uint8

// The kinds. New kinds are appended, never inserted.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Unauthenticated
	Forbidden
	Exhausted
	Unavailable
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "unauthenticated", "forbidden", "exhausted", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is a sentinel with a stable code. Compare with errors.Is; it is safe to wrap with %w.
type Error struct {
	code   string
	kind   Kind
	public string
}

// Error returns the log message: the code followed by the public message.
func (e *Error) Error() string { return e.code + ": " + e.public }

// Code is the stable machine-readable code, e.g. "inventory.insufficient_stock".
func (e *Error) Code() string { return e.code }

// Kind is the class of failure.
func (e *Error) Kind() Kind { return e.kind }

// Public is the message a client may see.
func (e *Error) Public() string { return e.public }

var (
	mu       sync.RWMutex
	registry = map[string]*Error{}
)

// New declares a sentinel with a stable code and a public message. It panics if the code is
// declared twice: that is a programming error found at start-up, not a runtime condition.
func New(kind Kind, code, public string) *Error {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[code]; dup {
		panic("errkind: duplicate code " + code)
	}
	e := &Error{code: code, kind: kind, public: public}
	registry[code] = e
	return e
}

// Remote returns a sentinel for a code this binary does not declare: one a newer peer sent
// across the wire. It is not registered, so a node one version behind still answers the code,
// with the status of its kind, instead of an internal error.
func Remote(kind Kind, code, public string) *Error {
	if int(kind) >= len(kindNames) {
		kind = Internal
	}
	return &Error{code: code, kind: kind, public: public}
}

// Lookup returns the sentinel declared for code, if any package linked into the binary declared it.
func Lookup(code string) (*Error, bool) {
	mu.RLock()
	defer mu.RUnlock()
	e, ok := registry[code]
	return e, ok
}

// All returns every declared sentinel, sorted by code.
func All() []*Error {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]*Error, 0, len(registry))
	for _, e := range registry {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].code < out[j].code })
	return out
}

// detailed adds a public detail to a sentinel, e.g. which field was invalid, and the fields at
// fault when a form's fields were checked one by one.
type detailed struct {
	base   *Error
	detail string
	fields []FieldError
}

// FieldError is what is wrong with one field of a request, for a form to show beside it.
type FieldError struct {
	// Field is the field's path as the API spells it: "address.postalCode".
	Field string `json:"field"`
	// Code is stable per kind of fault: required, too_long, unknown, mismatch, invalid, ...
	Code    string `json:"code"`
	Message string `json:"message"`
	// Amount, when the field is an amount of money (an auction's minNextBid), is that amount:
	// each channel shows it in its own money format in place of Message.
	Amount Amount `json:"amount,omitzero"`
}

// Amount is an amount of money a field error names: minor units of an ISO 4217 currency.
type Amount struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// MaxFields bounds the field errors one error carries.
const MaxFields = 32

// WithFields is WithMessage with the fields at fault (at most MaxFields, each message clipped).
func WithFields(base *Error, msg string, fields []FieldError) error {
	fields = slices.Clone(fields[:min(len(fields), MaxFields)])
	for i := range fields {
		fields[i].Field, fields[i].Message = Clip(fields[i].Field, maxEchoedArg), Clip(fields[i].Message, 256)
	}
	return &detailed{base: base, detail: Clip(msg, maxDetail), fields: fields}
}

// Fields are the field errors err carries, if any.
func Fields(err error) []FieldError {
	var d *detailed
	if errors.As(err, &d) {
		return d.fields
	}
	return nil
}

func (d *detailed) Error() string { return d.base.code + ": " + d.detail }
func (d *detailed) Unwrap() error { return d.base }

// Bounds of what a message may echo. A client's value (an id, an enum, a currency) is shown by
// a short prefix only: echoing it whole let a 60,000-byte field push a business error past the
// RPC frame's limit. Messages written for operators (a script's own error) use WithMessage.
const (
	maxEchoedArg = 96
	echoedPrefix = 48
	maxDetail    = 1024
)

// WithDetail returns an error that is base for errors.Is and whose public message is the
// formatted detail. The detail must be safe to show a client: no SQL, paths or other tenants' data.
// A string argument longer than 96 bytes is shown by its first 48, and the whole detail is at
// most 1 KiB.
func WithDetail(base *Error, format string, args ...any) error {
	clipped := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > maxEchoedArg {
			a = Clip(s, echoedPrefix)
		}
		clipped[i] = a
	}
	return &detailed{base: base, detail: Clip(fmt.Sprintf(format, clipped...), maxDetail)}
}

// WithMessage is WithDetail with a message already written (at most 1 KiB of it is kept).
func WithMessage(base *Error, msg string) error {
	return &detailed{base: base, detail: Clip(msg, maxDetail)}
}

// Clip returns s, or its first n bytes (never cutting a UTF-8 sequence) followed by "…" and
// how long s was.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:i], len(s))
}

// Generic sentinels used by every layer.
var (
	ErrInternal            = New(Internal, "system.internal", "internal error")
	ErrInvalid             = New(Invalid, "request.invalid", "invalid request")
	ErrUnavailable         = New(Unavailable, "system.unavailable", "service temporarily unavailable")
	ErrTooManyRequests     = New(Unavailable, "system.too_many_requests", "too many requests, retry later")
	ErrUnauthenticated     = New(Unauthenticated, "auth.unauthenticated", "missing or invalid credentials")
	ErrForbidden           = New(Forbidden, "auth.forbidden", "not allowed")
	ErrIdempotencyConflict = New(Conflict, "request.idempotency_conflict", "idempotency key was used with a different request")
	ErrIdempotencyInFlight = New(Conflict, "request.idempotency_in_flight", "a request with this idempotency key is in progress")
)

// Describe returns the sentinel behind err and the public message to show. An error that carries
// no code is internal, and its message is never shown.
func Describe(err error) (*Error, string) {
	var d *detailed
	if errors.As(err, &d) {
		return d.base, d.detail
	}
	var e *Error
	if errors.As(err, &e) {
		return e, e.public
	}
	return ErrInternal, ErrInternal.public
}

// Invalidf is shorthand for a validation failure with a public detail.
func Invalidf(format string, args ...any) error { return WithDetail(ErrInvalid, format, args...) }
