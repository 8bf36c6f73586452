package policy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// panicAt is a logger whose handler panics on the print() of one instance: a bug in code that
// runs on an evaluation worker's goroutine.
func panicAt(id string) *slog.Logger {
	return slog.New(&funcHandler{handle: func(r slog.Record) {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "instance_id" && a.Value.String() == id {
				panic("handler bug")
			}
			return true
		})
	}})
}

// TestEvaluatePanicIsAnInternalError: a panic while an instance is evaluated is not that
// instance's decision error (which only keeps the instance) but Evaluate's error, naming the
// instance, with no decisions at all: the caller aborts the cycle, as for any internal error.
// It never crashes the process (Go's exit 2).
func TestEvaluatePanicIsAnInternalError(t *testing.T) {
	dir := writePolicies(t, map[string]string{
		"a.rego": src("package reaper.a", "terminate contains \"x\" if {", "\tprint(input.instance.id)", "\tinput.instance.age_seconds > 0", "}"),
	})
	e, err := Load(context.Background(), Options{Dir: dir, Logger: panicAt("i-0042")})
	if err != nil {
		t.Fatal(err)
	}
	fleet := syntheticFleet(500)
	fleet[42].ID = "i-0042"
	ds, err := e.Evaluate(context.Background(), testNow, nil, fleet)
	var pe *safego.PanicError
	if !errors.As(err, &pe) || ds != nil {
		t.Fatalf("Evaluate = %d decisions, %v; want none and a *safego.PanicError", len(ds), err)
	}
	if want := "policy evaluation of instance i-0042"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "handler bug") {
		t.Errorf("error %q does not name %q and the panic", err, want)
	}

	// Explain runs on the caller's goroutine, but reports the same way.
	_, err = e.Explain(context.Background(), testNow, nil, fleet[42], &bytes.Buffer{})
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "policy evaluation of instance i-0042") {
		t.Errorf("Explain error = %v, want a *safego.PanicError naming the instance", err)
	}
}
