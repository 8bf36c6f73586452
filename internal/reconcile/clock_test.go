package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// TestClockBehindLastRunBlocks: a cycle whose clock is earlier than the last recorded run by more
// than the tolerance takes no action, says limit "clock" and what it saw; within the tolerance it
// acts. A blocked cycle does not lower the baseline, so the next one is blocked too.
func TestClockBehindLastRunBlocks(t *testing.T) {
	tests := []struct {
		name      string
		behind    time.Duration
		wantBlock bool
	}{
		{"ahead", -time.Hour, false},
		{"within the tolerance", 4 * time.Minute, false},
		{"at the tolerance", DefaultClockTolerance, false},
		{"past the tolerance", DefaultClockTolerance + time.Second, true},
		{"two days", 48 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fleet(3), nil)
			last := t0.Add(tt.behind)
			h.store.runs = append(h.store.runs, state.Run{ID: "fast", StartedAt: last.Add(-time.Minute), FinishedAt: last,
				InventoryComplete: true, InventorySize: 3})
			for cycle := 1; cycle <= 2; cycle++ {
				res := h.cycle(t, false)
				if !tt.wantBlock {
					if res.Status != StatusOK || len(h.api.calls()) != 3 {
						t.Fatalf("status %s, calls %d; want ok and 3 calls", res.Status, len(h.api.calls()))
					}
					return
				}
				if n := len(h.api.calls()); n != 0 {
					t.Fatalf("cycle %d: a clock %v behind made %d terminate calls", cycle, tt.behind, n)
				}
				if res.Status != StatusBlocked || res.Block == nil || res.Block.Limit != "clock" {
					t.Fatalf("cycle %d: status %s block %+v, want blocked by clock", cycle, res.Status, res.Block)
				}
				if got := res.Count()[ActionBlocked]; got != 3 || res.Block.Due != 3 {
					t.Errorf("cycle %d: blocked entries %d, Block.Due %d; want 3", cycle, got, res.Block.Due)
				}
				for _, want := range []string{t0.Format(time.RFC3339), last.Format(time.RFC3339), "accept-clock"} {
					if !strings.Contains(res.Block.Message, want) {
						t.Errorf("cycle %d: message %q does not say %q", cycle, res.Block.Message, want)
					}
				}
			}
		})
	}
}

// TestClockBlocksDryRunToo: a plan or dry-run cycle reports the clock block as well (exit 3), so
// an operator sees it before switching to acting.
func TestClockBlocksDryRunToo(t *testing.T) {
	h := newHarness(t, fleet(2), nil)
	h.store.runs = append(h.store.runs, state.Run{ID: "fast", StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour)})
	res := h.cycle(t, true)
	if res.Status != StatusBlocked || res.Block == nil || res.Block.Limit != "clock" {
		t.Fatalf("status %s block %+v, want blocked by clock", res.Status, res.Block)
	}
	if got := res.Count()[ActionBlocked]; got != 2 {
		t.Errorf("blocked entries = %d, want 2", got)
	}
}

// TestClockBlockNeverBackdatesMarks: while the clock is behind, a new mark starts at the last
// recorded run's time, not at the (possibly wrong) earlier clock, so a grace period can only get
// longer when the clock is put right.
func TestClockBlockNeverBackdatesMarks(t *testing.T) {
	h := newHarness(t, fleet(1), func(s *Settings) { s.GracePeriod = 24 * time.Hour })
	last := t0.Add(48 * time.Hour)
	h.store.runs = append(h.store.runs, state.Run{ID: "fast", StartedAt: last, FinishedAt: last})
	if res := h.cycle(t, false); res.Status != StatusBlocked {
		t.Fatalf("status %s, want blocked", res.Status)
	}
	for id, m := range h.store.marks {
		if m.FirstSeen.Before(last) {
			t.Errorf("mark %s first seen %v, before the last run %v", id, m.FirstSeen, last)
		}
	}
	if len(h.store.marks) != 1 {
		t.Errorf("marks = %v, want one", h.store.marks)
	}
}
