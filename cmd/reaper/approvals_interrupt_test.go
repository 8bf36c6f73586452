package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
)

// crashAfterApply makes the first daemon that acts on an approval stop (a panic, which stops
// the daemon) after the apply and before the approval's outcome is recorded, as a crash there
// would. Not parallel: it replaces a package seam.
func crashAfterApply(t *testing.T) {
	t.Helper()
	var crashed atomic.Bool
	prev := approvalTaken
	approvalTaken = func(id string) {
		if crashed.CompareAndSwap(false, true) {
			panic("test: the daemon dies after applying approval " + id)
		}
	}
	t.Cleanup(func() { approvalTaken = prev })
}

// awaitExit waits for a daemon to stop on its own.
func awaitExit(t *testing.T, d *daemonRun) {
	t.Helper()
	select {
	case code := <-d.done:
		d.done <- code
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop after its crash")
	}
}

// checkInterrupted checks the outcome a restarted daemon records for an approval whose plan an
// earlier take applied before it died: applied by that run (named by the plan's claim), exit 1,
// never refused, and nothing terminated again.
func checkInterrupted(t *testing.T, o state.ApprovalOutcome, claim string, terminatedBefore int, terminatedNow int) {
	t.Helper()
	run := reconcile.ClaimRun(claim)
	if run == "" {
		t.Fatalf("plan claim %q names no run", claim)
	}
	if o.Status != state.ApprovalApplied || o.RunID != run || o.ExitCode != exitFailure ||
		!strings.Contains(o.Reason, "interrupted") || !strings.Contains(o.Reason, run) {
		t.Errorf("outcome after the crash = %+v; want applied by run %s (the plan's claim), exit %d, saying it was interrupted",
			o, run, exitFailure)
	}
	if terminatedNow != terminatedBefore {
		t.Errorf("TerminateInstance calls: %d before the restart, %d after; want none again", terminatedBefore, terminatedNow)
	}
}

// TestQueuedApprovalCrashAfterTerminations: a daemon applies a queued approval (terminating the
// plan's items) and dies before it records the approval's outcome. The restarted daemon records
// the truth: the plan was applied by the run that claimed it, interrupted; never "refused", and
// nothing is terminated twice.
func TestQueuedApprovalCrashAfterTerminations(t *testing.T) {
	crashAfterApply(t)
	sim, url := startSim(t, applyFleet())
	path, dir := writeConfig(t, url, testSecret, approveConfig+"schedule: \"@every 1m\"\ncycle_timeout: 20s\n")
	fs := newFakeSchedule(t, "@every 1m")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	logOnFailure(t, d)
	planFile := daemonPlan(t, fs, dir)
	sim.ResetCalls()
	id := queuedID(t, reaper(t, "apply", planFile, "--config", path, "--exclude", "7703"))
	fs.clock.Advance(approvalPoll)
	awaitExit(t, d)
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701", "7702"}) {
		t.Fatalf("terminated before the crash %v, want [7701 7702]", got)
	}
	inbox := state.NewInbox(filepath.Join(dir, "state"))
	if _, ok, err := inbox.ApprovalOutcome(id); ok || err != nil {
		t.Fatalf("an outcome was recorded before the crash (%v, %v)", ok, err)
	}
	before := terminateCount(sim)

	fs2 := newFakeSchedule(t, "@every 1m")
	d2 := startDaemon(t, path, map[string]string{}, fs2.clock)
	logOnFailure(t, d2)
	fs2.cycle(t) // a cycle looks at the queue first
	o := awaitOutcome(t, inbox, id)
	d2.stop(t)
	store, err := state.Open(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	claim, ok, err := store.Meta(reconcile.AppliedKey(o.PlanRunID))
	if err != nil || !ok {
		t.Fatalf("plan claim: %q, %v, %v", claim, ok, err)
	}
	checkInterrupted(t, o, claim, before, terminateCount(sim))
}

