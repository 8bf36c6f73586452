package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// TestReportShowTrend: `report show --format html` (and md) of a stored run shows the trend the
// run's own files show: the runs before it, never those after it.
func TestReportShowTrend(t *testing.T) {
	path, dir := writeConfig(t, "http://127.0.0.1:1", testSecret, "")
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Hour)
		r := &report.Run{RunID: at.Format("20060102T150405Z") + "-a1b2c3", Seq: uint64(i + 1), Command: reconcile.CommandRun,
			StartedAt: at, FinishedAt: at, DryRun: true, Mode: "dry-run", Result: string(reconcile.StatusOK)}
		for k := range 5 + i {
			r.Instances = append(r.Instances, report.Instance{ID: strings.Repeat("9", k+1), Action: string(reconcile.ActionKept)})
		}
		r.InventorySize = len(r.Instances)
		r.Finalize(nil)
		if _, err := report.WriteWith(filepath.Join(dir, "reports"), r, []string{report.FormatJSON}, report.Options{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.RunID)
	}
	html := reaper(t, "report", "show", ids[1], "--format", "html", "--config", path)
	if html.code != exitOK {
		t.Fatalf("report show: code %d\n%s", html.code, html.stderr)
	}
	for _, want := range []string{`id="trend"`, `id="trend-inventory"`, `last 2 runs`, ids[0] + ": 5", ids[1] + ": 6"} {
		if !strings.Contains(html.stdout, want) {
			t.Errorf("report show --format html has no %q", want)
		}
	}
	if strings.Contains(html.stdout, ids[2]) {
		t.Errorf("report show --format html of the second run names the third, %s", ids[2])
	}
	md := reaper(t, "report", "show", ids[1], "--format", "md", "--dir", filepath.Join(dir, "reports"))
	if md.code != exitOK || !strings.Contains(md.stdout, "## Trend (last 2 runs)") {
		t.Errorf("report show --format md: code %d, no trend table:\n%.600s", md.code, md.stdout)
	}
}
