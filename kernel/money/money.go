// Package money is integer money: an amount is a count of minor units of one currency. There is no
// float anywhere; decimal strings are parsed strictly (never rounded) and sums are overflow-checked.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Errors.
var (
	ErrInvalidAmount    = errkind.New(errkind.Invalid, "money.invalid_amount", "invalid money amount")
	ErrUnknownCurrency  = errkind.New(errkind.Invalid, "money.unknown_currency", "unknown currency")
	ErrCurrencyMismatch = errkind.New(errkind.Invalid, "money.currency_mismatch", "amounts in different currencies")
	ErrOverflow         = errkind.New(errkind.Invalid, "money.overflow", "amount out of range")
)

// Currency is an ISO 4217 currency with its number of minor-unit digits.
type Currency struct {
	code     string
	exponent int
}

// ISO 4217 exponents of the currencies Atrium trades in. Extend by appending.
var currencies = map[string]int{
	"CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "TWD": 2, "SGD": 2, "AUD": 2, "CAD": 2,
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0,
	"BHD": 3, "KWD": 3, "JOD": 3,
}

// ParseCurrency returns the currency for an ISO 4217 code such as "CNY".
func ParseCurrency(code string) (Currency, error) {
	exp, ok := currencies[code]
	if !ok {
		return Currency{}, errkind.WithDetail(ErrUnknownCurrency, "unknown currency %q", code)
	}
	return Currency{code: code, exponent: exp}, nil
}

// MustCurrency is ParseCurrency for constants known at compile time.
func MustCurrency(code string) Currency {
	c, err := ParseCurrency(code)
	if err != nil {
		panic(err)
	}
	return c
}

// Code is the ISO 4217 code.
func (c Currency) Code() string { return c.code }

// Exponent is the number of fraction digits of the major unit.
func (c Currency) Exponent() int { return c.exponent }

// IsZero reports whether c is the zero Currency.
func (c Currency) IsZero() bool { return c.code == "" }

// Amount is a number of minor units of a currency.
type Amount struct {
	minor    int64
	currency Currency
}

// New returns an amount of minor units. Negative amounts are allowed in arithmetic (a refund
// delta) but never parsed from input.
func New(minor int64, c Currency) Amount { return Amount{minor: minor, currency: c} }

// Zero is the zero amount of a currency.
func Zero(c Currency) Amount { return Amount{currency: c} }

// Minor is the count of minor units.
func (a Amount) Minor() int64 { return a.minor }

// Currency is the amount's currency.
func (a Amount) Currency() Currency { return a.currency }

// IsNegative reports whether a < 0.
func (a Amount) IsNegative() bool { return a.minor < 0 }

// Add returns a+b, failing on a currency mismatch or overflow.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.currency != b.currency {
		return Amount{}, errkind.WithDetail(ErrCurrencyMismatch, "cannot add %s to %s", b.currency.code, a.currency.code)
	}
	s := a.minor + b.minor
	if (b.minor > 0 && s < a.minor) || (b.minor < 0 && s > a.minor) {
		return Amount{}, ErrOverflow
	}
	return Amount{minor: s, currency: a.currency}, nil
}

// Times returns a*n, failing on overflow.
func (a Amount) Times(n int64) (Amount, error) {
	if n != 0 && a.minor != 0 {
		if (a.minor > 0 && n > 0 && a.minor > math.MaxInt64/n) ||
			(a.minor < 0 && n < 0 && a.minor < math.MaxInt64/n) ||
			(a.minor > 0 && n < 0 && n < math.MinInt64/a.minor) ||
			(a.minor < 0 && n > 0 && a.minor < math.MinInt64/n) {
			return Amount{}, ErrOverflow
		}
	}
	return Amount{minor: a.minor * n, currency: a.currency}, nil
}

