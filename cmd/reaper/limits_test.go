package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runawayPolicies writes a policy set into a new directory: reaper.all nominates every instance,
// reaper.bomb never finishes (500^4 iterations for each instance, allocating nothing).
func runawayPolicies(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"all.rego": "package reaper.all\n\nterminate contains \"all\" if input.instance.id != \"\"\n",
		"bomb.rego": "package reaper.bomb\n\nterminate contains \"never\" if {\n\tinput.instance.id != \"\"\n" +
			"\tsome a in numbers.range(1, 500)\n\tsome b in numbers.range(1, 500)\n" +
			"\tsome c in numbers.range(1, 500)\n\tsome d in numbers.range(1, 500)\n\ta + b + c + d < 0\n}\n",
		"bomb_test.rego": "package reaper.bomb_test\n\ntest_forever if {\n" +
			"\tcount(data.reaper.bomb.terminate) == 0 with input as {\"instance\": {\"id\": \"1\"}}\n}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// limitDeadline is the deadline the tests give a runaway policy; limitSlack is how much later
// the command may return on a loaded machine. The safety net stops a command that ignores its
// deadline, so that such a test fails instead of hanging.
const (
	limitDeadline = 2 * time.Second
	limitSlack    = 8 * time.Second
	safetyNet     = 40 * time.Second
)

// reaperTimed runs reaper under the safety net and reports how long it took.
func reaperTimed(t *testing.T, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safetyNet)
	defer cancel()
	start := time.Now()
	r := reaperEnv(t, ctx, map[string]string{}, args...)
	return r, time.Since(start)
}

func TestRunawayPolicyStopsAtCycleTimeout(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"plan", []string{"plan"}},
		{"run --once acting", []string{"run", "--once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, url := startSim(t, fleetN(3, healthyInstance))
			path, _ := writeConfig(t, url, testSecret, "dry_run: false\ncycle_timeout: 2s\n"+
				"safety: {grace_period: 0s, max_terminations_percent: 100}\npolicies: {dir: "+runawayPolicies(t)+"}\n")
			r, took := reaperTimed(t, append(tt.args, "--config", path)...)
			if r.code != exitFailure {
				t.Errorf("code %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "policy reaper.bomb") || !strings.Contains(r.stderr, "cycle_timeout") {
				t.Errorf("stderr does not name the policy and the cycle_timeout:\n%s", r.stderr)
			}
			if took > limitDeadline+limitSlack {
				t.Errorf("returned after %v; cycle_timeout is %v", took, limitDeadline)
			}
			if n := terminateCount(sim); n != 0 {
				t.Errorf("TerminateInstance calls = %d, want 0", n)
			}
		})
	}
}

func TestRunawayPolicyStopsAtCommandTimeout(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "instance.json")
	if err := os.WriteFile(doc, []byte(`{"id":"1","name":"ci","status":"RUNNING"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := runawayPolicies(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("policies: {dir: "+dir+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	full, _ := writeConfig(t, "http://127.0.0.1:9", testSecret, "policies: {dir: "+dir+"}\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"validate", []string{"validate", "--config", full, "--timeout", "2s"}, exitFailure, "1 errors"},
		{"policy eval", []string{"policy", "eval", "--config", cfg, "--instance", doc, "--timeout", "2s"}, exitFailure, "policy reaper.bomb"},
		{"policy eval --explain", []string{"policy", "eval", "--config", cfg, "--instance", doc, "--timeout", "2s", "--explain"}, exitFailure, "policy reaper.bomb"},
		{"policy test", []string{"policy", "test", "--timeout", "2s", dir}, exitUsage, "test_forever"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, took := reaperTimed(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("code %d, want %d and output naming %q:\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if took > limitDeadline+limitSlack {
				t.Errorf("returned after %v; --timeout is %v", took, limitDeadline)
			}
		})
	}
}
