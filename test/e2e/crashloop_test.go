package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// crashFleetSize is the number of expired instances of one round of the crash loop.
const crashFleetSize = 40

// TestCrashLoop kills reaper with SIGKILL at random points of acting cycles, many times (15, or
// 200 with REAPER_LONG), restarting it each time. After every kill the state store opens. When a
// round's fleet is used up (or the kills are), a clean cycle must finish the work: every instance
// in the recycle bin, no intent left open. The simulator's call log then shows that no instance
// received TerminateInstance twice without a describe of it in between, that every call the
// simulator accepted had its intent recorded before it, and that each instance was accepted
// exactly once. Kill points are seeded; their timing is not, so these are checked as properties
// that hold for any interleaving.
//
// It runs against both state backends: bbolt in a directory, and PostgreSQL, where each child
// also takes leadership and fences every intent and call with it, as a daemon does.
func TestCrashLoop(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { crashLoop(t, t.TempDir()) })
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Shared(t).NewDB(t)
		crashLoop(t, dsn)
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var node string
		if err := conn.QueryRow(context.Background(), "SELECT node FROM reaper.leadership").Scan(&node); err != nil || !strings.HasPrefix(node, "child-") {
			t.Errorf("leadership row: node %q, %v; want a child's: the children led", node, err)
		}
	})
}

// crashLoop is the crash loop against the state at spec (see openSpec).
func crashLoop(t *testing.T, dir string) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xc4a54))
	kills := 15
	if long() {
		kills = 200
	}
	fleet := crashFleet(0)
	sim, url := realSim(t, fleet)
	k := &killer{}
	sim.OnCall(k.onCall)

	var ids []string
	tally := map[string]int{}
	rounds := 0
	for n := 0; n < kills; rounds++ {
		if rounds > 0 {
			fleet = crashFleet(rounds)
			if err := sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
				t.Fatal(err)
			}
		}
		for _, in := range fleet {
			ids = append(ids, in.ID)
		}
		for ; n < kills; n++ {
			left := notRecycled(sim, fleet)
			if left == 0 {
				break
			}
			p := nextKill(rng, n, left)
			sim.SetFault("TerminateInstance", zensim.Fault{Latency: time.Duration(5+rng.IntN(16)) * time.Millisecond})
			tally[p.mode+" "+k.run(t, url, dir, p)]++
			checkStateOpens(t, dir)
		}
		finishRound(t, k, sim, url, dir, fleet)
	}
	t.Logf("%d rounds of %d instances; children by kill plan and end: %v; kills between an executed TerminateInstance and its answer: %d",
		rounds, crashFleetSize, tally, k.lost)
	if k.lost == 0 {
		t.Error("no kill landed between an executed TerminateInstance and its answer")
	}

	st, err := openSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	intents, err := st.Intents()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkCrashCalls(t, sim.Calls(), intents, ids)
}

// crashFleet is one round's fleet: expired instances with IDs no other round uses.
func crashFleet(round int) []zensim.FleetInstance {
	out := make([]zensim.FleetInstance, crashFleetSize)
	for i := range out {
		out[i] = expired(fmt.Sprintf("8%05d%012d", round, i))
	}
	return out
}

// notRecycled counts the instances of fleet that are not in the recycle bin.
func notRecycled(sim *zensim.Server, fleet []zensim.FleetInstance) int {
	n := 0
	for _, in := range fleet {
		if s, ok := sim.Instance(in.ID); !ok || s.Status != zen.StatusRecycle {
			n++
		}
	}
	return n
}

// killPlan says when to SIGKILL one child. Unused triggers are zero (counts) or negative (delays).
type killPlan struct {
	mode        string
	atCall      int           // on the child's atCall-th call, after the simulator handled it
	atTerminate int           // on the child's atTerminate-th TerminateInstance, after it was executed
	afterFirst  time.Duration // this long after the child's first call
	afterStart  time.Duration // this long after the child started
}

