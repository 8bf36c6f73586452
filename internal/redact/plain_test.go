package redact

import (
	"testing"

	"github.com/reaper-bmc/reaper/internal/redact/redacttest"
)

// TestPlainTextAllocatesNothing: every string of every listed instance passes through Text. A
// text with nothing any decoder could change (no \, &, %, or + when a secret holds a space) is its
// own only view: redacting it allocated a slice of views per string (issue 14: 64 MB of garbage
// over a 300,000-instance listing), and now allocates nothing unless a secret is found. The same
// text with a secret in it is still redacted, on both paths.
func TestPlainTextAllocatesNothing(t *testing.T) {
	for _, secret := range []string{"k3y-0123", "a b"} {
		r := New(secret)
		for _, plain := range []string{"prod-web-12345", "203.0.113.10", "2026-01-02T03:04:05Z", "Default Resource Group"} {
			if got := r.Text(plain); got != plain {
				t.Errorf("Text(%q) = %q, want it unchanged", plain, got)
			}
			if n := testing.AllocsPerRun(100, func() { r.Text(plain) }); n != 0 {
				t.Errorf("secret %q: Text(%q) made %v allocations, want 0", secret, plain, n)
			}
		}
		for _, in := range []string{"name-" + secret + "-1", "a%20" + secret, `a\u0020` + secret} {
			redacttest.CheckNoLeak(t, "Text", r.Text(in), secret)
		}
	}
}
