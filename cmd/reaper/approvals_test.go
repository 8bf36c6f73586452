package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// queuedID is the approval ID of apply's "queued" line, or the test fails.
func queuedID(t *testing.T, r result) string {
	t.Helper()
	m := regexp.MustCompile(`queued as approval (\S+) for the running reaper`).FindStringSubmatch(r.stdout)
	if r.code != exitOK || m == nil {
		t.Fatalf("apply while the daemon runs: code %d, want 0 and a queued line\n%s%s", r.code, r.stdout, r.stderr)
	}
	return m[1]
}

// awaitOutcome waits (in real time: the daemon works on its own) for the outcome of approval id.
func awaitOutcome(t *testing.T, q approvalQueue, id string) state.ApprovalOutcome {
	t.Helper()
	var out state.ApprovalOutcome
	eventually(t, "the outcome of approval "+id, 30*time.Second, func() bool {
		o, ok, err := q.ApprovalOutcome(id)
		if err != nil {
			t.Fatal(err)
		}
		out = o
		return ok
	})
	return out
}

// daemonPlan runs one approve-mode cycle of the daemon and returns the plan file it wrote.
func daemonPlan(t *testing.T, fs *fakeSchedule, dir string) string {
	t.Helper()
	fs.cycle(t)
	plans, _ := filepath.Glob(filepath.Join(dir, "reports", "*", "plan.json"))
	if len(plans) != 1 {
		t.Fatalf("plan.json files after one approve-mode cycle: %v, want one", plans)
	}
	return plans[0]
}

func logOnFailure(t *testing.T, d *daemonRun) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.stderr.String())
		}
	})
}

