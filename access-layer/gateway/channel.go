package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

// moneyMode is how a channel writes money.
type moneyMode int

const (
	moneyMinor   moneyMode = iota // integer minor units, field name unchanged (admin)
	moneyDecimal                  // decimal string in major units (app)
	moneyFee                      // integer minor units in a field named *_fee (mini-program, WeChat Pay style)
)

// channel is one front end's conventions. Handlers speak one neutral shape (camelCase views
// with Money values); the channel turns it into what its front end expects, and turns its
// requests back into the neutral shape.
type channel struct {
	name    string
	prefix  string
	snake   bool
	money   moneyMode
	errcode bool // the WeChat-style {"errcode","errmsg"} envelope on HTTP 200
	role    string
}

var (
	appChannel   = &channel{name: "app", prefix: "/app/v1", money: moneyDecimal, role: roleBuyer}
	mpChannel    = &channel{name: "mp", prefix: "/mp/v1", snake: true, money: moneyFee, errcode: true, role: roleBuyer}
	adminChannel = &channel{name: "admin", prefix: "/admin/v1", money: moneyMinor, role: roleAdmin}
)

// Money is an amount in a view. It marshals to a marker object that the channel rewrites.
type Money struct {
	Minor    int64
	Currency string
}

const (
	markMinor    = "$minor"
	markCurrency = "$currency"
)

// MarshalJSON writes the marker form.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(`{"` + markMinor + `":` + strconv.FormatInt(m.Minor, 10) + `,"` + markCurrency + `":` + strconv.Quote(m.Currency) + `}`), nil
}

// MoneyInput is a money field of a request, kept raw until the channel parses it: the app
// channel takes a decimal string in major units ("19.90"), the others an integer of minor units.
type MoneyInput struct {
	raw json.RawMessage
}

// UnmarshalJSON keeps the raw value.
func (m *MoneyInput) UnmarshalJSON(b []byte) error {
	m.raw = append(json.RawMessage(nil), b...)
	return nil
}

// Set reports whether the field was present and not null.
func (m MoneyInput) Set() bool { return len(m.raw) > 0 && string(m.raw) != "null" }

// parseMoney reads a money input strictly: never rounded, never negative, never a float where
// minor units are expected, never an overflow.
func (ch *channel) parseMoney(field string, in MoneyInput, currency string) (money.Amount, error) {
	if currency == "" {
		currency = "CNY"
	}
	cur, err := money.ParseCurrency(currency)
	if err != nil {
		return money.Amount{}, err
	}
	name := ch.key(field)
	if ch.money == moneyFee {
		name = snake(field) + "_fee"
	}
	if ch.money == moneyDecimal {
		var s string
		if err := json.Unmarshal(in.raw, &s); err != nil {
			return money.Amount{}, errkind.WithDetail(money.ErrInvalidAmount, "%s must be a decimal string such as \"19.90\"", name)
		}
		a, err := money.Parse(s, cur)
		if err != nil {
			_, detail := errkind.Describe(err)
			return money.Amount{}, errkind.WithDetail(money.ErrInvalidAmount, "%s: %s", name, detail)
		}
		return a, nil
	}
	raw := string(in.raw)
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		if errors.Is(err, strconv.ErrRange) {
			return money.Amount{}, errkind.WithDetail(money.ErrOverflow, "%s is out of range", name)
		}
		return money.Amount{}, errkind.WithDetail(money.ErrInvalidAmount, "%s must be a non-negative integer of minor units, got %s", name, raw)
	}
	return money.New(n, cur), nil
}

// render turns a neutral view into the channel's JSON value.
func (ch *channel) render(view any) (any, error) {
	raw, err := json.Marshal(view)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return ch.rewrite(tree), nil
}

func (ch *channel) rewrite(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if m, ok := asMoney(val); ok {
				key, mv := ch.moneyField(k, m)
				out[key] = mv
				continue
			}
			out[ch.key(k)] = ch.rewrite(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = ch.rewrite(x[i])
		}
		return x
	}
	return v
}

func asMoney(v any) (Money, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 2 {
		return Money{}, false
	}
	n, ok1 := m[markMinor].(json.Number)
	c, ok2 := m[markCurrency].(string)
	if !ok1 || !ok2 {
		return Money{}, false
	}
	minor, err := n.Int64()
	return Money{Minor: minor, Currency: c}, err == nil
}

func (ch *channel) moneyField(key string, m Money) (string, any) {
	switch ch.money {
	case moneyDecimal:
		cur, err := money.ParseCurrency(m.Currency)
		if err != nil {
			return key, strconv.FormatInt(m.Minor, 10)
		}
		return key, money.New(m.Minor, cur).String()
	case moneyFee:
		k := snake(key)
		if !strings.HasSuffix(k, "_fee") {
			k += "_fee"
		}
		return k, m.Minor
	}
	return ch.key(key), m.Minor
}

func (ch *channel) key(k string) string {
	if ch.snake {
		return snake(k)
	}
	return k
}

// path is a dotted field path in the channel's case (address.postalCode → address.postal_code).
func (ch *channel) path(p string) string {
	if !ch.snake {
		return p
	}
	parts := strings.Split(p, ".")
	for i, part := range parts {
		parts[i] = snake(part)
	}
	return strings.Join(parts, ".")
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ErrMalformedJSON is a body that is not the JSON the route expects.
var ErrMalformedJSON = errkind.New(errkind.Invalid, "request.malformed_json", "request body is not valid JSON")

func (ch *channel) decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var dup errDuplicateKey
	switch {
	case errors.As(err, &dup):
		return errkind.Invalidf("field %q is given twice", ch.key(dup.key))
	case errors.Is(err, errNesting):
		return errkind.WithDetail(ErrMalformedJSON, "request body nests more than %d levels deep", maxNesting)
	case errors.As(err, &syn):
		return errkind.WithDetail(ErrMalformedJSON, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if ch.snake {
			parts := strings.Split(field, ".")
			for i := range parts {
				parts[i] = snake(parts[i])
			}
			field = strings.Join(parts, ".")
		}
		what := typ.Type.String()
		switch typ.Type.Kind().String() {
		case "int64", "int32", "int":
			what = "an integer"
		case "string":
			what = "a string"
		case "slice":
			what = "an array"
		case "struct", "ptr":
			what = "an object"
		}
		if field == "" {
			return errkind.WithDetail(ErrMalformedJSON, "request body must be a JSON object")
		}
		return errkind.Invalidf("%s must be %s, got %s", field, what, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errkind.Invalidf("unknown field %q", ch.key(name))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errkind.WithDetail(ErrMalformedJSON, "request body is truncated")
	}
	return errkind.WithDetail(ErrMalformedJSON, "request body is not valid JSON")
}
