package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestOwnerNoticesEndToEnd runs `run --once` against the simulator with an owner route to a
// webhook: dry-run sends the owner nothing; mark sends one digest of the new marks, once; enforce
// terminates and sends one digest of the terminations with their recycle deadlines, once.
func TestOwnerNoticesEndToEnd(t *testing.T) {
	team := func(id string) zensim.FleetInstance {
		in := expiredInstance(id)
		in.Tags = map[string]string{"reaper-expires-at": "2020-01-01", "Owner": " team-a "}
		return in
	}
	sim, url := startSim(t, append(fleetN(2, team), healthyInstance("h")))
	rcv, hook := newReceiver(t)
	extra := "mode: dry-run\nsafety: {grace_period: 0s, max_terminations_percent: 100}\n" +
		"notify: {owners: {routes: [{match: \"TEAM-*\", webhook_url_file: team}]}}\n"
	path, dir := writeConfig(t, url, testSecret, extra)
	if err := os.WriteFile(filepath.Join(dir, "team"), []byte(hook), 0o600); err != nil {
		t.Fatal(err)
	}
	setMode := func(mode string) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, m := range []string{"dry-run", "mark", "enforce"} {
			s = strings.Replace(s, "mode: "+m+"\n", "mode: "+mode+"\n", 1)
		}
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	digests := func() []map[string]any {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		var out []map[string]any
		for _, e := range rcv.events {
			if e["kind"] == "owner_digest" {
				out = append(out, e)
			}
		}
		return out
	}
	run := func() {
		t.Helper()
		if r := reaper(t, "run", "--once", "--config", path); r.code != 0 {
			t.Fatalf("run --once = %d\n%s", r.code, r.stderr)
		}
	}

	run()
	if n := len(digests()); n != 0 || terminateCount(sim) != 0 {
		t.Fatalf("dry-run: %d owner digests, %d terminations; want none", n, terminateCount(sim))
	}
	setMode("mark")
	run()
	run()
	got := digests()
	if len(got) != 1 {
		t.Fatalf("mark, two cycles: %d owner digests, want 1: %v", len(got), got)
	}
	if got[0]["owner"] != "team-a" || len(got[0]["marked"].([]any)) != 2 || terminateCount(sim) != 0 {
		t.Errorf("mark digest = %v (terminations %d)", got[0], terminateCount(sim))
	}
	setMode("enforce")
	run()
	run()
	got = digests()
	if len(got) != 2 || terminateCount(sim) != 2 {
		t.Fatalf("enforce: %d owner digests in all (want 2), %d terminations (want 2): %v", len(got), terminateCount(sim), got)
	}
	term := got[1]["terminated"].([]any)
	if len(term) != 2 || term[0].(map[string]any)["recycle_deadline"] == nil {
		t.Errorf("termination digest = %v", got[1])
	}
}
