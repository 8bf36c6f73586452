// Package money is reaper's amount of money: an integer count of micro-units (one millionth of
// the currency's unit), so sums and cumulative totals never drift the way float sums do. The API
// prints amounts with six decimals (83.260000), which micro-units hold exactly.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Micros is an amount in micro-units of a currency the caller names.
type Micros int64

// Unit is one whole unit of the currency.
const Unit Micros = 1_000_000

// maxUnits bounds what Parse and FromFloat accept, so that sums of many amounts stay far from
// int64's limit (9.2e12 units).
const maxUnits = 1e11

// FromFloat rounds f (a price in whole units, from the config or a quote) to the nearest
// micro-unit. It fails on NaN, infinities and amounts beyond 1e11 units either way.
func FromFloat(f float64) (Micros, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > maxUnits {
		return 0, fmt.Errorf("amount %v is not a finite number within ±%.0f", f, maxUnits)
	}
	return Micros(math.Round(f * 1e6)), nil
}

// Parse reads a decimal amount such as "83.260000", "-1.5" or "12" exactly (no float on the way),
// rounding half away from zero beyond six decimals.
func Parse(s string) (Micros, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(body, ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		if f, err := strconv.ParseFloat(s, 64); err == nil { // exponent forms such as 1e3
			return FromFloat(f)
		}
		return 0, fmt.Errorf("amount %q is not a decimal number", s)
	}
	if len(strings.TrimLeft(whole, "0")) > 11 {
		return 0, fmt.Errorf("amount %q is beyond %.0f units", s, maxUnits)
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f6 := (frac + "000000")[:6]
	f, _ := strconv.ParseInt(f6, 10, 64)
	m := w*1_000_000 + f
	if len(frac) > 6 && frac[6] >= '5' {
		m++
	}
	if m > int64(maxUnits)*1_000_000 {
		return 0, fmt.Errorf("amount %q is beyond %.0f units", s, maxUnits)
	}
	if neg {
		m = -m
	}
	return Micros(m), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// MulDiv returns m × num / den rounded half away from zero, without overflow for the amounts
// reaper handles (an hourly price × 730 hours, a period's price / months).
func (m Micros) MulDiv(num, den int64) (Micros, error) {
	if den <= 0 {
		return 0, errors.New("money: non-positive divisor")
	}
	hi := int64(m) * num
	if num != 0 && hi/num != int64(m) {
		return 0, fmt.Errorf("money: %s × %d overflows", m, num)
	}
	q, r := hi/den, hi%den
	if 2*abs(r) >= den {
		if hi < 0 {
			q--
		} else {
			q++
		}
	}
	return Micros(q), nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// String writes the amount with six decimals, the way the API prints it: "83.260000".
func (m Micros) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%06d", sign, v/1_000_000, v%1_000_000)
}

// Decimal writes the amount with two decimals (cents, rounded half away from zero) for people.
func (m Micros) Decimal() string {
	c, _ := m.MulDiv(1, 10_000)
	sign := ""
	v := int64(c)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes the amount as a JSON number with six decimals, exact to the micro-unit.
func (m Micros) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads a JSON number or a string holding one.
func (m *Micros) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
