package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// approveConfig is the extra YAML of the apply tests: approve mode, due at once, wide limits.
const approveConfig = "mode: approve\nsafety: {grace_period: 0s, max_terminations_per_run: 10, max_terminations_percent: 100}\n"

// applyFleet: three expired instances (due at once) and a healthy one.
func applyFleet() []zensim.FleetInstance {
	return []zensim.FleetInstance{expiredInstance("7701"), expiredInstance("7702"), expiredInstance("7703"), healthyInstance("7704")}
}

func terminatedIDs(sim *zensim.Server) []string {
	var out []string
	for _, c := range sim.TerminateCalls() {
		out = append(out, c.InstanceIDs...)
	}
	slices.Sort(out)
	return out
}

// readApplyReport returns the report.json of the newest apply run under dir.
func readApplyReport(t *testing.T, dir string) map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "reports", "*", "report.json"))
	slices.Sort(files)
	for i := len(files) - 1; i >= 0; i-- {
		b, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		var r map[string]any
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r["command"] == "apply" {
			return r
		}
	}
	t.Fatalf("no apply report under %s: %v", dir, files)
	return nil
}

// reaperLine returns the one line reaper printed for the user on stderr (logs are JSON lines), or
// "" unless there is exactly one.
func reaperLine(stderr string) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "reaper: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		return ""
	}
	return lines[0]
}

func actions(r map[string]any) map[string]string {
	out := map[string]string{}
	for _, in := range r["instances"].([]any) {
		m := in.(map[string]any)
		a := m["action"].(string)
		if s, _ := m["skip_reason"].(string); s != "" {
			a += ":" + s
		}
		out[m["id"].(string)] = a
	}
	return out
}

