package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// childArgsEnv makes the test binary a reaper: its value is the JSON list of arguments. The
// failover tests run their daemons this way, as real processes that SIGKILL ends.
const childArgsEnv = "REAPER_TEST_CHILD_ARGS"

// runChildIfAsked runs reaper with the arguments in childArgsEnv and exits, when it is set.
func runChildIfAsked() {
	a := os.Getenv(childArgsEnv)
	if a == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(a), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitUsage)
	}
	os.Args = append([]string{"reaper"}, args...)
	main() // exits
	os.Exit(exitOK)
}

// frontEnd serves the simulator to one bastion and records when each of its requests arrived:
// the simulator's call log does not say which reaper called.
type frontEnd struct {
	sim    *zensim.Server
	refuse atomic.Bool // answer every request with 403, as if the key were revoked
	mu     sync.Mutex
	log    []frontCall
}

type frontCall struct {
	at     time.Time
	action string
}

func (f *frontEnd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, frontCall{time.Now(), r.Header.Get("X-ZC-Action")})
	f.mu.Unlock()
	if f.refuse.Load() {
		http.Error(w, "refused by the test", http.StatusForbidden)
		return
	}
	f.sim.ServeHTTP(w, r)
}

// since lists the actions of the requests that arrived after t.
func (f *frontEnd) since(t time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.log {
		if c.at.After(t) {
			out = append(out, c.action)
		}
	}
	return out
}

// bastion is one `reaper run` daemon in a child process, sharing the state in PostgreSQL.
type bastion struct {
	name    string
	cmd     *exec.Cmd
	front   *frontEnd
	addr    string // metrics and health
	dir     string
	logPath string
	done    chan error
}

// startBastion starts a daemon named name against sim (through its own front end) and the state
// in schema of the database dsn names.
func startBastion(t *testing.T, name string, sim *zensim.Server, dsn, schema string) *bastion {
	t.Helper()
	b := &bastion{name: name, front: &frontEnd{sim: sim}, addr: freePort(t), done: make(chan error, 1)}
	srv := httptest.NewServer(b.front)
	t.Cleanup(srv.Close)
	var path string
	path, b.dir = writeConfig(t, srv.URL, testSecret, fmt.Sprintf(`schedule: "@every 1s"
cycle_timeout: 20s
dry_run: false
safety: {grace_period: 0s, max_terminations_per_run: 100, max_terminations_percent: 100, max_fleet_drop_percent: 100}
metrics: {listen: %q}
state:
  backend: postgres
  postgres: {dsn_file: dsn, schema: %s}
  node_name: %s
`, b.addr, schema, name))
	if err := os.WriteFile(filepath.Join(b.dir, "dsn"), []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.logPath = filepath.Join(b.dir, "reaper.log")
	logFile, err := os.Create(b.logPath)
	if err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal([]string{"run", "--config", path})
	b.cmd = exec.Command(os.Args[0], "-test.run=^$")
	b.cmd.Env = append(os.Environ(), childArgsEnv+"="+string(args))
	b.cmd.Stdout, b.cmd.Stderr = logFile, logFile
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		_ = b.cmd.Process.Kill()
		<-b.done
		b.done <- nil
		if t.Failed() {
			out, _ := os.ReadFile(b.logPath)
			t.Logf("log of %s:\n%s", b.name, out)
		}
	})
	return b
}

// leads reports what the bastion's reaper_leader gauge says: 1, 0, or -1 when it cannot be read.
func (b *bastion) leads(t *testing.T) int {
	body := scrape(t, b.addr)
	switch {
	case hasMetricLine(body, "reaper_leader 1"):
		return 1
	case hasMetricLine(body, "reaper_leader 0"):
		return 0
	}
	return -1
}

func hasMetricLine(body, line string) bool {
	return slices.Contains(strings.Split(body, "\n"), line)
}

