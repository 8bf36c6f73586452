package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// TestReportListCountsOpenCandidates: the CANDIDATES column of `report list` is the instances
// still waiting for termination, as report.IsOpenCandidate defines them (failed and unconfirmed
// included), and TERMINATED the confirmed terminations: the same words as `report diff`.
func TestReportListCountsOpenCandidates(t *testing.T) {
	path, dir := writeConfig(t, "http://127.0.0.1:1", testSecret, "")
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	r := &report.Run{RunID: "20261126T080000Z-a1b2c3", Command: reconcile.CommandRun, StartedAt: t0, FinishedAt: t0,
		Result: string(reconcile.StatusOK), InventorySize: len(reconcile.Actions())}
	for i, a := range reconcile.Actions() {
		r.Instances = append(r.Instances, report.Instance{ID: string(rune('a' + i)), Action: string(a)})
	}
	r.Finalize(nil)
	if _, err := report.Write(filepath.Join(dir, "reports"), r, []string{report.FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var open int
	for _, a := range reconcile.Actions() {
		if report.IsOpenCandidate(string(a)) {
			open++
		}
	}

	out := reaper(t, "report", "list", "--config", path)
	lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
	if out.code != exitOK || len(lines) != 2 {
		t.Fatalf("report list: code %d\n%s%s", out.code, out.stdout, out.stderr)
	}
	head, row := strings.Fields(lines[0]), strings.Fields(lines[1])
	col := func(name string) string {
		for i, h := range head {
			if h == name && i < len(row) {
				return row[i]
			}
		}
		t.Fatalf("no column %s in %q", name, lines[0])
		return ""
	}
	if got, want := col("CANDIDATES"), fmt.Sprint(open); got != want {
		t.Errorf("CANDIDATES = %s, want %s (would_terminate, marked, blocked, failed, unconfirmed)", got, want)
	}
	if got := col("TERMINATED"); got != "1" {
		t.Errorf("TERMINATED = %s, want 1", got)
	}
}
