package record

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// TestDefaultKeepPrunesBySequence: with the default config, retention keeps the newest 200 runs
// by run sequence, never by time or run ID. The 200 runs already there were made while the clock
// went backwards (the lower the sequence, the later its time and run ID), so a time order would
// delete the newest runs instead of the run with sequence 1.
func TestDefaultKeepPrunesBySequence(t *testing.T) {
	cfg := testConfig(t)
	if cfg.Report.Keep != config.DefaultReportKeep || config.DefaultReportKeep != 200 {
		t.Fatalf("default report.keep = %d (const %d), want 200", cfg.Report.Keep, config.DefaultReportKeep)
	}
	cfg.Report.Formats = []string{"json"}
	dir := cfg.ReportDir()
	idOf := func(seq int) string {
		at := t0.Add(time.Duration(1000-seq) * time.Hour)
		return fmt.Sprintf("%s-%06d", at.Format("20060102T150405Z"), seq)
	}
	for seq := 1; seq <= 200; seq++ {
		id := idOf(seq)
		doc, err := json.Marshal(map[string]any{"schema_version": report.SchemaVersion, "run_id": id, "seq": seq,
			"started_at": t0.Add(time.Duration(1000-seq) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, id), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id, "report.json"), doc, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res := result(reconcile.StatusOK, entry("1", reconcile.ActionKept))
	res.RunID, res.Seq = "20261126T080000Z-000201", 201
	if _, err := New(Options{Config: cfg, Policies: fakePolicies{}}).Record(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	entries, err := report.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 200 {
		t.Fatalf("%d runs after the 201st, want 200: first %+v last %+v", len(entries), entries[0], entries[len(entries)-1])
	}
	if entries[0].RunID != res.RunID || entries[len(entries)-1].Seq != 2 {
		t.Errorf("newest %s, oldest seq %d; want %s and seq 2", entries[0].RunID, entries[len(entries)-1].Seq, res.RunID)
	}
	if _, err := os.Stat(filepath.Join(dir, idOf(1))); !os.IsNotExist(err) {
		t.Errorf("run seq 1 (%s) is still there (%v); retention must remove the lowest sequence", idOf(1), err)
	}
}