// readyz returns the bastion's /readyz status code and body.
func (b *bastion) readyz() (int, string) {
	resp, err := http.Get("http://" + b.addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// acquiredAfter returns how long after t the bastion's log says it acquired leadership.
func (b *bastion) acquiredAfter(t *testing.T, after time.Time) time.Duration {
	t.Helper()
	data, err := os.ReadFile(b.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		var rec struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "leadership acquired" && rec.Time.After(after) {
			return rec.Time.Sub(after)
		}
	}
	t.Errorf("%s never logged leadership acquired after %s", b.name, after.Format(time.RFC3339Nano))
	return 0
}

// stop sends SIGTERM and waits for the exit code.
func (b *bastion) stop(t *testing.T) {
	t.Helper()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.done:
		b.done <- err
		if err != nil {
			t.Errorf("%s after SIGTERM: %v", b.name, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not stop within 60s of SIGTERM", b.name)
	}
}

// pair starts two bastions, waits until one leads and the other stands by, and returns the
// leader first.
func pair(t *testing.T, sim *zensim.Server, dsnA, dsnB, schema string) (leader, follower *bastion) {
	t.Helper()
	a := startBastion(t, "bastion-a", sim, dsnA, schema)
	b := startBastion(t, "bastion-b", sim, dsnB, schema)
	eventually(t, "one leader and one standby", 60*time.Second, func() bool {
		la, lb := a.leads(t), b.leads(t)
		return la >= 0 && lb >= 0 && la+lb == 1
	})
	leader, follower = a, b
	if b.leads(t) == 1 {
		leader, follower = b, a
	}
	eventually(t, "the standby's /readyz", 10*time.Second, func() bool {
		code, body := follower.readyz()
		return code == http.StatusOK && strings.Contains(body, "standby") && strings.Contains(body, leader.name)
	})
	return leader, follower
}

// failoverFleet is the healthy fleet both bastions see at start, and the expired instances the
// test adds once one of them leads.
func failoverFleet(expired int) (start, full []zensim.FleetInstance, due []string) {
	for i := range 10 {
		start = append(start, healthyInstance(fmt.Sprintf("66%016d", i)))
	}
	full = slices.Clone(start)
	for i := range expired {
		in := expiredInstance(fmt.Sprintf("88%016d", i))
		full = append(full, in)
		due = append(due, in.ID)
	}
	return start, full, due
}

// openShared opens the shared state as a reader, to check what the bastions left.
func openShared(t *testing.T, dsn, schema string) *pgstate.Store {
	t.Helper()
	st, err := pgstate.Open(context.Background(), pgstate.Config{DSN: dsn, Schema: schema, Node: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// checkFailoverCalls holds the simulator's call log and the shared intents to the failover
// properties: no instance received a second TerminateInstance without a fresh describe of it in
// between, every due instance was accepted exactly once, nothing else was called, and every
// intent has an outcome.
func checkFailoverCalls(t *testing.T, calls []zensim.Call, intents []state.Intent, due []string) {
	t.Helper()
	described, called := map[string]bool{}, map[string]bool{}
	accepted := map[string]int{}
	for _, c := range calls {
		switch {
		case c.Action == "DescribeInstances" && c.HTTPStatus == 200:
			for _, id := range c.InstanceIDs {
				described[id] = true
			}
		case c.Action == "TerminateInstance":
			for _, id := range c.InstanceIDs {
				if called[id] && !described[id] {
					t.Errorf("call %d: TerminateInstance %s again, with no describe of it since the last one", c.Seq, id)
				}
				called[id], described[id] = true, false
				if c.HTTPStatus == 200 {
					accepted[id]++
				}
			}
		}
	}
	for id := range called {
		if !slices.Contains(due, id) {
			t.Errorf("TerminateInstance %s, which is not due", id)
		}
	}
	for _, id := range due {
		if accepted[id] != 1 {
			t.Errorf("%s: TerminateInstance accepted %d times, want exactly once", id, accepted[id])
		}
	}
	if len(intents) < len(due) {
		t.Errorf("%d intents for %d due instances", len(intents), len(due))
	}
	for _, in := range intents {
		if in.Outcome == nil {
			t.Errorf("intent %s/%s has no outcome", in.RunID, in.InstanceID)
		}
	}
}

// allRecycled reports whether every instance in ids is in the simulator's recycle bin.
func allRecycled(sim *zensim.Server, ids []string) bool {
	for _, id := range ids {
		if in, ok := sim.Instance(id); !ok || in.Status != zen.StatusRecycle {
			return false
		}
	}
	return true
}

// TestFailoverAfterSIGKILL runs two daemons on one simulator and one PostgreSQL state. The leader
// is killed with SIGKILL after the simulator executed one of its TerminateInstance calls and
// before the answer reached it; the standby takes over, resolves the open intent by a describe,
// and finishes the work.
func TestFailoverAfterSIGKILL(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	start, full, due := failoverFleet(24)
	sim, _ := startSim(t, start)
	sim.SetFault("TerminateInstance", zensim.Fault{Latency: 30 * time.Millisecond})
	leader, follower := pair(t, sim, dsn, dsn, "reaper")

	var mu sync.Mutex
	var terms int
	var killedAt time.Time
	sim.OnCall(func(call zensim.Call) {
		mu.Lock()
		defer mu.Unlock()
		if call.Action != "TerminateInstance" {
			return
		}
		if terms++; terms == 5 {
			_ = leader.cmd.Process.Kill() // SIGKILL: the answer is never read
			killedAt = time.Now()
		}
	})
	if err := sim.Load(zensim.Fleet{Instances: full}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the leader killed", 60*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return !killedAt.IsZero() })
	eventually(t, "every due instance in the recycle bin", 60*time.Second, func() bool { return allRecycled(sim, due) })
	if got := follower.leads(t); got != 1 {
		t.Errorf("the standby's reaper_leader after the takeover = %d, want 1", got)
	}
	follower.stop(t)
	mu.Lock()
	t.Logf("%s took over %s after the kill (schedule: every 1s)", follower.name, follower.acquiredAfter(t, killedAt))
	mu.Unlock()

	st := openShared(t, dsn, "reaper")
	intents, err := st.Intents()
	if err != nil {
		t.Fatal(err)
	}
	checkFailoverCalls(t, sim.Calls(), intents, due)
	runs, err := st.Runs(0)
	if err != nil {
		t.Fatal(err)
	}
	var byFollower int
	for _, r := range runs {
		if r.Node == follower.name && r.Counts[string(report.ActionTerminated)] > 0 {
			byFollower++
		}
	}
	if byFollower == 0 {
		t.Errorf("no run of %s terminated anything after the takeover: %+v", follower.name, runs)
	}
	var resolved bool
	for _, in := range intents {
		if in.Outcome != nil && strings.Contains(in.Outcome.Error, "resolved at start") {
			resolved = true
		}
	}
	if !resolved {
		t.Error("no intent was resolved at start by the new leader: the kill did not land between a call and its answer")
	}
}

// TestPartitionedLeaderStops cuts the leader's leadership session in the middle of acting
// (pg_terminate_backend), right after the simulator executed one of its TerminateInstance calls,
// and disables its login so that it cannot campaign again. Its state connections stay up: only
// the fence can stop it. The leader must make no further call; the other node leads after and
// finishes the work; the cut cycle is recorded as aborted.
func TestPartitionedLeaderStops(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	for _, role := range []string{"bastion_a", "bastion_b"} {
		if _, err := c.Exec(context.Background(), "CREATE ROLE "+role+" LOGIN SUPERUSER"); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = c.Exec(context.Background(), "ALTER ROLE "+role+" LOGIN") })
	}
	asRole := func(role string) string { return strings.Replace(dsn, "user=postgres", "user="+role, 1) }
	start, full, due := failoverFleet(24)
	sim, _ := startSim(t, start)
	sim.SetFault("TerminateInstance", zensim.Fault{Latency: 30 * time.Millisecond})
	leader, follower := pair(t, sim, asRole("bastion_a"), asRole("bastion_b"), "reaper")
	leaderRole := strings.ReplaceAll(leader.name, "-", "_")

	var mu sync.Mutex
	var terms int
	var cutAt time.Time
	var cutErr error
	sim.OnCall(func(call zensim.Call) {
		mu.Lock()
		defer mu.Unlock()
		if call.Action != "TerminateInstance" {
			return
		}
		if terms++; terms != 3 {
			return
		}
		ctx := context.Background()
		if _, cutErr = c.Exec(ctx, "ALTER ROLE "+leaderRole+" NOLOGIN"); cutErr == nil {
			_, cutErr = c.Exec(ctx, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = $1",
				"reaper-leader:"+leader.name)
		}
		cutAt = time.Now()
	})
	if err := sim.Load(zensim.Fleet{Instances: full}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cut", 60*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return !cutAt.IsZero() })
	if cutErr != nil {
		t.Fatalf("cutting %s off: %v", leader.name, cutErr)
	}
	eventually(t, "every due instance in the recycle bin", 60*time.Second, func() bool { return allRecycled(sim, due) })
	eventually(t, fmt.Sprintf("%s leads", follower.name), 10*time.Second, func() bool { return follower.leads(t) == 1 })
	if got := leader.front.since(cutAt); len(got) > 0 {
		t.Errorf("the cut-off leader made %d calls after the cut: %v", len(got), got)
	}
	if got := leader.leads(t); got != 0 {
		t.Errorf("the cut-off leader's reaper_leader = %d, want 0", got)
	}
	if code, body := leader.readyz(); code == http.StatusOK {
		t.Errorf("the cut-off leader's /readyz is ready: %s", body)
	}
	follower.stop(t)
	leader.stop(t)

	st := openShared(t, dsn, "reaper")
	intents, err := st.Intents()
	if err != nil {
		t.Fatal(err)
	}
	checkFailoverCalls(t, sim.Calls(), intents, due)

	// The cut cycle's report, on the node that ran it, says it aborted because leadership was lost.
	entries, err := report.List(filepath.Join(leader.dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	var aborted bool
	for _, e := range entries {
		r, err := report.Load(filepath.Join(leader.dir, "reports"), e.RunID)
		if err == nil && r.Result == report.ResultAborted && strings.Contains(r.Error, "leadership lost") {
			aborted = true
		}
	}
	if !aborted {
		t.Errorf("no report of %s says its cycle aborted because leadership was lost (%d reports)", leader.name, len(entries))
	}
}

// TestRunOnceNeedsLeadershipPlanDoesNot: with a daemon leading, `run --once` on another node
// refuses with exit 1 and names the leader, `apply` queues its approval for the leader; `plan` runs, reads the shared state and writes no
// marks.
func TestRunOnceNeedsLeadershipPlanDoesNot(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	start, full, _ := failoverFleet(3)
	sim, url := startSim(t, start)
	a := startBastion(t, "bastion-a", sim, dsn, "reaper")
	a.front.refuse.Store(true) // bastion-a leads, but its cycles never get an inventory: it writes no marks
	eventually(t, "bastion-a leads", 60*time.Second, func() bool { return a.leads(t) == 1 })

	path, dir := writeConfig(t, url, testSecret, `dry_run: false
safety: {grace_period: 1h}
state:
  backend: postgres
  postgres: {dsn_file: dsn, schema: reaper}
  node_name: bastion-c
`)
	if err := os.WriteFile(filepath.Join(dir, "dsn"), []byte(dsn), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sim.Load(zensim.Fleet{Instances: full}); err != nil {
		t.Fatal(err)
	}

	r := reaper(t, "run", "--once", "--config", path)
	if r.code != exitFailure || !strings.Contains(r.stderr, `"bastion-a"`) || !strings.Contains(r.stderr, "leads") {
		t.Errorf("run --once while bastion-a leads: code %d, stderr %q; want 1 naming bastion-a", r.code, r.stderr)
	}
	planFile := filepath.Join(dir, "plan.json")
	r = reaper(t, "plan", "--config", path, "--out", planFile)
	if r.code != exitOK || !strings.Contains(r.stdout, "marked 3") {
		t.Errorf("plan while bastion-a leads: code %d\n%s%s\nwant 0 and three marked", r.code, r.stdout, r.stderr)
	}
	// apply acts, so it needs leadership as run --once does: without it, it queues the approval
	// for the leader (which refuses it here: its config is another) and acts on nothing itself.
	r = reaper(t, "apply", planFile, "--config", path)
	if r.code != exitOK || !strings.Contains(r.stdout, `"bastion-a"`) || !strings.Contains(r.stdout, "queued as approval") {
		t.Errorf("apply while bastion-a leads: code %d, stdout %q; want 0, queued, naming bastion-a", r.code, r.stdout)
	}
	marks, err := openShared(t, dsn, "reaper").Marks()
	if err != nil || len(marks) != 0 {
		t.Errorf("marks after plan = %v, %v; want none (plan writes no marks to shared state)", marks, err)
	}
	if n := terminateCount(sim); n != 0 {
		t.Errorf("%d TerminateInstance calls", n)
	}
}
