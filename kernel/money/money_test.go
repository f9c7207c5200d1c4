package money_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/atriumtrade/atrium/kernel/money"
)

var cny = money.MustCurrency("CNY")

func TestParse(t *testing.T) {
	jpy := money.MustCurrency("JPY")
	tests := []struct {
		in   string
		cur  money.Currency
		want int64
		err  error
	}{
		{"19.90", cny, 1990, nil},
		{"19.9", cny, 1990, nil},
		{"0", cny, 0, nil},
		{"0.01", cny, 1, nil},
		{"1200", jpy, 1200, nil},
		{"19.999", cny, 0, money.ErrInvalidAmount},
		{"12.5", jpy, 0, money.ErrInvalidAmount},
		{"-1", cny, 0, money.ErrInvalidAmount},
		{"+1", cny, 0, money.ErrInvalidAmount},
		{"1e3", cny, 0, money.ErrInvalidAmount},
		{"", cny, 0, money.ErrInvalidAmount},
		{"1.", cny, 0, money.ErrInvalidAmount},
		{".5", cny, 0, money.ErrInvalidAmount},
		{" 1", cny, 0, money.ErrInvalidAmount},
		{"1,000", cny, 0, money.ErrInvalidAmount},
		{"NaN", cny, 0, money.ErrInvalidAmount},
		{"92233720368547758.08", cny, 0, money.ErrOverflow},
		{"99999999999999999999", cny, 0, money.ErrOverflow},
	}
	for _, tt := range tests {
		got, err := money.Parse(tt.in, tt.cur)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q) error = %v; want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got.Minor() != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tt.in, got.Minor(), err, tt.want)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, minor := range []int64{0, 1, 9, 10, 99, 100, 1990, 123456789, math.MaxInt64} {
		s := money.New(minor, cny).String()
		back, err := money.Parse(s, cny)
		if err != nil || back.Minor() != minor {
			t.Errorf("round trip %d -> %q -> %d, %v", minor, s, back.Minor(), err)
		}
	}
	if got := money.New(5, cny).String(); got != "0.05" {
		t.Errorf("got %q; want 0.05", got)
	}
	if got := money.New(-5, cny).String(); got != "-0.05" {
		t.Errorf("got %q; want -0.05", got)
	}
	if got := money.New(math.MinInt64, money.MustCurrency("JPY")).String(); got != "-9223372036854775808" {
		t.Errorf("got %q", got)
	}
}

func TestArithmeticGuards(t *testing.T) {
	if _, err := money.New(math.MaxInt64, cny).Add(money.New(1, cny)); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("add overflow: got %v", err)
	}
	if _, err := money.New(1, cny).Add(money.New(1, money.MustCurrency("USD"))); !errors.Is(err, money.ErrCurrencyMismatch) {
		t.Errorf("mismatch: got %v", err)
	}
	if _, err := money.New(math.MaxInt64/2+1, cny).Times(2); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("times overflow: got %v", err)
	}
	if got, err := money.New(1990, cny).Times(3); err != nil || got.Minor() != 5970 {
		t.Errorf("times: got %d, %v", got.Minor(), err)
	}
}

