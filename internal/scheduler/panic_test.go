package scheduler

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// TestRunnerWorkerPanicCountsAsPanic: a cycle whose worker goroutine panicked returns the
// contained panic as its error (a *safego.PanicError, wrapped by the layers above); the runner
// reports it as a panicked cycle (log with where and stack, OnPanic), not as an ordinary failure.
func TestRunnerWorkerPanicCountsAsPanic(t *testing.T) {
	var panicked []any
	h := newHarness(t, utc("2026-11-26T08:05:00Z"), Options{
		Schedule: MustParse("*/10 * * * *", "UTC"),
		OnPanic:  func(v any) { panicked = append(panicked, v) },
	})
	ran := make(chan struct{}, 10)
	h.start(func(context.Context) error {
		ran <- struct{}{}
		done := make(chan error)
		safego.Go("page worker", func() { panic("boom") }, func(err error) { done <- err })
		return fmt.Errorf("inventory: %w", <-done)
	})

	h.clock.AdvanceTo(h.awaitWait())
	receive(t, ran, "cycle")
	h.awaitWait() // the loop goes on

	if diff := cmp.Diff([]any{"boom"}, panicked); diff != "" {
		t.Errorf("OnPanic values (-want +got):\n%s", diff)
	}
	logs := h.log.find("cycle panicked")
	if len(logs) != 1 {
		t.Fatalf("got %d \"cycle panicked\" logs, want 1 (failed: %d)", len(logs), len(h.log.find("cycle failed")))
	}
	if got := logs[0].attrs["where"].String(); got != "page worker" {
		t.Errorf("where attr = %q, want %q", got, "page worker")
	}
	if stack := logs[0].attrs["stack"].String(); !strings.Contains(stack, "TestRunnerWorkerPanicCountsAsPanic") {
		t.Errorf("stack attr does not show the panicking worker:\n%s", stack)
	}
}
