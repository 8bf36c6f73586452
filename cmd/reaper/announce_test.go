package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// receiver is a local webhook endpoint that keeps every event kind it was sent.
type receiver struct {
	mu     sync.Mutex
	events []map[string]any
	status int
}

func newReceiver(t *testing.T) (*receiver, string) {
	t.Helper()
	r := &receiver{status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("webhook body is not JSON: %q", body)
		}
		r.mu.Lock()
		r.events = append(r.events, e)
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL + "/hooks/secret-path-4711"
}

func (r *receiver) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e["kind"].(string))
	}
	return out
}

func webhookConfig(t *testing.T, dir, url string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "webhook"), []byte(url), 0o600); err != nil {
		t.Fatal(err)
	}
	return "notify: {webhook_url_file: webhook}\n"
}

func TestNotifications(t *testing.T) {
	sim, url := startSim(t, append(fleetN(2, expiredInstance), healthyInstance("h")))
	rcv, hook := newReceiver(t)
	dir := t.TempDir()
	extra := webhookConfig(t, dir, hook) + "safety: {grace_period: 0s, max_terminations_percent: 100}\n"
	path, cfgDir := writeConfig(t, url, testSecret, extra)
	os.Rename(filepath.Join(dir, "webhook"), filepath.Join(cfgDir, "webhook"))

	reaper(t, "plan", "--config", path)
	reaper(t, "plan", "--config", path) // the same candidate set: no second digest
	if got := strings.Join(rcv.kinds(), ","); got != "digest" {
		t.Fatalf("events after two identical plans = %q, want one digest", got)
	}
	var e map[string]any
	rcv.mu.Lock()
	e = rcv.events[0]
	rcv.mu.Unlock()
	if e["dry_run"] != true || len(e["instances"].([]any)) != 2 {
		t.Errorf("digest = %v", e)
	}

	sim.Mutate(fleetN(2, expiredInstance)[0].ID, func(in *zensim.SimInstance) { in.Tags["reaper-keep"] = "true" })
	reaper(t, "plan", "--config", path) // the set changed
	if got := rcv.kinds(); len(got) != 2 || got[1] != "digest" {
		t.Fatalf("events = %v, want a second digest after the set changed", got)
	}

	os.WriteFile(path, append(mustRead(t, path), []byte("dry_run: false\n")...), 0o600)
	if r := reaper(t, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("run: %d\n%s", r.code, r.stderr)
	}
	got := rcv.kinds()
	if got[len(got)-1] != "terminated" {
		t.Fatalf("events = %v, want terminated last", got)
	}
	rcv.mu.Lock()
	term := rcv.events[len(rcv.events)-1]["instances"].([]any)[0].(map[string]any)
	rcv.mu.Unlock()
	if term["request_id"] == "" || term["request_id"] == nil {
		t.Errorf("terminated event without a request ID: %v", term)
	}
}

func TestNotificationBlockedAndFailingWebhook(t *testing.T) {
	sim, url := startSim(t, fleetN(4, expiredInstance))
	rcv, hook := newReceiver(t)
	rcv.status = http.StatusBadRequest // a broken webhook
	path, cfgDir := writeConfig(t, url, testSecret, "notify: {webhook_url_file: webhook}\ndry_run: false\n"+
		"safety: {grace_period: 0s, max_terminations_per_run: 2}\n")
	os.WriteFile(filepath.Join(cfgDir, "webhook"), []byte(hook), 0o600)
	r := reaper(t, "run", "--once", "--config", path)
	if r.code != exitBlocked {
		t.Fatalf("code %d, want 3 (blocked) whatever the webhook says\n%s", r.code, r.stderr)
	}
	if got := rcv.kinds(); len(got) != 1 || got[0] != "blocked" {
		t.Fatalf("events = %v, want one blocked", got)
	}
	if !strings.Contains(r.stderr, "notification not delivered") || strings.Contains(r.stderr, "secret-path-4711") {
		t.Errorf("stderr should log the failed delivery without the URL:\n%s", r.stderr)
	}
	if terminateCount(sim) != 0 {
		t.Error("a blocked cycle called TerminateInstance")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