// TestApplyWorkflow: plan --out writes a plan and terminates nothing; apply terminates exactly the
// still-due unchanged items it was not told to leave out, skips a changed one as changed, writes
// its own report, and a plan is applied at most once.
func TestApplyWorkflow(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, approveConfig)
	planFile := filepath.Join(dir, "plan.json")
	if r := reaper(t, "plan", "--config", path, "--out", planFile); r.code != exitOK {
		t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := terminateCount(sim); n != 0 {
		t.Fatalf("plan made %d TerminateInstance calls", n)
	}
	for _, c := range sim.Calls() {
		if c.Service == zensim.ServiceZRM {
			t.Fatalf("plan wrote tags: %s", c.Action)
		}
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"plan_version": 1`, `"id": "7701"`, `"id": "7703"`, `"inventory_size": 4`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("plan file lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "7704") {
		t.Errorf("plan lists the healthy instance:\n%s", b)
	}
	// 7702 changes after review: another owner tag.
	sim.Mutate("7702", func(in *zensim.SimInstance) { in.Tags["owner"] = "someone-else" })
	sim.ResetCalls()

	r := reaper(t, "apply", planFile, "--config", path, "--exclude", "7703")
	if r.code != exitOK {
		t.Fatalf("apply: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701"}) {
		t.Errorf("apply terminated %v, want [7701]", got)
	}
	rep := readApplyReport(t, dir)
	var p struct {
		RunID string `json:"run_id"`
	}
	_ = json.Unmarshal(b, &p)
	if rep["plan_run_id"] != p.RunID || p.RunID == "" {
		t.Errorf("apply report plan_run_id = %v, want %s", rep["plan_run_id"], p.RunID)
	}
	got := actions(rep)
	want := map[string]string{"7701": "terminated", "7702": "skipped:changed"}
	if len(got) != len(want) || got["7701"] != want["7701"] || got["7702"] != want["7702"] {
		t.Errorf("apply report actions = %v, want %v", got, want)
	}

	sim.ResetCalls()
	r = reaper(t, "apply", planFile, "--config", path, "--only", "7703")
	if line := reaperLine(r.stderr); r.code != exitFailure || !strings.Contains(line, "already applied") {
		t.Errorf("second apply: code %d, stderr %q; want 1 and one line saying already applied", r.code, r.stderr)
	}
	if n := terminateCount(sim); n != 0 {
		t.Errorf("second apply made %d TerminateInstance calls", n)
	}
}

// TestApplySeesRepeatedTagOrder: the owner tag repeats and its values swap places after review.
// input.instance.tags.owner (and the report the approver read) now shows the other owner, while
// the expiry policy still wants the instance gone: apply must skip it as changed, not terminate an
// instance whose tags are no longer those approved.
func TestApplySeesRepeatedTagOrder(t *testing.T) {
	in := expiredInstance("7711")
	in.Tags = nil
	in.TagList = []zensim.Tag{{Key: "reaper-expires-at", Value: "2020-01-01"}, {Key: "owner", Value: "ci"}, {Key: "owner", Value: "team-b"}}
	sim, url := startSim(t, []zensim.FleetInstance{in, healthyInstance("7712")})
	path, dir := writeConfig(t, url, testSecret, approveConfig)
	planFile := filepath.Join(dir, "plan.json")
	if r := reaper(t, "plan", "--config", path, "--out", planFile); r.code != exitOK {
		t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(planFile); err != nil || !strings.Contains(string(b), `"id": "7711"`) {
		t.Fatalf("plan file lacks 7711 (%v):\n%s", err, b)
	}
	sim.Mutate("7711", func(in *zensim.SimInstance) {
		in.TagList = []zensim.Tag{{Key: "reaper-expires-at", Value: "2020-01-01"}, {Key: "owner", Value: "team-b"}, {Key: "owner", Value: "ci"}}
	})
	sim.ResetCalls()
	r := reaper(t, "apply", planFile, "--config", path)
	if got := terminatedIDs(sim); len(got) != 0 {
		t.Fatalf("apply terminated %v after the owner tag's values swapped; want none\n%s", got, r.stderr)
	}
	if got := actions(readApplyReport(t, dir)); got["7711"] != "skipped:changed" {
		t.Errorf("apply report actions = %v, want 7711 skipped:changed", got)
	}
}

// TestApplyRefusesBadPlans: each plan apply must refuse is refused with exit 1 and one line
// naming why, and nothing is terminated (no API call at all).
func TestApplyRefusesBadPlans(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, approveConfig)
	planFile := filepath.Join(dir, "plan.json")
	if r := reaper(t, "plan", "--config", path, "--out", planFile); r.code != exitOK {
		t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	good, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the bundled policies with one comment more: the same decisions, another digest.
	polDir := filepath.Join(dir, "policies")
	if err := os.CopyFS(polDir, policies.FS); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(polDir, "expiry.rego"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n# reviewed\n")
	f.Close()

	config := func(extra string) string {
		p, _ := writeConfig(t, url, testSecret, extra)
		return p
	}
	edited := strings.Replace(string(good), `"id": "7701"`, `"id": "7705"`, 1)
	cases := []struct {
		name   string
		plan   string // file content; "" the good plan
		config string
		at     time.Duration // after now
		want   string
	}{
		{"expired", "", path, 25 * time.Hour, "expired"},
		{"edited", edited, path, 0, "was edited"},
		{"unknown field", strings.Replace(string(good), `"plan_version": 1,`, `"plan_version": 1, "x": 1,`, 1), path, 0, `unknown field "x"`},
		{"other endpoint", "", config(approveConfig + "zenlayer_endpoint_placeholder: 0\n"), 0, "endpoint"},
		{"other config digest", "", config("mode: approve\nsafety: {grace_period: 1s, max_terminations_per_run: 10, max_terminations_percent: 100}\n"), 0, "config digest"},
		{"other policy digest", "", config(approveConfig + "policies: {dir: " + polDir + "}\n"), 0, "policy digest"},
		{"mode dry-run", "", config("mode: dry-run\nsafety: {grace_period: 0s, max_terminations_per_run: 10, max_terminations_percent: 100}\n"), 0, "mode: approve or enforce"},
		{"mode mark", "", config("mode: mark\nsafety: {grace_period: 0s, max_terminations_per_run: 10, max_terminations_percent: 100}\n"), 0, "mode: approve or enforce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "other endpoint" {
				// The same simulator under another spelling of its address.
				b, _ := os.ReadFile(c.config)
				s := strings.Replace(string(b), "zenlayer_endpoint_placeholder: 0\n", "", 1)
				s = strings.Replace(s, url, strings.Replace(url, "127.0.0.1", "localhost", 1), 1)
				os.WriteFile(c.config, []byte(s), 0o600)
			}
			file := planFile
			if c.plan != "" {
				file = filepath.Join(t.TempDir(), "plan.json")
				if err := os.WriteFile(file, []byte(c.plan), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			sim.ResetCalls()
			r := reaperAt(t, time.Now().Add(c.at), "apply", file, "--config", c.config)
			if line := reaperLine(r.stderr); r.code != exitFailure || !strings.Contains(line, c.want) {
				t.Errorf("code %d, stderr %q; want 1 and one line containing %q", r.code, r.stderr, c.want)
			}
			if n := len(sim.Calls()); n != 0 {
				t.Errorf("a refused apply made %d API calls", n)
			}
		})
	}
	if n := len(terminatedIDs(sim)); n != 0 {
		t.Errorf("refused applies terminated %d instances", n)
	}
	// The good plan is still good: the refusals consumed nothing.
	if r := reaper(t, "apply", planFile, "--config", path); r.code != exitOK || len(terminatedIDs(sim)) != 3 {
		t.Errorf("the good plan after the refusals: code %d, terminated %v\n%s", r.code, terminatedIDs(sim), r.stderr)
	}
}

// TestApplyBlastRadius: a plan with more items than max_terminations_per_run is blocked (exit 3,
// nothing terminated, the plan not consumed); narrowed with --only it applies.
func TestApplyBlastRadius(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, "mode: approve\nsafety: {grace_period: 0s, max_terminations_per_run: 2, max_terminations_percent: 100}\n")
	planFile := filepath.Join(dir, "plan.json")
	if r := reaper(t, "plan", "--config", path, "--out", planFile); r.code != exitBlocked {
		t.Fatalf("plan of 3 due with a limit of 2: code %d, want %d\n%s", r.code, exitBlocked, r.stderr)
	}
	if r := reaper(t, "apply", planFile, "--config", path); r.code != exitBlocked || !strings.Contains(r.stdout, "max_terminations_per_run") {
		t.Errorf("apply of 3 items: code %d, want %d naming the limit\n%s%s", r.code, exitBlocked, r.stdout, r.stderr)
	}
	if n := terminateCount(sim); n != 0 {
		t.Fatalf("a blocked apply made %d TerminateInstance calls", n)
	}
	if r := reaper(t, "apply", planFile, "--config", path, "--only", "7701,7703"); r.code != exitOK {
		t.Fatalf("apply --only: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701", "7703"}) {
		t.Errorf("apply --only terminated %v, want [7701 7703]", got)
	}
	if r := reaper(t, "apply", planFile, "--config", path, "--only", "7799"); r.code != exitUsage || !strings.Contains(r.stderr, "not in plan") {
		t.Errorf("apply --only of an ID not in the plan: code %d, stderr %q", r.code, r.stderr)
	}
}

// TestApproveCycleWritesPlan: an approve-mode cycle writes <run dir>/plan.json, terminates nothing,
// and its Markdown and HTML reports give the exact apply command, which then works.
// TestApproveCyclePlanWithMarkKeySpeltOtherwise: an instance carries a mark key spelt otherwise
// (" Reaper-Reason"); the approve-mode cycle's mark step replaces it with reaper-reason. Mark keys in
// any spelling are no part of what the decision rested on (the policy never sees them), so the
// plan's item must still match at apply.
func TestApproveCyclePlanWithMarkKeySpeltOtherwise(t *testing.T) {
	fleet := applyFleet()
	fleet[0].Tags[" Reaper-Reason"] = "old"
	sim, url := startSim(t, fleet)
	path, dir := writeConfig(t, url, testSecret, approveConfig)
	if r := reaper(t, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("run --once: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	plans, _ := filepath.Glob(filepath.Join(dir, "reports", "*", "plan.json"))
	if len(plans) != 1 {
		t.Fatalf("plan.json files: %v, want one", plans)
	}
	if r := reaper(t, "apply", plans[0], "--config", path); r.code != exitOK || len(terminatedIDs(sim)) != 3 {
		t.Errorf("apply of the cycle's plan: code %d, terminated %v, want 3\n%s", r.code, terminatedIDs(sim), r.stderr)
	}
}

func TestApproveCycleWritesPlan(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, approveConfig)
	if r := reaper(t, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("run --once: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := terminateCount(sim); n != 0 {
		t.Fatalf("an approve-mode cycle made %d TerminateInstance calls", n)
	}
	zrm := 0
	for _, c := range sim.Calls() {
		if c.Service == zensim.ServiceZRM {
			zrm++
		}
	}
	if zrm == 0 { // the mark tags written now must not make the plan's items look changed
		t.Fatal("the approve-mode cycle wrote no mark tags; the test needs them")
	}
	plans, _ := filepath.Glob(filepath.Join(dir, "reports", "*", "plan.json"))
	if len(plans) != 1 {
		t.Fatalf("plan.json files: %v, want one", plans)
	}
	want := "reaper apply " + plans[0] + " --config " + path
	for _, name := range []string{"report.md", "report.html"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(plans[0]), name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not say %q", name, want)
		}
	}
	if r := reaper(t, "apply", plans[0], "--config", path); r.code != exitOK || len(terminatedIDs(sim)) != 3 {
		t.Errorf("apply of the cycle's plan: code %d, terminated %v\n%s", r.code, terminatedIDs(sim), r.stderr)
	}
}