func TestAllocateSumsAndIsDeterministic(t *testing.T) {
	got, err := money.Allocate(100, []int64{1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 34 || got[1] != 33 || got[2] != 33 {
		t.Errorf("got %v; want [34 33 33]", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		n := 1 + r.IntN(8)
		w := make([]int64, n)
		var sum int64
		for j := range w {
			w[j] = r.Int64N(1_000_000)
			sum += w[j]
		}
		if sum == 0 {
			continue
		}
		total := r.Int64N(sum + 1) // a discount never larger than what it spreads over
		parts, err := money.Allocate(total, w)
		if err != nil {
			t.Fatal(err)
		}
		var s int64
		for j, p := range parts {
			if p < 0 || p > w[j] {
				t.Fatalf("part %d = %d of weight %d (total %d, weights %v)", j, p, w[j], total, w)
			}
			s += p
		}
		if s != total {
			t.Fatalf("parts %v sum to %d; want %d", parts, s, total)
		}
	}
	if _, err := money.Allocate(10, []int64{0, 0}); err == nil {
		t.Error("allocate over zero weights: want error")
	}
}

// FuzzParse: a decimal string is parsed exactly or refused with a stable error, never rounded:
// an accepted amount prints back as the same value, and its printed form parses to it again.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"19.90", "19.999", "0", "0.01", "-1", "1e3", "9223372036854775807", "92233720368547758.07",
		"92233720368547758.08", "00012.5", ".5", "5.", "１２", "1_000"} {
		f.Add(s, "CNY")
		f.Add(s, "JPY")
	}
	f.Fuzz(func(t *testing.T, s, code string) {
		c, err := money.ParseCurrency(code)
		if err != nil {
			return
		}
		a, err := money.Parse(s, c)
		if err != nil {
			if !errors.Is(err, money.ErrInvalidAmount) && !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("Parse(%q): got %v; want invalid_amount or overflow", s, err)
			}
			return
		}
		if a.Minor() < 0 {
			t.Fatalf("Parse(%q) = %d: negative", s, a.Minor())
		}
		back, err := money.Parse(a.String(), c)
		if err != nil || back.Minor() != a.Minor() {
			t.Fatalf("Parse(%q) = %d prints %q, which parses to %d, %v", s, a.Minor(), a.String(), back.Minor(), err)
		}
	})
}

// TestPortionStepsSumExactly: any sequence of steps through n = of, taken as cumulative
// portions, sums to total exactly and never passes it on the way, at sizes that would overflow
// a plain int64 product.
func TestPortionStepsSumExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 2000; i++ {
		total, of := rng.Int64N(math.MaxInt64/2), 1+rng.Int64N(1000)
		if i%2 == 0 {
			total = rng.Int64N(100_000)
		}
		var done, given int64
		for done < of {
			k := 1 + rng.Int64N(of-done)
			before, err := money.Portion(total, done, of)
			if err != nil {
				t.Fatal(err)
			}
			after, err := money.Portion(total, done+k, of)
			if err != nil {
				t.Fatal(err)
			}
			if after < before {
				t.Fatalf("portion went down: %d then %d", before, after)
			}
			given += after - before
			done += k
			if given > total {
				t.Fatalf("gave %d of %d after %d of %d", given, total, done, of)
			}
		}
		if given != total {
			t.Fatalf("steps gave %d; want %d (of %d)", given, total, of)
		}
	}
	for _, bad := range [][3]int64{{-1, 1, 2}, {10, -1, 2}, {10, 3, 2}, {10, 0, 0}} {
		if _, err := money.Portion(bad[0], bad[1], bad[2]); !errors.Is(err, money.ErrInvalidAmount) {
			t.Fatalf("Portion%v: %v; want ErrInvalidAmount", bad, err)
		}
	}
}

// TestPortionRoundsDown: a portion rounds down, so that a refund of some units never gives back
// more than their share and the remainder rides with the last unit (rounding up would pay the
// first refunds too much and sum exactly all the same, so only this test tells the two apart).
func TestPortionRoundsDown(t *testing.T) {
	for _, c := range [][4]int64{{100, 1, 3, 33}, {100, 2, 3, 66}, {100, 3, 3, 100}, {1, 1, 3, 0}, {2, 1, 3, 0}, {1999, 1, 2, 999}} {
		if got, err := money.Portion(c[0], c[1], c[2]); err != nil || got != c[3] {
			t.Errorf("Portion(%d, %d, %d) = %d %v; want %d", c[0], c[1], c[2], got, err, c[3])
		}
	}
	for total := int64(0); total < 200; total++ {
		for of := int64(1); of < 9; of++ {
			for n := int64(0); n <= of; n++ {
				if got, _ := money.Portion(total, n, of); got*of > total*n || (got+1)*of <= total*n {
					t.Fatalf("Portion(%d, %d, %d) = %d; want floor(%d·%d/%d)", total, n, of, got, total, n, of)
				}
			}
		}
	}
}
