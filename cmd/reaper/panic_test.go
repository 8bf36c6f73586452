package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/report"
)

// panicWriter is a standard error stream with a bug: it panics when a log line carries marker.
// Logs are written from whatever goroutine logs, here a policy evaluation worker's print().
type panicWriter struct {
	syncBuffer
	marker string
}

func (w *panicWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.marker) {
		panic("stderr bug")
	}
	return w.syncBuffer.Write(p)
}

// TestWorkerPanicExitsOne: a panic on a worker goroutine (here a policy evaluation worker whose
// print() reaches a broken log stream) is contained: the cycle aborts with no action, and
// `run --once` exits 1 with a message naming where it happened, never Go's exit 2 (which the
// unit's RestartPreventExitStatus=2 treats as permanent).
func TestWorkerPanicExitsOne(t *testing.T) {
	sim, url := startSim(t, fleetN(3, expiredInstance))
	path, dir := writeConfig(t, url, testSecret, "dry_run: false\npolicies: {dir: rego}\n"+
		"safety: {grace_period: 0s, max_terminations_percent: 100}\n")
	rego := filepath.Join(dir, "rego")
	if err := os.MkdirAll(rego, 0o755); err != nil {
		t.Fatal(err)
	}
	policy := "package reaper.loud\n\nterminate contains \"expired\" if {\n\tprint(\"PANIC-MARKER\", input.instance.id)\n\ttrue\n}\n"
	if err := os.WriteFile(filepath.Join(rego, "loud.rego"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := &panicWriter{marker: "PANIC-MARKER"}
	var out syncBuffer
	code := Main(context.Background(), Env{
		Args: []string{"run", "--once", "--config", path}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: stderr,
		Getenv: func(string) string { return "" }, IsTTY: func() bool { return false },
	})
	if code != exitFailure {
		t.Fatalf("run --once: code %d, want %d\n%s", code, exitFailure, stderr.String())
	}
	if got := stderr.String(); !strings.Contains(got, "internal error in policy evaluation of instance 77") || !strings.Contains(got, "stderr bug") ||
		!strings.Contains(got, "this is a bug in reaper") || !strings.Contains(got, "internal/policy.(*worker).evaluate") {
		t.Errorf("stderr does not name where the panic happened:\n%s", got)
	}
	if n := terminateCount(sim); n != 0 {
		t.Errorf("%d TerminateInstance calls after an internal error, want 0", n)
	}
	rep := latestReport(t, dir)
	if rep.Result != report.ResultAborted {
		t.Errorf("report result %q, want aborted", rep.Result)
	}
}