// nextKill draws the n-th kill plan; left is the number of instances still to terminate. The first
// plan always kills on the first TerminateInstance, so every run covers the lost answer.
func nextKill(rng *rand.Rand, n, left int) killPlan {
	p := killPlan{afterFirst: -1, afterStart: -1}
	if n == 0 {
		p.mode, p.atTerminate = "on-terminate", 1
		return p
	}
	switch rng.IntN(4) {
	case 0:
		p.mode, p.atCall = "on-call", 1+rng.IntN(min(left, 10)+3) // describes included
	case 1:
		p.mode, p.atTerminate = "on-terminate", 1+rng.IntN(min(left, 10))
	case 2: // while acting: the child makes about 10 calls a second
		p.mode, p.afterFirst = "after-first-call", time.Duration(rng.IntN(min(left, 10)*120))*time.Millisecond
	default: // from startup (state, policies) into the cycle
		p.mode, p.afterStart = "after-start", time.Duration(rng.IntN(1500))*time.Millisecond
	}
	return p
}

// killer runs one child at a time and kills it with SIGKILL as its plan says. onCall is the
// simulator's hook: a kill there lands after the simulator acted and before the child reads the
// answer.
type killer struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	plan   killPlan
	calls  int // calls of the current child
	terms  int // TerminateInstance calls of the current child
	killed bool
	lost   int // kills between an executed TerminateInstance and its answer, over all children
	timers []*time.Timer
}

func (k *killer) onCall(c zensim.Call) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cmd == nil || k.killed {
		return
	}
	k.calls++
	term := c.Action == "TerminateInstance"
	if term {
		k.terms++
	}
	if k.calls == 1 && k.plan.afterFirst >= 0 {
		k.afterLocked(k.plan.afterFirst)
	}
	if k.calls == k.plan.atCall || term && k.terms == k.plan.atTerminate {
		if term && c.HTTPStatus == 200 {
			k.lost++
		}
		k.killLocked()
	}
}

// afterLocked kills the current child after d, unless it has ended by then.
func (k *killer) afterLocked(d time.Duration) {
	cmd := k.cmd
	k.timers = append(k.timers, time.AfterFunc(d, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.cmd == cmd {
			k.killLocked()
		}
	}))
}

func (k *killer) killLocked() {
	if !k.killed {
		_ = k.cmd.Process.Kill()
		k.killed = true
	}
}

// run starts a child with plan p, waits for it and says how it ended: "completed", "killed", or
// "failed" (reported as an error: with no fault but the kills, a cycle has no reason to fail).
func (k *killer) run(t *testing.T, url, dir string, p killPlan) string {
	t.Helper()
	cmd := k.start(t, url, dir, p)
	err := waitChild(t, cmd)
	k.mu.Lock()
	for _, tm := range k.timers {
		tm.Stop()
	}
	k.timers, k.cmd = nil, nil
	killed := k.killed
	k.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "completed"
	case killed && errors.As(err, &ee) && ee.ExitCode() == -1:
		return "killed"
	default:
		t.Errorf("child with kill plan %+v ended with %v", p, err)
		return "failed"
	}
}

func (k *killer) start(t *testing.T, url, dir string, p killPlan) *exec.Cmd {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.plan, k.calls, k.terms, k.killed = p, 0, 0, false
	k.cmd = startChild(t, url, dir)
	if p.afterStart >= 0 {
		k.afterLocked(p.afterStart)
	}
	return k.cmd
}

// waitChild waits for cmd, for at most two minutes.
func waitChild(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("a child cycle did not end within 2 minutes")
		return nil
	}
}

