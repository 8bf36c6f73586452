package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func zrmCalls(sim *zensim.Server) []zensim.Call {
	return slices.DeleteFunc(sim.Calls(), func(c zensim.Call) bool { return c.Service != zensim.ServiceZRM })
}

// TestRunOnceMarkMode: `run --once` with mode: mark writes the mark tags through the client the
// command wires (signed zrm calls), terminates nothing, and its report and summary name the mode;
// `--dry-run` on the same config writes nothing.
func TestRunOnceMarkMode(t *testing.T) {
	const id = "7700000000000000101"
	sim, url := startSim(t, []zensim.FleetInstance{expiredInstance(id), healthyInstance("7700000000000000102")})
	path, cfgDir := writeConfig(t, url, testSecret, "mode: mark\nsafety: {grace_period: 0s, max_terminations_percent: 100}\n")

	if r := reaper(t, "run", "--once", "--dry-run", "--config", path); r.code != exitOK {
		t.Fatalf("run --dry-run: code %d\n%s", r.code, r.stderr)
	}
	if got := zrmCalls(sim); len(got) != 0 {
		t.Fatalf("--dry-run made zrm calls: %+v", got)
	}
	if got := latestReport(t, cfgDir).Mode; got != reconcile.ModeDryRun {
		t.Errorf("--dry-run report mode %q, want dry-run", got)
	}

	r := reaper(t, "run", "--once", "--config", path)
	if r.code != exitOK {
		t.Fatalf("run: code %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "(run, mark)") {
		t.Errorf("summary does not name the mode:\n%s", r.stdout)
	}
	calls := zrmCalls(sim)
	if len(calls) != 1 || !slices.Equal(calls[0].InstanceIDs, []string{id}) || calls[0].HTTPStatus != 200 || calls[0].Auth != zensim.AuthHMAC {
		t.Fatalf("zrm calls %+v, want one signed write on %s", calls, id)
	}
	if in, _ := sim.Instance(id); in.Tags[reconcile.TagReason] != "expiry" || in.Tags[reconcile.TagTerminateAfter] == "" {
		t.Errorf("tags %v, want the mark tags", in.Tags)
	}
	if n := len(sim.TerminateCalls()); n != 0 {
		t.Errorf("mark mode made %d TerminateInstance calls", n)
	}
	rep := latestReport(t, cfgDir)
	if rep.Mode != reconcile.ModeMark || !rep.DryRun {
		t.Errorf("report mode %q dry_run %v, want mark and true", rep.Mode, rep.DryRun)
	}
	if e := reportEntry(t, rep, id); e.Action != "would_terminate" {
		t.Errorf("report action %s, want would_terminate", e.Action)
	}
}

// TestValidateNamesTheMode: validate prints the mode and refuses both keys at once, naming both.
func TestValidateNamesTheMode(t *testing.T) {
	_, url := startSim(t, nil)
	path, _ := writeConfig(t, url, testSecret, "mode: approve\n")
	r := reaper(t, "validate", "--config", path)
	if r.code != exitOK || !strings.Contains(r.stdout, "approve: marks candidates; terminates only through reaper apply") {
		t.Errorf("validate: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	path, _ = writeConfig(t, url, testSecret, "mode: enforce\ndry_run: false\n")
	r = reaper(t, "validate", "--config", path)
	if r.code == exitOK || !strings.Contains(r.stdout+r.stderr, "dry_run and mode are both set") {
		t.Errorf("validate with both keys: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
