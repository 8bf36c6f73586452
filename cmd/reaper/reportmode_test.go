package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// TestReportListShowsTheMode: the MODE column of `report list` is the report's mode; a report
// written before reaper had modes keeps the old words, dry-run or acting.
func TestReportListShowsTheMode(t *testing.T) {
	path, dir := writeConfig(t, "http://127.0.0.1:1", testSecret, "")
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	runs := []struct {
		mode, command string
		dry           bool
		want          string
	}{
		{"mark", reconcile.CommandRun, true, "mark"},
		{"approve", reconcile.CommandRun, true, "approve"},
		{"enforce", reconcile.CommandRun, false, "enforce"},
		{"enforce", reconcile.CommandPlan, true, "enforce"}, // one word: COMMAND says plan
		{"", reconcile.CommandRun, true, "dry-run"},
		{"", reconcile.CommandRun, false, "acting"},
	}
	want := map[string]string{}
	for i, rr := range runs {
		at := t0.Add(time.Duration(i) * time.Minute)
		r := &report.Run{RunID: at.Format("20060102T150405Z") + "-a1b2c3", Command: rr.command, StartedAt: at, FinishedAt: at,
			DryRun: rr.dry, Mode: rr.mode, Result: string(reconcile.StatusOK)}
		r.Finalize(nil)
		if _, err := report.Write(filepath.Join(dir, "reports"), r, []string{report.FormatJSON}); err != nil {
			t.Fatal(err)
		}
		want[r.RunID] = rr.want
	}
	out := reaper(t, "report", "list", "--config", path)
	lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
	if out.code != exitOK || len(lines) != len(runs)+1 {
		t.Fatalf("report list: code %d\n%s%s", out.code, out.stdout, out.stderr)
	}
	head := strings.Fields(lines[0])
	mode := -1
	for i, h := range head {
		if h == "MODE" {
			mode = i
		}
	}
	if mode < 0 {
		t.Fatalf("no MODE column: %q", lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if w, ok := want[f[0]]; !ok || len(f) != len(head) || f[mode] != w {
			t.Errorf("run %s: MODE %q, want %q", f[0], f[mode], w)
		}
	}
}

// TestReportShowHTMLLinksTheFilesThatExist: `report show --format html` of a run written with
// report.compress links report.json.gz and report.csv.gz, the files that exist, and of an
// uncompressed run report.json and report.csv.
func TestReportShowHTMLLinksTheFilesThatExist(t *testing.T) {
	path, dir := writeConfig(t, "http://127.0.0.1:1", testSecret, "")
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	for i, compress := range []bool{true, false} {
		at := t0.Add(time.Duration(i) * time.Minute)
		r := &report.Run{RunID: at.Format("20060102T150405Z") + "-a1b2c3", Command: reconcile.CommandRun, StartedAt: at, FinishedAt: at,
			DryRun: true, Mode: "dry-run", Result: string(reconcile.StatusOK)}
		for k := range 2500 { // past the size where the page lists only candidates and links the files
			r.Instances = append(r.Instances, report.Instance{ID: fmt.Sprint(k), Action: string(reconcile.ActionKept)})
		}
		r.InventorySize = len(r.Instances)
		r.Finalize(nil)
		runDir, err := report.WriteWith(filepath.Join(dir, "reports"), r, []string{report.FormatJSON, report.FormatCSV}, report.Options{Compress: compress})
		if err != nil {
			t.Fatal(err)
		}
		out := reaper(t, "report", "show", r.RunID, "--format", "html", "--config", path)
		if out.code != exitOK {
			t.Fatalf("report show: code %d\n%s", out.code, out.stderr)
		}
		for _, name := range []string{"report.json", "report.csv"} {
			file := name
			if compress {
				file += ".gz"
			}
			if _, err := os.Stat(filepath.Join(runDir, file)); err != nil {
				t.Fatalf("the report has no %s: %v", file, err)
			}
			if !strings.Contains(out.stdout, `href="`+file+`"`) {
				t.Errorf("compress %v: page does not link %s", compress, file)
			}
			if compress && strings.Contains(out.stdout, `href="`+name+`"`) {
				t.Errorf("page links %s, which does not exist", name)
			}
		}
	}
}
