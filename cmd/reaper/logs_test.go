package main

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// logLines parses stderr as JSON log lines, failing on any that is not one.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.Lines(stderr) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// durationKeys lists the attributes (group members as group.key) that slog writes for
// time.Duration values when nothing converts them.
var durationKeys = []string{"duration", "backoff", "jitter", "timeout", "latency", "wait", "elapsed"}

// checkSeconds fails for an attribute named like a duration without _seconds, or a _seconds one
// that is not a number.
func checkSeconds(t *testing.T, msg string, m map[string]any) {
	t.Helper()
	for k, v := range m {
		if g, ok := v.(map[string]any); ok {
			checkSeconds(t, msg, g)
			continue
		}
		for _, d := range durationKeys {
			if k == d {
				t.Errorf("%q: attribute %s=%v is a duration not in seconds", msg, k, v)
			}
		}
		if _, num := v.(float64); strings.HasSuffix(k, "_seconds") && !num {
			t.Errorf("%q: %s=%v (%T), want a number", msg, k, v, v)
		}
	}
}

// TestRunOnceLogs: the JSON logs of run --once give durations as float seconds, and exactly one
// INFO line for the cycle, the summary; the details are at debug.
func TestRunOnceLogs(t *testing.T) {
	_, url := startSim(t, fleetN(3, expiredInstance))
	path, _ := writeConfig(t, url, testSecret, "")
	r := reaper(t, "run", "--once", "--config", path)
	if r.code != exitOK {
		t.Fatalf("run --once: code %d\n%s", r.code, r.stderr)
	}
	var info []string
	var summary map[string]any
	debug := 0
	for _, l := range logLines(t, r.stderr) {
		msg, _ := l["msg"].(string)
		checkSeconds(t, msg, l)
		switch l["level"] {
		case "INFO":
			info = append(info, msg)
			if msg == "cycle finished" {
				summary = l
			}
		case "DEBUG":
			debug++
		}
	}
	if len(info) != 1 || summary == nil {
		t.Fatalf("INFO lines %q, want exactly one, \"cycle finished\"", info)
	}
	if d, ok := summary["duration_seconds"].(float64); !ok || d < 0 || d > 60 {
		t.Errorf("summary duration_seconds = %v (%T), want float seconds", summary["duration_seconds"], summary["duration_seconds"])
	}
	for _, k := range []string{"run_id", "status", "dry_run", "inventory", "would_terminate", "marked", "terminated", "failed"} {
		if _, ok := summary[k]; !ok {
			t.Errorf("summary lacks %s: %v", k, summary)
		}
	}
	if got := summary["marked"]; got != float64(3) { // expired, inside the default grace period
		t.Errorf("summary marked = %v, want 3", got)
	}
	if debug == 0 {
		t.Error("no DEBUG lines at log.level debug; the details should be there")
	}
}

// TestSecondsHandler: durations become float seconds under a _seconds key, in groups and in
// attributes added with With, in every format the logger writes.
func TestSecondsHandler(t *testing.T) {
	var buf strings.Builder
	log := slog.New(secondsHandler{slog.NewJSONHandler(&buf, nil)}).With("timeout", 30*time.Second)
	log.Info("m", "backoff", 1500*time.Millisecond, "wait_seconds", 2*time.Second,
		slog.Group("g", "latency", 250*time.Millisecond), "count", 3)
	var got map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"timeout_seconds": 30.0, "backoff_seconds": 1.5, "wait_seconds": 2.0, "count": 3.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, got[k], v, buf.String())
		}
	}
	if g, _ := got["g"].(map[string]any); g["latency_seconds"] != 0.25 {
		t.Errorf("group g = %v, want latency_seconds 0.25", got["g"])
	}
}
