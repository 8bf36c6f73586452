package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// markedIDs returns the instance IDs of every "marked" event the receiver got from index from on.
func (r *receiver) markedIDs(from int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, e := range r.events[min(from, len(r.events)):] {
		if e["kind"] != "marked" {
			continue
		}
		for _, in := range e["instances"].([]any) {
			ids = append(ids, in.(map[string]any)["id"].(string))
		}
	}
	return ids
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// TestNewPolicyMarkIsAMarkedEvent: an instance already marked by one policy that a second policy
// starts to nominate gets a new "marked" notification, once.
func TestNewPolicyMarkIsAMarkedEvent(t *testing.T) {
	in := expiredInstance("770000000000000001")
	in.Tags["team"] = "ci"
	sim, url := startSim(t, []zensim.FleetInstance{in})
	rcv, hook := newReceiver(t)
	path, cfgDir := writeConfig(t, url, testSecret, "notify: {webhook_url_file: webhook}\n"+
		"safety: {grace_period: 24h, max_terminations_percent: 100}\n"+
		"policies: {params: {tags: {required: [team], grace: 1h}}}\n")
	if err := os.WriteFile(filepath.Join(cfgDir, "webhook"), []byte(hook), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := func(step string) []string {
		t.Helper()
		from := rcv.count()
		if r := reaper(t, "plan", "--config", path); r.code != exitOK {
			t.Fatalf("%s: plan exit %d\n%s", step, r.code, r.stderr)
		}
		return rcv.markedIDs(from)
	}

	if got := plan("expiry nominates"); len(got) != 1 || got[0] != in.ID {
		t.Fatalf("first plan: marked events for %v, want [%s]", got, in.ID)
	}
	sim.Mutate(in.ID, func(s *zensim.SimInstance) { delete(s.Tags, "team") })
	if got := plan("tags joins"); len(got) != 1 || got[0] != in.ID {
		t.Fatalf("after reaper.tags started nominating: marked events for %v, want [%s]", got, in.ID)
	}
	if got := plan("nothing new"); len(got) != 0 {
		t.Fatalf("same nominations again: marked events for %v, want none", got)
	}
}
