package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestTerminateAttemptsAreTheClients: a TerminateInstance that always fails with a retryable error
// reaches the API exactly zen.DefaultMaxAttempts times in a cycle (the README's number): the
// client's retries are the only layer, the cycle adds none. The failure is recorded, not dropped.
func TestTerminateAttemptsAreTheClients(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault zensim.Fault
		code  string
	}{
		{"429", zensim.Fault{HTTPStatus: 429}, zen.CodeRequestLimitExceeded},
		{"REQUEST_LIMIT_EXCEEDED with 403", zensim.Fault{HTTPStatus: 403, Code: zen.CodeRequestLimitExceeded}, zen.CodeRequestLimitExceeded},
		{"500", zensim.Fault{HTTPStatus: 500}, zen.CodeInternalServerError},
		{"503", zensim.Fault{HTTPStatus: 503}, zen.CodeServiceTemporarilyUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, []zensim.FleetInstance{expired("e1")},
				withClientOptions(zen.WithRetry(zen.DefaultMaxAttempts, time.Millisecond, 5*time.Millisecond)))
			w.sim.SetFault("TerminateInstance", tc.fault)
			res := w.cycle(nil, "run", false)
			if n := len(w.sim.TerminateCalls()); n != zen.DefaultMaxAttempts {
				t.Errorf("TerminateInstance attempts = %d, want exactly %d", n, zen.DefaultMaxAttempts)
			}
			e := entry(t, res, "e1")
			if e.Action != reconcile.ActionFailed || !strings.Contains(e.ErrorText(), tc.code) {
				t.Errorf("e1 = %s %q, want failed naming %s", e.Action, e.ErrorText(), tc.code)
			}
		})
	}
}