// TestApplyQueuedForTheDaemon: apply while a daemon holds the bbolt state directory queues the
// approval (no API call); the daemon applies it at its next look: exactly the plan's items that
// are still due and unchanged, once, with its own apply report; `apply --wait` exits as the apply
// did. Queued again (two operators at once), the plan is not applied twice. A malformed inbox
// entry is set aside, never acted on.
func TestApplyQueuedForTheDaemon(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	addr := freePort(t)
	path, dir := writeConfig(t, url, testSecret, approveConfig+"schedule: \"@every 1m\"\ncycle_timeout: 20s\nmetrics: {listen: \""+addr+"\"}\n")
	fs := newFakeSchedule(t, "@every 1m")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	logOnFailure(t, d)
	planFile := daemonPlan(t, fs, dir)
	if n := terminateCount(sim); n != 0 {
		t.Fatalf("the approve-mode cycle made %d TerminateInstance calls", n)
	}
	// 7702 changes after review.
	sim.Mutate("7702", func(in *zensim.SimInstance) { in.Tags["owner"] = "someone-else" })
	sim.ResetCalls()

	inbox := state.NewInbox(filepath.Join(dir, "state"))
	// Junk in the inbox, as a careless hand could leave it.
	junk := filepath.Join(inbox.Dir(), "00000000000000000001-0000000000000000.json")
	if err := os.WriteFile(junk, []byte(`{"plan_run_id": "x", "plan": "not base64!"}`), 0o600); err != nil {
		t.Fatal(err)
	}

	waited := make(chan result, 1)
	go func() { waited <- reaper(t, "apply", planFile, "--config", path, "--exclude", "7703", "--wait=1m") }()
	var pending []state.PendingApproval
	eventually(t, "the approval in the inbox", 30*time.Second, func() bool {
		pending, _ = inbox.PendingApprovals()
		return len(pending) == 2
	})
	if n := len(sim.Calls()); n != 0 {
		t.Fatalf("queuing made %d API calls", n)
	}
	// A second operator approved the same plan at the same moment (past apply's own check): both
	// wait in the queue when the daemon looks.
	planBytes, _ := os.ReadFile(planFile)
	var planRun string
	for _, p := range pending {
		if p.Err == nil {
			planRun = p.PlanRunID
		}
	}
	racer, err := inbox.QueueApproval(state.Approval{PlanRunID: planRun, Plan: planBytes, Only: []string{"7703"}, By: "racer", QueuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	fs.clock.Advance(approvalPoll) // the daemon looks between cycles
	var r result
	select {
	case r = <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("apply --wait did not return")
	}
	id := queuedID(t, r)
	if r.code != exitOK || !strings.Contains(r.stdout, "applied by the running reaper") {
		t.Errorf("apply --wait: code %d, want 0 and the applied line\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701"}) {
		t.Errorf("the daemon terminated %v, want [7701]", got)
	}
	out := awaitOutcome(t, inbox, id)
	if o := awaitOutcome(t, inbox, racer); o.Status != state.ApprovalRefused || !strings.Contains(o.Reason, "already applied") {
		t.Errorf("the racing approval of the same plan: outcome %+v, want refused as already applied", o)
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701"}) {
		t.Errorf("after both approvals the daemon terminated %v, want [7701]", got)
	}
	rep := readApplyReport(t, dir)
	if rep["run_id"] != out.RunID || out.Status != state.ApprovalApplied || out.ExitCode != exitOK {
		t.Errorf("outcome %+v, report run %v", out, rep["run_id"])
	}
	if !strings.Contains(planFile, rep["plan_run_id"].(string)) {
		t.Errorf("apply report plan_run_id = %v, plan %s", rep["plan_run_id"], planFile)
	}
	if got := actions(rep); len(got) != 2 || got["7701"] != "terminated" || got["7702"] != "skipped:changed" {
		t.Errorf("apply report actions = %v", got)
	}
	if m := scrape(t, addr); !hasMetricLine(m, `reaper_terminations_total{result="terminated"} 1`) {
		t.Errorf("the daemon's apply is not in reaper_terminations_total:\n%s", grepLines(m, "reaper_terminations_total"))
	}
	if _, err := os.Stat(junk); err == nil {
		t.Error("the malformed entry is still in the inbox")
	}
	if _, err := os.Stat(filepath.Join(inbox.Dir(), "rejected", filepath.Base(junk))); err != nil {
		t.Errorf("the malformed entry was not set aside: %v", err)
	}
	if !strings.Contains(d.stderr.String(), "malformed approval set aside") {
		t.Error("no error log for the malformed entry")
	}

	// apply again: refused at once, as the daemon applied the plan.
	if r := reaper(t, "apply", planFile, "--config", path, "--only", "7703"); r.code != exitFailure || !strings.Contains(reaperLine(r.stderr), "already applied") {
		t.Errorf("apply of an applied plan: code %d, stderr %q", r.code, r.stderr)
	}
	// Two approvals of one plan that raced past that check: neither acts (the plan was claimed).
	b, _ := os.ReadFile(planFile)
	var ids []string
	for range 2 {
		id, err := inbox.QueueApproval(state.Approval{PlanRunID: out.PlanRunID, Plan: b, Only: []string{"7703"}, By: "test", QueuedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	sim.ResetCalls()
	fs.cycle(t) // and the daemon looks at the start of a cycle
	for _, id := range ids {
		if o := awaitOutcome(t, inbox, id); o.Status != state.ApprovalRefused || !strings.Contains(o.Reason, "already applied") || o.ExitCode != exitFailure {
			t.Errorf("approval %s queued again: outcome %+v, want refused as already applied", id, o)
		}
	}
	if n := terminateCount(sim); n != 0 {
		t.Errorf("approvals of an applied plan made %d TerminateInstance calls", n)
	}
}

// TestQueuedApprovalRecheckedAgainstReloadedConfig: the daemon checks a queued plan against its
// config as it is when it takes it: a policy change reloaded after queuing refuses it, nothing is
// described or terminated; apply --wait that runs out exits 4 and leaves the approval queued.
func TestQueuedApprovalRecheckedAgainstReloadedConfig(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	polDir := filepath.Join(t.TempDir(), "policies")
	if err := os.CopyFS(polDir, policies.FS); err != nil {
		t.Fatal(err)
	}
	path, dir := writeConfig(t, url, testSecret, approveConfig+"schedule: \"@every 1m\"\ncycle_timeout: 20s\npolicies: {dir: "+polDir+"}\n")
	fs := newFakeSchedule(t, "@every 1m")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	logOnFailure(t, d)
	planFile := daemonPlan(t, fs, dir)
	sim.ResetCalls()

	r := reaper(t, "apply", planFile, "--config", path, "--wait=1s")
	id := regexp.MustCompile(`queued as approval (\S+) `).FindStringSubmatch(r.stdout)
	if r.code != exitWaitTimeout || id == nil || !strings.Contains(r.stderr, "stays queued") {
		t.Fatalf("apply --wait=1s with the daemon not looking: code %d, want %d\n%s%s", r.code, exitWaitTimeout, r.stdout, r.stderr)
	}
	f, err := os.OpenFile(filepath.Join(polDir, "expiry.rego"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n# changed after the approval\n")
	f.Close()
	d.reload <- struct{}{}
	eventually(t, "the reload", 30*time.Second, func() bool { return strings.Contains(d.stderr.String(), `"msg":"reloaded"`) })
	fs.clock.Advance(approvalPoll)
	inbox := state.NewInbox(filepath.Join(dir, "state"))
	o := awaitOutcome(t, inbox, id[1])
	if o.Status != state.ApprovalRefused || !strings.Contains(o.Reason, "policy digest") || o.RunID != "" {
		t.Errorf("outcome %+v, want refused for the policy digest", o)
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("a refused approval made %d API calls", n)
	}
	if !strings.Contains(d.stderr.String(), `"msg":"approval refused"`) || !strings.Contains(d.stderr.String(), `"plan_run_id"`) {
		t.Error("the refusal is not logged with its plan_run_id")
	}
	if pending, _ := inbox.PendingApprovals(); len(pending) != 0 {
		t.Errorf("the refused approval is still queued: %+v", pending)
	}
}

// TestQueuedApprovalBlocked: a queued plan over max_terminations_per_run is blocked by the
// daemon's apply (nothing terminated, its report written) and apply --wait exits 3.
func TestQueuedApprovalBlocked(t *testing.T) {
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, "mode: approve\nsafety: {grace_period: 0s, max_terminations_per_run: 2, max_terminations_percent: 100}\n"+
		"schedule: \"@every 1m\"\ncycle_timeout: 20s\n")
	fs := newFakeSchedule(t, "@every 1m")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	logOnFailure(t, d)
	planFile := daemonPlan(t, fs, dir)
	inbox := state.NewInbox(filepath.Join(dir, "state"))
	waited := make(chan result, 1)
	go func() { waited <- reaper(t, "apply", planFile, "--config", path, "--wait") }()
	eventually(t, "the approval in the inbox", 30*time.Second, func() bool {
		p, _ := inbox.PendingApprovals()
		return len(p) == 1
	})
	fs.clock.Advance(approvalPoll)
	select {
	case r := <-waited:
		if r.code != exitBlocked {
			t.Errorf("apply --wait of a blocked plan: code %d, want %d\n%s%s", r.code, exitBlocked, r.stdout, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("apply --wait did not return")
	}
	if n := terminateCount(sim); n != 0 {
		t.Errorf("a blocked apply made %d TerminateInstance calls", n)
	}
	if rep := readApplyReport(t, dir); rep["result"] == nil {
		t.Errorf("no result in the blocked apply's report: %v", rep)
	}
}

// TestQueuedApprovalOnPostgres: with the state on PostgreSQL, apply on a third host while a
// daemon leads queues the approval in the shared table; the standby never takes it, the leader
// applies it once.
func TestQueuedApprovalOnPostgres(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	sim, url := startSim(t, applyFleet())
	extra := approveConfig + "schedule: \"@every 1m\"\ncycle_timeout: 20s\n"
	node := func(name string) (string, string) {
		path, dir := writeConfig(t, url, testSecret, extra)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(withPostgres(t, dir, dsn, "postgres", name))
		f.Close()
		return path, dir
	}
	pathA, dirA := node("bastion-a")
	pathB, _ := node("bastion-b")
	pathC, _ := node("bastion-c")
	fsA, fsB := newFakeSchedule(t, "@every 1m"), newFakeSchedule(t, "@every 1m")
	a := startDaemon(t, pathA, map[string]string{}, fsA.clock)
	logOnFailure(t, a)
	planFile := daemonPlan(t, fsA, dirA) // a cycle ran: bastion-a leads
	b := startDaemon(t, pathB, map[string]string{}, fsB.clock)
	logOnFailure(t, b)
	eventually(t, "bastion-b standing by", 30*time.Second, func() bool { return strings.Contains(b.stderr.String(), "standing by") })
	sim.ResetCalls()

	r := reaper(t, "apply", planFile, "--config", pathC, "--exclude", "7703")
	id := queuedID(t, r)
	if !strings.Contains(r.stdout, "bastion-a") {
		t.Errorf("the queued line does not name the leader: %s", r.stdout)
	}
	if n := len(sim.Calls()); n != 0 {
		t.Fatalf("queuing made %d API calls", n)
	}
	store := openShared(t, dsn, "shared")
	fsB.clock.Advance(approvalPoll)
	eventually(t, "bastion-b looking", 30*time.Second, func() bool {
		return strings.Contains(b.stderr.String(), "approvals wait for the leader")
	})
	if _, ok, err := store.ApprovalOutcome(id); ok || err != nil {
		t.Fatalf("the standby finished the approval (%v, %v)", ok, err)
	}
	if n := terminateCount(sim); n != 0 {
		t.Fatalf("the standby made %d TerminateInstance calls", n)
	}
	fsA.clock.Advance(approvalPoll)
	o := awaitOutcome(t, store, id)
	if o.Status != state.ApprovalApplied || o.Node != "bastion-a" || o.ExitCode != exitOK {
		t.Errorf("outcome %+v, want applied by bastion-a", o)
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701", "7702"}) {
		t.Errorf("terminated %v, want [7701 7702]", got)
	}
	if v, ok, _ := store.Meta("plan_applied." + o.PlanRunID); !ok || !strings.Contains(v, o.RunID) {
		t.Errorf("plan_applied claim = %q, %v; want the apply run %s", v, ok, o.RunID)
	}
	if r := reaper(t, "apply", planFile, "--config", pathC); r.code != exitFailure || !strings.Contains(reaperLine(r.stderr), "already applied") {
		t.Errorf("apply of the applied plan: code %d, stderr %q", r.code, r.stderr)
	}
}

// TestApplyWaitFlag: --wait takes its duration after "=", and `--wait 10m` says so (exit 2)
// instead of reading 10m as a second file.
func TestApplyWaitFlag(t *testing.T) {
	r := reaper(t, "apply", "plan.json", "--wait", "10m")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--wait=10m") {
		t.Errorf("apply plan.json --wait 10m: code %d, stderr %q; want 2 naming --wait=10m", r.code, r.stderr)
	}
	r = reaper(t, "apply", "plan.json", "--wait=bogus")
	if r.code != exitUsage {
		t.Errorf("apply --wait=bogus: code %d, want 2\n%s", r.code, r.stderr)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestApplyWhileAOneOffHoldsTheState: while a one-off reaper (plan, run --once, another apply,
// or one that does not say what it is) holds the bbolt state directory, apply neither acts nor
// queues (no daemon would ever take the approval, and apply --wait would run out): it fails at
// once, naming the holder and its PID, with no API call. Only a running daemon is given an
// approval (TestApplyQueuedForTheDaemon).
func TestApplyWhileAOneOffHoldsTheState(t *testing.T) {
	for _, holder := range []string{holderPlan, holderOnce, holderApply, ""} {
		t.Run(strings.ReplaceAll(holder+" ", " ", "_"), func(t *testing.T) {
			sim, url := startSim(t, applyFleet())
			path, dir := writeConfig(t, url, testSecret, approveConfig)
			planFile := filepath.Join(dir, "plan.json")
			if r := reaper(t, "plan", "--config", path, "--out", planFile); r.code != exitOK {
				t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			stateDir := filepath.Join(dir, "state")
			held, err := state.Open(stateDir, state.WithHolder(holder))
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			sim.ResetCalls()
			r := reaper(t, "apply", planFile, "--config", path, "--wait=2s")
			line := reaperLine(r.stderr)
			want := fmt.Sprintf("(pid %d)", os.Getpid())
			if r.code != exitFailure || !strings.Contains(line, "is busy") || !strings.Contains(line, stateDir) ||
				!strings.Contains(line, want) || (holder != "" && !strings.Contains(line, holder+" "+want)) {
				t.Errorf("apply while %q holds the state: code %d, stderr %q; want 1 and one line naming the holder %s", holder, r.code, r.stderr, want)
			}
			if strings.Contains(r.stdout, "queued") {
				t.Errorf("apply says it queued: %s", r.stdout)
			}
			if p, err := state.NewInbox(stateDir).PendingApprovals(); err != nil || len(p) != 0 {
				t.Errorf("inbox after apply = %+v, %v; want empty", p, err)
			}
			if n := len(sim.Calls()); n != 0 {
				t.Errorf("apply made %d API calls", n)
			}
		})
	}
}
