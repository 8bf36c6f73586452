package record

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

func TestFormats(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"html"}, []string{"json", "html"}},
		{[]string{"csv", "json"}, []string{"csv", "json"}},
		{nil, []string{"json"}},
	}
	for _, tt := range tests {
		if got := Formats(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Formats(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestRecordWritesTheReport: the report goes to the config's report directory with report.json
// whatever the formats, and old runs beyond report.keep are pruned.
func TestRecordWritesTheReport(t *testing.T) {
	cfg := testConfig(t)
	cfg.Report.Formats, cfg.Report.Keep = []string{"md"}, 2
	m := NewMetrics()
	rec := New(Options{Config: cfg, Policies: fakePolicies{}, Metrics: m})
	var dirs []string
	for _, id := range []string{"20261126T080000Z-000001", "20261126T090000Z-000002", "20261126T100000Z-000003"} {
		res := result(reconcile.StatusOK, entry("1", reconcile.ActionKept))
		res.RunID = id
		run, err := rec.Record(context.Background(), res)
		if err != nil {
			t.Fatal(err)
		}
		if run.Result != res || run.Report.RunID != id || run.Report.PolicyDigest != "sha256:policies" {
			t.Errorf("run = %+v", run)
		}
		for _, f := range []string{"json", "md"} {
			if _, err := os.Stat(filepath.Join(run.Dir, report.FileName(f))); err != nil {
				t.Errorf("run %s: %v", id, err)
			}
		}
		dirs = append(dirs, run.Dir)
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("the oldest of three runs with keep 2 is still there (%v)", err)
	}
	if got := series(t, scrape(t, m), "reaper_cycles_total", "result"); got["ok"] != 3 {
		t.Errorf("reaper_cycles_total = %v, want ok 3", got)
	}
}

// TestRecordOutDir: plan --out writes there and prunes nothing.
func TestRecordOutDir(t *testing.T) {
	cfg := testConfig(t)
	cfg.Report.Keep = 1
	out := t.TempDir()
	rec := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: out})
	for _, id := range []string{"20261126T080000Z-000001", "20261126T090000Z-000002"} {
		res := result(reconcile.StatusOK)
		res.RunID = id
		if _, err := rec.Record(context.Background(), res); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 2 {
		t.Errorf("%d runs in --out, want 2 (no retention there)", len(entries))
	}
}

// TestRecordReportNotWritten: the error is returned (not logged) and the metrics still count the
// cycle.
func TestRecordReportNotWritten(t *testing.T) {
	cfg := testConfig(t)
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	m := NewMetrics()
	run, err := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: blocker, Metrics: m}).
		Record(context.Background(), result(reconcile.StatusOK))
	if err == nil || run == nil || run.Dir != "" || run.Report == nil {
		t.Fatalf("Record into a file: run %+v, err %v; want the run without a directory and an error", run, err)
	}
	if got := series(t, scrape(t, m), "reaper_cycles_total", "result"); got["ok"] != 1 {
		t.Errorf("reaper_cycles_total = %v, want ok 1", got)
	}
}
