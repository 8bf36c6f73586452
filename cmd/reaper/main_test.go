package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "Usage:\n  reaper [command]"},
		{[]string{"help"}, exitOK, "Available Commands:\n  run "},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"run", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"inventory", "--format", "xml"}, exitUsage, "--format must be table, json or fleet"},
		{[]string{"policy"}, exitUsage, "policy needs a subcommand"},
		{[]string{"report"}, exitUsage, "report needs a subcommand"},
		{[]string{"sim", "--listen", "0.0.0.0:8700"}, exitUsage, "not a loopback address"},
		{[]string{"plan", "extra"}, exitUsage, "plan takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := reaper(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Fatalf("code %d, output %q; want %d and %q", r.code, r.stdout+r.stderr, tt.code, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := reaper(t, "version")
	for _, want := range []string{"reaper ", "go     go1.", "opa    "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output %q lacks %q", r.stdout, want)
		}
	}
}

func TestPlanExitCodesAndReport(t *testing.T) {
	sim, url := startSim(t, append(fleetN(2, expiredInstance), fleetN(30, healthyInstance)[2:]...))
	path, dir := writeConfig(t, url, testSecret, "safety: {grace_period: 0s}\n")

	r := reaper(t, "plan", "--config", path)
	if r.code != exitOK {
		t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"would_terminate 2", "expired-77", "report:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := reaper(t, "plan", "--config", path, "--detailed-exitcode"); r.code != exitUsage {
		t.Errorf("plan --detailed-exitcode with candidates: code %d, want 2", r.code)
	}
	if n := terminateCount(sim); n != 0 {
		t.Fatalf("plan made %d TerminateInstance calls", n)
	}
	entries, err := report.List(filepath.Join(dir, "reports"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("reports: %v, %d entries, want 2", err, len(entries))
	}
	run, err := report.Load(filepath.Join(dir, "reports"), report.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary.ByAction[report.ActionWouldTerminate] != 2 || len(run.Instances) != 30 || !run.DryRun {
		t.Errorf("report: %+v", run.Summary)
	}
	for _, f := range []string{"report.json", "report.csv", "report.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, "reports", run.RunID, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}

func TestPlanBlockedExitsThree(t *testing.T) {
	_, url := startSim(t, fleetN(5, expiredInstance))
	path, _ := writeConfig(t, url, testSecret, "safety: {grace_period: 0s, max_terminations_per_run: 2}\n")
	r := reaper(t, "plan", "--config", path)
	if r.code != exitBlocked || !strings.Contains(r.stdout, "BLOCKED by max_terminations_per_run") {
		t.Fatalf("code %d, output:\n%s", r.code, r.stdout)
	}
}

func TestRunOnceActsOnlyWhenFileSaysSo(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		args  []string
		calls int
	}{
		{"default is dry-run", "", nil, 0},
		{"dry_run true", "dry_run: true\n", nil, 0},
		{"--dry-run wins over the file", "dry_run: false\n", []string{"--dry-run"}, 0},
		{"dry_run false acts", "dry_run: false\n", nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, url := startSim(t, append(fleetN(3, expiredInstance), healthyInstance("1")))
			path, _ := writeConfig(t, url, testSecret, tt.extra+"safety: {grace_period: 0s, max_terminations_percent: 100}\n")
			r := reaper(t, append([]string{"run", "--once", "--config", path}, tt.args...)...)
			if r.code != exitOK {
				t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if n := terminateCount(sim); n != tt.calls {
				t.Fatalf("TerminateInstance calls = %d, want %d", n, tt.calls)
			}
			want := "would_terminate 3"
			if tt.calls > 0 {
				want = "terminated 3"
			}
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		})
	}
}

func TestInventory(t *testing.T) {
	fleet := append(fleetN(3, expiredInstance), healthyInstance("9"))
	_, url := startSim(t, fleet)
	path, _ := writeConfig(t, url, testSecret, "")
	r := reaper(t, "inventory", "--config", path)
	if r.code != exitOK || !strings.Contains(r.stdout, "4 instances") || !strings.Contains(r.stdout, "healthy-9") {
		t.Fatalf("table: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = reaper(t, "inventory", "--config", path, "--format", "json")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || len(docs) != 4 || docs[0]["charge_type"] != "POSTPAID" {
		t.Fatalf("json: %v %v", err, r.stdout)
	}
	r = reaper(t, "inventory", "--config", path, "--format", "fleet")
	f, err := zensim.DecodeFleet(strings.NewReader(r.stdout))
	if err != nil || len(f.Instances) != 4 {
		t.Fatalf("fleet: %v (%d instances)", err, len(f.Instances))
	}
}

func TestWrongSecretNamesAuthenticationAndHidesSecret(t *testing.T) {
	_, url := startSim(t, fleetN(2, expiredInstance))
	const wrong = "wrong-secret-0123456789"
	path, _ := writeConfig(t, url, wrong, "")
	for _, args := range [][]string{{"inventory"}, {"plan"}, {"run", "--once"}} {
		r := reaper(t, append(args, "--config", path)...)
		if r.code != exitFailure {
			t.Errorf("%v: code %d, want 1", args, r.code)
		}
		out := r.stdout + r.stderr
		if !strings.Contains(r.stderr, "authentication failed") {
			t.Errorf("%v: stderr does not say authentication failed:\n%s", args, r.stderr)
		}
		for _, s := range []string{wrong, testSecret} {
			if strings.Contains(out, s) {
				t.Errorf("%v: output contains a secret:\n%s", args, out)
			}
		}
	}
}

func TestBadInputOneLineErrors(t *testing.T) {
	_, url := startSim(t, nil)
	dupFleet := filepath.Join(t.TempDir(), "fleet.json")
	os.WriteFile(dupFleet, []byte(`{"instances":[{"id":"1"},{"id":"1"}]}`), 0o600)
	tests := []struct {
		name string
		cfg  func(t *testing.T) string
		args []string
		want string
	}{
		{"malformed endpoint", func(t *testing.T) string {
			p, _ := writeConfig(t, "ht!tp://bad url", testSecret, "")
			return p
		}, []string{"inventory"}, "zenlayer.endpoint"},
		{"unknown key", func(t *testing.T) string {
			p, _ := writeConfig(t, url, testSecret, "safty: {}\n")
			return p
		}, []string{"plan"}, "safty"},
		{"unreadable secret file", func(t *testing.T) string {
			p, dir := writeConfig(t, url, testSecret, "")
			os.Remove(filepath.Join(dir, "secret"))
			return p
		}, []string{"plan"}, "access_key_secret_file"},
		{"fleet file with duplicate IDs", nil, []string{"sim", "--fleet", dupFleet}, `"1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.cfg != nil {
				args = append(args, "--config", tt.cfg(t))
			}
			r := reaper(t, args...)
			if r.code != exitFailure || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("code %d, stderr %q; want 1 and %q", r.code, r.stderr, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; lines != 1 {
				t.Errorf("error takes %d lines, want one:\n%s", lines, r.stderr)
			}
			if strings.Contains(r.stderr, testSecret) {
				t.Errorf("stderr contains the secret")
			}
		})
	}
}

func TestValidate(t *testing.T) {
	path, _ := writeConfig(t, "https://console.zenlayer.com", testSecret, "schedule: \"@every 10m\"\n")
	r := reaper(t, "validate", "--config", path)
	if r.code != exitOK {
		t.Fatalf("code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"config", "schedule", "policies", "reaper.expiry", "tests", "passed", "dry-run"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout+r.stderr, testSecret) {
		t.Error("validate printed the secret")
	}
	bad, _ := writeConfig(t, "https://console.zenlayer.com", testSecret, "schedule: \"61 * * * *\"\n")
	if r := reaper(t, "validate", "--config", bad); r.code != exitFailure || !strings.Contains(r.stdout, "schedule") {
		t.Errorf("bad schedule: code %d\n%s", r.code, r.stdout)
	}
}

func TestReportCommands(t *testing.T) {
	sim, url := startSim(t, fleetN(3, expiredInstance))
	path, _ := writeConfig(t, url, testSecret, "safety: {grace_period: 0s, max_terminations_percent: 100}\n")
	reaper(t, "plan", "--config", path)
	sim.Mutate(fleetN(3, expiredInstance)[0].ID, func(in *zensim.SimInstance) { in.Tags["reaper-keep"] = "true" })
	reaper(t, "plan", "--config", path)

	r := reaper(t, "report", "list", "--config", path)
	if r.code != exitOK || strings.Count(r.stdout, "plan") != 2 {
		t.Fatalf("list: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	runs := strings.Fields(strings.Split(r.stdout, "\n")[1:][0])
	r = reaper(t, "report", "show", "latest", "--config", path)
	if r.code != exitOK || !strings.Contains(r.stdout, "expired-77") {
		t.Fatalf("show: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(reaper(t, "report", "list", "--config", path).stdout), "\n")
	older := strings.Fields(lines[2])[0]
	r = reaper(t, "report", "diff", older, runs[0], "--config", path)
	if r.code != exitOK || !strings.Contains(strings.ToLower(r.stdout), "resolved") {
		t.Fatalf("diff: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := reaper(t, "report", "show", "nope", "--config", path); r.code != exitFailure {
		t.Errorf("show unknown run: code %d", r.code)
	}
}

func TestPolicyCommands(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "instance.json")
	os.WriteFile(doc, []byte(`{"id":"1","name":"ci","status":"RUNNING","charge_type":"POSTPAID",
		"created_at":"2026-01-01T00:00:00Z","age_seconds":9000000,"tags":{"reaper-ttl":"7d"}}`), 0o600)
	r := reaper(t, "policy", "eval", "--instance", doc, "--now", "2026-11-26T08:00:00Z")
	if r.code != exitOK || !strings.Contains(r.stdout, "candidate for termination") || !strings.Contains(r.stdout, "reaper.expiry") {
		t.Fatalf("eval: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = reaper(t, "policy", "eval", "--instance", doc, "--explain")
	if r.code != exitOK || !strings.Contains(r.stdout, "trace:") {
		t.Fatalf("eval --explain: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := reaper(t, "policy", "test", "../../policies"); r.code != exitOK || !strings.Contains(r.stdout, "PASS") {
		t.Fatalf("policy test: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	failing := t.TempDir()
	os.WriteFile(filepath.Join(failing, "x.rego"), []byte("package reaper.x\n\nterminate contains \"x\" if { input.instance.name == \"x\" }\n"), 0o600)
	os.WriteFile(filepath.Join(failing, "x_test.rego"), []byte("package reaper.x_test\n\ntest_fails if { 1 == 2 }\n"), 0o600)
	if r := reaper(t, "policy", "test", failing); r.code != exitUsage {
		t.Errorf("a failing Rego test: code %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestReportRetention(t *testing.T) {
	_, url := startSim(t, fleetN(2, healthyInstance))
	path, dir := writeConfig(t, url, testSecret, "report: {dir: reports, formats: [html], keep: 2}\n")
	var last string
	for range 3 {
		r := reaper(t, "plan", "--config", path)
		if r.code != exitOK {
			t.Fatalf("plan: %d %s", r.code, r.stderr)
		}
		last = r.stdout
	}
	entries, err := report.List(filepath.Join(dir, "reports"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("reports kept = %d (%v), want 2", len(entries), err)
	}
	if !strings.Contains(last, entries[0].RunID) {
		t.Errorf("the newest run %s was not kept", entries[0].RunID)
	}
	// report.formats without json still writes report.json, which list and retention read.
	if _, err := os.Stat(filepath.Join(dir, "reports", entries[0].RunID, "report.json")); err != nil {
		t.Errorf("report.json missing: %v", err)
	}
}