// checkStateOpens opens the state a killed reaper left and reads it.
func checkStateOpens(t *testing.T, dir string) {
	t.Helper()
	st, err := openSpec(dir)
	if err != nil {
		t.Fatalf("state after SIGKILL: %v", err)
	}
	defer st.Close()
	if _, err := st.Intents(); err != nil {
		t.Fatalf("intents after SIGKILL: %v", err)
	}
	if _, err := st.Marks(); err != nil {
		t.Fatalf("marks after SIGKILL: %v", err)
	}
}

// finishRound runs a cycle nobody kills: it must complete, leave every instance of fleet in the
// recycle bin and no intent open.
func finishRound(t *testing.T, k *killer, sim *zensim.Server, url, dir string, fleet []zensim.FleetInstance) {
	t.Helper()
	if end := k.run(t, url, dir, killPlan{mode: "clean", afterFirst: -1, afterStart: -1}); end != "completed" {
		t.Fatalf("the clean cycle after the kills: %s", end)
	}
	if n := notRecycled(sim, fleet); n != 0 {
		t.Errorf("%d instances not in the recycle bin after a clean cycle", n)
	}
	st, err := openSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	open, err := st.OpenIntents()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range open {
		t.Errorf("intent %s/%s still open after a clean cycle", in.RunID, in.InstanceID)
	}
}

// checkCrashCalls holds the simulator's whole call log against the state the crashes left.
func checkCrashCalls(t *testing.T, calls []zensim.Call, intents []state.Intent, ids []string) {
	t.Helper()
	// No TerminateInstance for an instance twice without a describe of it in between.
	described, called := map[string]bool{}, map[string]bool{}
	for _, c := range calls {
		switch {
		case c.Action == "DescribeInstances" && c.HTTPStatus == 200:
			for _, id := range c.InstanceIDs {
				described[id] = true
			}
		case c.Action == "TerminateInstance" && len(c.InstanceIDs) == 1:
			id := c.InstanceIDs[0]
			if called[id] && !described[id] {
				t.Errorf("call %d: TerminateInstance %s again, with no describe of it since the last one", c.Seq, id)
			}
			called[id], described[id] = true, false
		}
	}

	// Every accepted call had its intent recorded before it; each instance was accepted once.
	byID := map[string][]state.Intent{}
	for _, in := range intents {
		byID[in.InstanceID] = append(byID[in.InstanceID], in)
	}
	accepted, acceptedBy := map[string]int{}, map[string]string{}
	for _, c := range calls {
		if c.Action != "TerminateInstance" || c.HTTPStatus != 200 {
			continue
		}
		id := c.InstanceIDs[0]
		accepted[id]++
		acceptedBy[c.RequestID] = id
		if !slices.ContainsFunc(byID[id], func(in state.Intent) bool { return !in.CreatedAt.After(c.Time) }) {
			t.Errorf("call %d: TerminateInstance %s accepted, but no intent was recorded before it", c.Seq, id)
		}
	}
	for _, id := range ids {
		if accepted[id] != 1 {
			t.Errorf("%s: TerminateInstance accepted %d times, want once", id, accepted[id])
		}
	}

	// Outcomes: "terminated" names a request the simulator accepted for that instance, and the
	// latest intent of every instance says it is done.
	for _, in := range intents {
		if o := in.Outcome; o != nil && o.Result == reconcile.OutcomeTerminated && acceptedBy[o.RequestID] != in.InstanceID {
			t.Errorf("intent %s/%s: terminated with request %q, which the simulator did not accept for it", in.RunID, in.InstanceID, o.RequestID)
		}
	}
	for _, id := range ids {
		list := byID[id]
		if len(list) == 0 {
			t.Errorf("%s: no intent", id)
			continue
		}
		last := slices.MaxFunc(list, func(a, b state.Intent) int { return a.CreatedAt.Compare(b.CreatedAt) })
		if o := last.Outcome; o == nil || o.Result != reconcile.OutcomeTerminated && o.Result != reconcile.OutcomeRecycled {
			t.Errorf("%s: latest intent %s has outcome %+v, want terminated or recycled", id, last.RunID, o)
		}
	}
}