// pgNode writes the config of a daemon named name on the shared state at dsn.
func pgNode(t *testing.T, url, dsn, name string) (path, dir string) {
	t.Helper()
	path, dir = writeConfig(t, url, testSecret, approveConfig+"schedule: \"@every 1m\"\ncycle_timeout: 20s\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(withPostgres(t, dir, dsn, "postgres", name)); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// cutLeadership ends the session that holds leadership of the shared state (as a network
// partition or a PostgreSQL restart of that session would); its daemon has not noticed yet.
func cutLeadership(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_terminate_backend(pid, 10000) FROM shared.leadership WHERE id = 1").Scan(&ok); err != nil || !ok {
		t.Fatalf("end the leader's session: %v, %v", ok, err)
	}
}

// TestQueuedApprovalLeadershipHandover: on PostgreSQL, bastion-a takes a queued approval and
// applies the plan, then loses leadership before it records the outcome, without noticing yet;
// bastion-b leads and looks at the queue. Exactly one outcome is recorded, and it is the truth:
// the plan was applied by bastion-a's run (the claim names it), not "refused"; bastion-a's late
// outcome is not recorded (its take was taken over), and nothing is terminated twice.
func TestQueuedApprovalLeadershipHandover(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	sim, url := startSim(t, applyFleet())
	pathA, dirA := pgNode(t, url, dsn, "bastion-a")
	pathB, _ := pgNode(t, url, dsn, "bastion-b")
	pathC, _ := pgNode(t, url, dsn, "bastion-c")

	handover, resume := make(chan string, 1), make(chan struct{})
	prev := approvalTaken
	var once atomic.Bool
	approvalTaken = func(id string) {
		if once.CompareAndSwap(false, true) {
			handover <- id
			<-resume
		}
	}
	t.Cleanup(func() { approvalTaken = prev })
	var resumed atomic.Bool
	release := func() {
		if resumed.CompareAndSwap(false, true) {
			close(resume)
		}
	}
	t.Cleanup(release)

	fsA := newFakeSchedule(t, "@every 1m")
	a := startDaemon(t, pathA, map[string]string{}, fsA.clock)
	logOnFailure(t, a)
	planFile := daemonPlan(t, fsA, dirA) // a cycle ran: bastion-a leads
	sim.ResetCalls()
	id := queuedID(t, reaper(t, "apply", planFile, "--config", pathC, "--exclude", "7703"))
	fsA.clock.Advance(approvalPoll)
	select {
	case <-handover:
	case <-time.After(30 * time.Second):
		t.Fatal("bastion-a did not apply the approval")
	}
	if got := terminatedIDs(sim); !slices.Equal(got, []string{"7701", "7702"}) {
		t.Fatalf("bastion-a terminated %v, want [7701 7702]", got)
	}
	before := terminateCount(sim)

	cutLeadership(t, dsn)
	fsB := newFakeSchedule(t, "@every 1m")
	b := startDaemon(t, pathB, map[string]string{}, fsB.clock)
	logOnFailure(t, b)
	fsB.cycle(t) // bastion-b leads now; its cycle looks at the queue first
	store := openShared(t, dsn, "shared")
	o := awaitOutcome(t, store, id)
	release() // bastion-a goes on to record its outcome, late
	eventually(t, "bastion-a giving up its outcome", 30*time.Second, func() bool {
		return strings.Contains(a.stderr.String(), "cannot finish an approval")
	})
	final, ok, err := store.ApprovalOutcome(id)
	if err != nil || !ok || final != o {
		t.Errorf("outcome after bastion-a finished = %+v, %v, %v; want bastion-b's %+v unchanged", final, ok, err, o)
	}
	claim, ok, err := store.Meta(reconcile.AppliedKey(o.PlanRunID))
	if err != nil || !ok {
		t.Fatalf("plan claim: %q, %v, %v", claim, ok, err)
	}
	checkInterrupted(t, o, claim, before, terminateCount(sim))
	if o.Node != "bastion-b" {
		t.Errorf("outcome recorded by %q, want bastion-b (the leader)", o.Node)
	}
}
