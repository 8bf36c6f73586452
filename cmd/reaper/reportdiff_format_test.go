package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// TestReportDiffFormats: `report diff --format json|md` print the transitions and the money they
// move; another format is a usage error that reads no report.
func TestReportDiffFormats(t *testing.T) {
	path, dir := writeConfig(t, "http://127.0.0.1:1", testSecret, "")
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	c := 83_260_000 * money.Micros(1)
	var ids []string
	for i, a := range []string{string(reconcile.ActionWouldTerminate), string(reconcile.ActionTerminated)} {
		at := t0.Add(time.Duration(i) * time.Hour)
		r := &report.Run{RunID: at.Format("20060102T150405Z") + "-a1b2c3", Seq: uint64(i + 1), Command: reconcile.CommandRun,
			StartedAt: at, FinishedAt: at, Mode: "enforce", Result: string(reconcile.StatusOK), Currency: "EUR",
			Instances: []report.Instance{{ID: "945345672712820433", Action: a, MonthlyCost: &c, CostSource: report.CostBill}}}
		r.InventorySize = 1
		r.Finalize(nil)
		if _, err := report.WriteWith(filepath.Join(dir, "reports"), r, []string{report.FormatJSON}, report.Options{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.RunID)
	}
	js := reaper(t, "report", "diff", ids[0], ids[1], "--format", "json", "--config", path)
	var doc struct {
		Currency    string `json:"currency"`
		Transitions []struct {
			Before, After string
			Count         int
			MonthlyCost   json.Number `json:"monthly_cost"`
		}
	}
	if js.code != exitOK || json.Unmarshal([]byte(js.stdout), &doc) != nil {
		t.Fatalf("diff --format json: code %d, not JSON:\n%s%s", js.code, js.stdout, js.stderr)
	}
	if doc.Currency != "EUR" || len(doc.Transitions) != 1 || doc.Transitions[0].Before != "would_terminate" ||
		doc.Transitions[0].After != "terminated" || doc.Transitions[0].MonthlyCost != "83.260000" {
		t.Errorf("diff --format json = %+v", doc)
	}
	md := reaper(t, "report", "diff", ids[0], ids[1], "--format", "md", "--config", path)
	if md.code != exitOK || !strings.Contains(md.stdout, "| would\\_terminate | terminated | 1 | 83.26 | 0 |") ||
		!strings.Contains(md.stdout, "monthly costs in EUR") {
		t.Errorf("diff --format md: code %d\n%s%s", md.code, md.stdout, md.stderr)
	}
	bad := reaper(t, "report", "diff", ids[0], ids[1], "--format", "xml", "--config", path)
	if bad.code != exitUsage || !strings.Contains(bad.stderr, `--format must be text, md or json, got "xml"`) || bad.stdout != "" {
		t.Errorf("diff --format xml: code %d\nstdout %q\nstderr %q", bad.code, bad.stdout, bad.stderr)
	}
}
