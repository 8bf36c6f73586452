package reconcile

import (
	"testing"
	"time"
)

// TestClaimRun: the run named by a plan's claim is read back from what Apply writes, and nothing
// is read from a value Apply does not write.
func TestClaimRun(t *testing.T) {
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, value, want string }{
		{"written by apply", claimText("20261204T030000Z-1a2b3c", at), "20261204T030000Z-1a2b3c"},
		{"empty", "", ""},
		{"no run", "by run  at x", ""},
		{"other text", "applied by hand", ""},
		{"no time", "by run r1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClaimRun(tc.value); got != tc.want {
				t.Errorf("ClaimRun(%q) = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}
