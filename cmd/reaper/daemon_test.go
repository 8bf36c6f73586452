package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/scheduler"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// notifySocket is a fake systemd NOTIFY_SOCKET that keeps every message it receives.
type notifySocket struct {
	path string
	mu   sync.Mutex
	msgs []string
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	dir, err := os.MkdirTemp("", "sd") // short: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &notifySocket{path: filepath.Join(dir, "notify")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, string(buf[:n]))
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *notifySocket) count(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		if strings.Contains(m, prefix) {
			n++
		}
	}
	return n
}

// eventually polls cond until it holds or the deadline passes. It waits for what the daemon does
// in real time (a socket message, a reload, a listener), never for its schedule, which runs on a
// fake clock (see fakeSchedule).
func eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeSchedule drives a daemon's schedule on a fake clock: a cycle runs when the test moves the
// clock to the run the daemon waits for, and not before.
type fakeSchedule struct {
	clock *scheduler.FakeClock
	sched scheduler.Schedule
	next  time.Time // the run the daemon waits for next
}

// newFakeSchedule returns a fake clock a minute behind real time (so the simulator, on real time,
// never sees requests about its future) and the runs of spec from there.
func newFakeSchedule(t *testing.T, spec string) *fakeSchedule {
	t.Helper()
	sched, err := scheduler.Parse(spec, "UTC")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	return &fakeSchedule{clock: scheduler.NewFakeClock(t0), sched: sched, next: sched.Next(t0)}
}

// await waits until the daemon waits for the run at f.next: the previous cycle, if any, is over.
func (f *fakeSchedule) await(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.clock.BlockUntilWaiterAt(ctx, f.next); err != nil {
		t.Fatalf("the daemon never waited for its run at %s: %v", f.next.Format(time.RFC3339), err)
	}
}

// fire moves the clock to the awaited run; the cycle starts. It returns the run's time.
func (f *fakeSchedule) fire(t *testing.T) time.Time {
	t.Helper()
	f.await(t)
	tick := f.next
	f.clock.AdvanceTo(tick)
	f.next = f.sched.Next(tick)
	return tick
}

