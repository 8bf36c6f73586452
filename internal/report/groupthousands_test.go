package report

import (
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/money"
)

// TestAmountsGroupThousands: both amount formats, from a float and from micro-units, group the
// whole part by thousands, keep the sign in front and the cents as given.
func TestAmountsGroupThousands(t *testing.T) {
	for _, c := range []struct {
		float float64
		want  string
	}{
		{0, "0.00"}, {999.5, "999.50"}, {1000, "1,000.00"}, {-1234.5, "-1,234.50"},
		{1234567.891, "1,234,567.89"}, {-100, "-100.00"},
	} {
		if got := fmtMoney(c.float); got != c.want {
			t.Errorf("fmtMoney(%v) = %q, want %q", c.float, got, c.want)
		}
		m, err := money.Parse(strings.ReplaceAll(c.want, ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtMicros(m); got != c.want {
			t.Errorf("fmtMicros(%v) = %q, want %q", m, got, c.want)
		}
	}
}
