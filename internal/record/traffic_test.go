package record

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// TestTrafficPendingInEveryFile: a cycle entry whose traffic is pending comes out as pending in
// every report file written (JSON, CSV, Markdown, HTML) and in the terminal summary.
func TestTrafficPendingInEveryFile(t *testing.T) {
	cfg := testConfig(t)
	cfg.Report.Formats = []string{"json", "csv", "md", "html"}
	pending := entry("p", reconcile.ActionKept)
	pending.TrafficPending = true
	res := result(reconcile.StatusOK, pending, entry("k", reconcile.ActionKept))
	run, err := New(Options{Config: cfg, Policies: fakePolicies{}, OutDir: t.TempDir()}).Record(context.Background(), res)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"report.json": `"traffic_status": "pending"`,
		"report.csv":  ",pending\n",
		"report.md":   "| Traffic | pending for 1 instance",
		"report.html": "Traffic pending",
	} {
		b, err := os.ReadFile(filepath.Join(run.Dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", file, want)
		}
	}
	var sum strings.Builder
	Summary(&sum, run)
	if !strings.Contains(sum.String(), "traffic: pending for 1 instance (") {
		t.Errorf("summary lacks the pending traffic line:\n%s", sum.String())
	}
	if s := run.Report.Row(1).TrafficStatus; s != "" {
		t.Errorf("an instance with no traffic due is marked %q", s)
	}
}
