package money

import "math/bits"

func mul64(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }

// div128 divides the 128-bit hi:lo by c. Callers guarantee the quotient fits 64 bits
// (a*b/c with b <= c).
func div128(hi, lo, c uint64) (uint64, uint64) { return bits.Div64(hi, lo, c) }
