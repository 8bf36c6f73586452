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
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/report"
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

// eventually polls cond until it holds or the deadline passes. It waits for the daemon's own
// schedule of real one-second cycles, never for a guessed duration.
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

func startDaemon(t *testing.T, path string, envVars map[string]string) *daemonRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemonRun{cancel: cancel, done: make(chan int, 1), reload: make(chan struct{}, 1), stderr: &syncBuffer{}}
	go func() {
		d.done <- Main(ctx, Env{Args: []string{"run", "--config", path}, Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: d.stderr, Getenv: func(k string) string { return envVars[k] },
			Reload: d.reload, IsTTY: func() bool { return false }})
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
	// Each inventory takes longer than the one-second schedule, so cycles would overlap if they could.
	sim.SetFault("DescribeInstances", zensim.Fault{Latency: 1200 * time.Millisecond})
	policies := t.TempDir()
	writePolicy(t, policies, "now")
	addr := freePort(t)
	path, dir := writeConfig(t, url, testSecret, fmt.Sprintf(
		"schedule: \"@every 1s\"\ncycle_timeout: 5s\nsafety: {grace_period: 0s, max_terminations_percent: 100}\npolicies: {dir: %s}\nmetrics: {listen: %q}\n",
		policies, addr))
	sock := newNotifySocket(t)
	d := startDaemon(t, path, map[string]string{
		"NOTIFY_SOCKET": sock.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": fmt.Sprint(os.Getpid()),
	})
	reports := filepath.Join(dir, "reports")
	listRuns := func() []report.Entry { e, _ := report.List(reports); return e }

	eventually(t, "READY=1", 10*time.Second, func() bool {
		select {
		case code := <-d.done:
			d.done <- code
			t.Fatalf("daemon exited with %d:\n%s", code, d.stderr.String())
		default:
		}
		return sock.count("READY=1") > 0
	})
	eventually(t, "two cycles", 20*time.Second, func() bool { return len(listRuns()) >= 2 })
	eventually(t, "a watchdog ping", 5*time.Second, func() bool { return sock.count("WATCHDOG=1") > 0 })

	// SIGHUP with a changed policy: later cycles use it.
	writePolicy(t, policies, "later")
	reloadedAt := time.Now()
	d.reload <- struct{}{}
	eventually(t, "RELOADING=1", 10*time.Second, func() bool { return sock.count("RELOADING=1") > 0 })
	defer func() {
		if t.Failed() {
			for _, l := range strings.Split(d.stderr.String(), "\n") {
				if !strings.Contains(l, `"DEBUG"`) {
					t.Log(l)
				}
			}
		}
	}()
	eventually(t, "a cycle with the new policy", 20*time.Second, func() bool {
		for _, e := range listRuns() {
			if e.StartedAt.After(reloadedAt) {
				r, err := report.Load(reports, e.RunID)
				return err == nil && actionOf(r, "3") == report.ActionWouldTerminate && actionOf(r, "1") == report.ActionKept
			}
		}
		return false
	})

	// A broken policy on reload keeps the running one.
	os.WriteFile(filepath.Join(policies, "custom.rego"), []byte("package reaper.custom\nterminate contains x if {"), 0o600)
	brokenAt := time.Now()
	d.reload <- struct{}{}
	eventually(t, "the failed reload counted", 10*time.Second, func() bool {
		return strings.Contains(scrape(t, addr), `reaper_config_reloads_total{result="error"} 1`)
	})
	eventually(t, "a cycle after the broken reload", 20*time.Second, func() bool {
		for _, e := range listRuns() {
			if e.StartedAt.After(brokenAt) {
				r, err := report.Load(reports, e.RunID)
				return err == nil && r.Result == report.ResultOK && actionOf(r, "3") == report.ActionWouldTerminate
			}
		}
		return false
	})

	metrics := scrape(t, addr)
	for _, name := range []string{"reaper_cycles_total", "reaper_cycle_duration_seconds", "reaper_last_success_timestamp_seconds",
		"reaper_instances", "reaper_candidates", "reaper_terminations_total", "reaper_blocked_cycles_total",
		"reaper_api_requests_total", "reaper_api_request_duration_seconds", "reaper_policy_eval_seconds",
		"reaper_config_reloads_total", "reaper_traffic_calls_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if resp, err := http.Get("http://" + addr + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %v %v", resp, err)
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
	d := startDaemon(t, path, map[string]string{})
	var once sync.Once
	sim.OnCall(func(c zensim.Call) {
		if c.Action == "TerminateInstance" {
			once.Do(d.cancel) // SIGTERM while the first call is being answered
		}
	})
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