// cycle runs one whole cycle: it fires the next run and waits until the daemon waits for the one
// after.
func (f *fakeSchedule) cycle(t *testing.T) {
	t.Helper()
	f.fire(t)
	f.await(t)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

const doomedPolicy = `package reaper.custom

terminate contains sprintf("tagged doomed=%%s", [input.instance.tags.doomed]) if {
	input.instance.tags.doomed == %q
}
`

func writePolicy(t *testing.T, dir, doomedValue string) {
	t.Helper()
	body := fmt.Sprintf(doomedPolicy, doomedValue)
	if err := os.WriteFile(filepath.Join(dir, "custom.rego"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

type daemonRun struct {
	cancel context.CancelFunc
	done   chan int
	reload chan struct{}
	stderr *syncBuffer
}

func startDaemon(t *testing.T, path string, envVars map[string]string, clock scheduler.Clock) *daemonRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonRun{cancel: cancel, done: make(chan int, 1), reload: make(chan struct{}, 1), stderr: &syncBuffer{}}
	go func() {
		d.done <- Main(ctx, Env{Args: []string{"run", "--config", path}, Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: d.stderr, Getenv: func(k string) string { return envVars[k] },
			Reload: d.reload, IsTTY: func() bool { return false }, Clock: clock})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return d
}

func (d *daemonRun) stop(t *testing.T) int {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		d.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop within 30s of SIGTERM")
	}
	return -1
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func doomed(id, value string) zensim.FleetInstance {
	in := healthyInstance(id)
	in.Tags["doomed"] = value
	return in
}

func TestDaemon(t *testing.T) {
	sim, url := startSim(t, []zensim.FleetInstance{doomed("1", "now"), doomed("2", "now"), doomed("3", "later")})
	policies := t.TempDir()
	writePolicy(t, policies, "now")
	addr := freePort(t)
	path, dir := writeConfig(t, url, testSecret, fmt.Sprintf(
		"schedule: \"@every 1s\"\ncycle_timeout: 5s\nsafety: {grace_period: 0s, max_terminations_percent: 100}\npolicies: {dir: %s}\nmetrics: {listen: %q}\n",
		policies, addr))
	sock := newNotifySocket(t)
	fs := newFakeSchedule(t, "@every 1s")
	d := startDaemon(t, path, map[string]string{
		"NOTIFY_SOCKET": sock.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": fmt.Sprint(os.Getpid()),
	}, fs.clock)
	reports := filepath.Join(dir, "reports")
	listRuns := func() []report.Entry { e, _ := report.List(reports); return e }
	latest := func(t *testing.T) *report.Run { // the newest report, which must be the only new one
		t.Helper()
		runs := listRuns()
		if len(runs) == 0 {
			t.Fatal("no report")
		}
		r, err := report.Load(reports, runs[0].RunID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	defer func() {
		if t.Failed() {
			for _, l := range strings.Split(d.stderr.String(), "\n") {
				if !strings.Contains(l, `"DEBUG"`) {
					t.Log(l)
				}
			}
		}
	}()

	eventually(t, "READY=1", 10*time.Second, func() bool {
		select {
		case code := <-d.done:
			d.done <- code
			t.Fatalf("daemon exited with %d:\n%s", code, d.stderr.String())
		default:
		}
		return sock.count("READY=1") > 0
	})
	// No cycle runs before its time: the API check alone answers /readyz.
	eventually(t, "the API check", 10*time.Second, func() bool { code, _ := getReadyz(addr); return code == http.StatusOK })
	if n := len(listRuns()); n != 0 {
		t.Fatalf("%d reports before the first scheduled run", n)
	}

	fs.cycle(t)
	if n := len(listRuns()); n != 1 {
		t.Fatalf("%d reports after one scheduled run, want 1", n)
	}

	// A cycle that outlasts three runs of the schedule: they are skipped, not overlapped or queued.
	var armed atomic.Bool
	armed.Store(true)
	sim.OnCall(func(c zensim.Call) {
		if c.Action == "DescribeInstances" && armed.CompareAndSwap(true, false) {
			fs.clock.Advance(3 * time.Second)
		}
	})
	long := fs.fire(t)
	fs.next = long.Add(4 * time.Second)
	fs.await(t)
	sim.OnCall(nil)
	if n := len(listRuns()); n != 2 {
		t.Fatalf("%d reports after the long cycle, want 2", n)
	}
	if !strings.Contains(d.stderr.String(), `"msg":"cycle skipped","reason":"still_running","count":3`) {
		t.Error("the three runs inside the long cycle were not logged as skipped")
	}

	eventually(t, "a watchdog ping", 5*time.Second, func() bool { return sock.count("WATCHDOG=1") > 0 })

	// SIGHUP with a changed policy: the next cycle uses it.
	writePolicy(t, policies, "later")
	d.reload <- struct{}{}
	eventually(t, "RELOADING=1 and READY=1 again", 10*time.Second, func() bool {
		return sock.count("RELOADING=1") == 1 && sock.count("READY=1") == 2
	})
	fs.cycle(t)
	if r := latest(t); len(listRuns()) != 3 || actionOf(r, "3") != report.ActionWouldTerminate || actionOf(r, "1") != report.ActionKept {
		t.Errorf("after the reload: %d reports, instance 3 %q and 1 %q; want 3 reports, %q and %q", len(listRuns()),
			actionOf(r, "3"), actionOf(r, "1"), report.ActionWouldTerminate, report.ActionKept)
	}

	// A broken policy on reload keeps the running one.
	os.WriteFile(filepath.Join(policies, "custom.rego"), []byte("package reaper.custom\nterminate contains x if {"), 0o600)
	d.reload <- struct{}{}
	eventually(t, "the failed reload counted and READY=1 again", 10*time.Second, func() bool {
		return strings.Contains(scrape(t, addr), `reaper_config_reloads_total{result="error"} 1`) && sock.count("READY=1") == 3
	})
	fs.cycle(t)
	if r := latest(t); len(listRuns()) != 4 || r.Result != report.ResultOK || actionOf(r, "3") != report.ActionWouldTerminate {
		t.Errorf("after the broken reload: %d reports, result %q, instance 3 %q; want 4, %q, %q", len(listRuns()),
			r.Result, actionOf(r, "3"), report.ResultOK, report.ActionWouldTerminate)
	}

	metrics := scrape(t, addr)
	for _, name := range []string{"reaper_cycles_total", "reaper_cycle_duration_seconds", "reaper_last_success_timestamp_seconds",
		"reaper_instances", "reaper_candidates", "reaper_terminations_total", "reaper_blocked_cycles_total",
		"reaper_api_requests_total", "reaper_api_request_duration_seconds", "reaper_policy_eval_seconds",
		"reaper_config_reloads_total", "reaper_traffic_calls_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if code, body := getReadyz(addr); code != http.StatusOK || !strings.HasPrefix(body, "ready: last successful cycle") {
		t.Errorf("/readyz = %d %q, want 200 after a successful cycle", code, body)
	}

	if code := d.stop(t); code != exitOK {
		t.Fatalf("exit code after SIGTERM = %d\n%s", code, d.stderr.String())
	}
	eventually(t, "STOPPING=1", 5*time.Second, func() bool { return sock.count("STOPPING=1") > 0 })
	// Cycles never overlapped.
	runs := listRuns()
	for i := 1; i < len(runs); i++ { // newest first
		if runs[i].FinishedAt.After(runs[i-1].StartedAt) {
			t.Errorf("runs %s and %s overlap", runs[i].RunID, runs[i-1].RunID)
		}
	}
	if got, want := runs[len(runs)-2].FinishedAt.Sub(runs[len(runs)-2].StartedAt), 3*time.Second; got != want {
		t.Errorf("the long cycle took %s on the daemon's clock, want %s", got, want)
	}
	if terminateCount(sim) != 0 {
		t.Error("a dry-run daemon called TerminateInstance")
	}
}

func actionOf(r *report.Run, id string) string {
	for _, in := range r.Instances {
		if in.ID == id {
			return in.Action
		}
	}
	return ""
}

// TestDaemonStopMidCycle sends SIGTERM while a TerminateInstance is in flight: the call finishes,
// is recorded, no new call starts, and the daemon exits 0.
func TestDaemonStopMidCycle(t *testing.T) {
	sim, url := startSim(t, fleetN(5, expiredInstance))
	sim.SetFault("TerminateInstance", zensim.Fault{Latency: 300 * time.Millisecond})
	path, dir := writeConfig(t, url, testSecret,
		"dry_run: false\nschedule: \"@every 1s\"\nsafety: {grace_period: 0s, max_terminations_percent: 100}\n")
	fs := newFakeSchedule(t, "@every 1s")
	d := startDaemon(t, path, map[string]string{}, fs.clock)
	var once sync.Once
	sim.OnCall(func(c zensim.Call) {
		if c.Action == "TerminateInstance" {
			once.Do(d.cancel) // SIGTERM while the first call is being answered
		}
	})
	fs.fire(t)
	select {
	case code := <-d.done:
		d.done <- code
		if code != exitOK {
			t.Fatalf("exit code %d\n%s", code, d.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop")
	}
	calls := sim.TerminateCalls()
	if len(calls) != 1 {
		t.Fatalf("TerminateInstance calls = %d, want exactly the one in flight", len(calls))
	}
	st, err := state.Open(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	intents, _ := st.Intents()
	if len(intents) != 1 || intents[0].Outcome == nil || intents[0].InstanceID != calls[0].InstanceIDs[0] {
		t.Fatalf("intents = %+v, want the in-flight call recorded with its outcome", intents)
	}
	if intents[0].Outcome.RequestID != calls[0].RequestID {
		t.Errorf("recorded request ID %q, simulator's %q", intents[0].Outcome.RequestID, calls[0].RequestID)
	}
}