// Sum adds amounts of one currency; an empty list is zero of c.
func Sum(c Currency, amounts ...Amount) (Amount, error) {
	total := Zero(c)
	for _, x := range amounts {
		var err error
		if total, err = total.Add(x); err != nil {
			return Amount{}, err
		}
	}
	return total, nil
}

// String formats the amount in major units with exactly the currency's fraction digits: "19.90".
func (a Amount) String() string {
	neg := a.minor < 0
	u := uint64(a.minor)
	if neg {
		u = uint64(-(a.minor + 1)) + 1 // avoids overflow of -MinInt64
	}
	digits := strconv.FormatUint(u, 10)
	exp := a.currency.exponent
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// Parse reads a non-negative decimal string in major units: "19.9" and "19.90" are 1990 fen;
// "19.999", "-1", "1e3", "+1", " 1", "1." and ".5" are rejected, never rounded.
func Parse(s string, c Currency) (Amount, error) {
	if c.IsZero() {
		return Amount{}, errkind.WithDetail(ErrUnknownCurrency, "currency is required")
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return Amount{}, errkind.WithDetail(ErrInvalidAmount, "%q is not a decimal amount", s)
	}
	if len(frac) > c.exponent {
		return Amount{}, errkind.WithDetail(ErrInvalidAmount, "%q has more than %d fraction digits for %s", s, c.exponent, c.code)
	}
	frac += strings.Repeat("0", c.exponent-len(frac))
	minor, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return Amount{}, errkind.WithDetail(ErrOverflow, "%q is out of range", s)
		}
		return Amount{}, errkind.WithDetail(ErrInvalidAmount, "%q is not a decimal amount", s)
	}
	return Amount{minor: minor, currency: c}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Allocate splits total over parts in proportion to weights. Each part gets floor(total*w/sum);
// the remainder goes one minor unit at a time to the parts with the largest fractional shares,
// ties to the lower index, so the result is deterministic and always sums to total. Weights must
// be non-negative with a positive sum; total must be non-negative.
func Allocate(total int64, weights []int64) ([]int64, error) {
	if total < 0 {
		return nil, fmt.Errorf("money: allocate negative total %d: %w", total, ErrInvalidAmount)
	}
	var sum int64
	for _, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("money: allocate with negative weight: %w", ErrInvalidAmount)
		}
		if sum+w < sum {
			return nil, ErrOverflow
		}
		sum += w
	}
	if sum == 0 {
		return nil, fmt.Errorf("money: allocate over zero weights: %w", ErrInvalidAmount)
	}
	parts := make([]int64, len(weights))
	rems := make([]uint64, len(weights))
	var given int64
	for i, w := range weights {
		q, r := mulDiv(total, w, sum)
		parts[i], rems[i] = q, r
		given += q
	}
	for left := total - given; left > 0; left-- {
		best := -1
		for i := range rems {
			if weights[i] > 0 && (best < 0 || rems[i] > rems[best]) {
				best = i
			}
		}
		parts[best]++
		rems[best] = 0
	}
	return parts, nil
}

// mulDiv returns floor(a*b/c) and the remainder for non-negative operands without overflow.
func mulDiv(a, b, c int64) (int64, uint64) {
	hi, lo := mul64(uint64(a), uint64(b))
	q, r := div128(hi, lo, uint64(c))
	return int64(q), r
}

// Portion returns floor(total*n/of): the part of total that n of `of` equal shares hold, without
// overflow. Taking cumulative portions (Portion(total, done+k, of) - Portion(total, done, of))
// divides total over any sequence of parts exactly: the parts never sum to more than total and
// sum to total once n reaches of, whatever the order and sizes of the steps. total and n must be
// non-negative, of positive and n at most of.
func Portion(total, n, of int64) (int64, error) {
	if total < 0 || n < 0 || of <= 0 || n > of {
		return 0, fmt.Errorf("money: portion %d of %d of %d: %w", n, of, total, ErrInvalidAmount)
	}
	q, _ := mulDiv(total, n, of)
	return q, nil
}
