package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestInventoryFleetReplaysExactly: `reaper inventory --format fleet` of a fleet with odd values
// (lowercase, empty and unknown statuses and charge types, a repeated protection tag) loads as
// `reaper sim --fleet` does, and the inventory of the replay is the same file, byte for byte.
func TestInventoryFleetReplaysExactly(t *testing.T) {
	fleet := fleetN(6, expiredInstance)
	odd := []struct {
		status zen.Status
		charge zen.ChargeType
	}{{"running", "postpaid"}, {"", ""}, {"weird", "MONTHLY"}, {"Running", zen.ChargePostpaid}, {zen.StatusRunning, ""}}
	for i, o := range odd {
		fleet[i].Status, fleet[i].ChargeType = o.status, o.charge
	}
	fleet[5].Name = "ünïcødé-服务器"
	fleet[5].Tags, fleet[5].TagList = nil, []zensim.Tag{{Key: "reaper-protect", Value: "true"}, {Key: "reaper-protect", Value: "false"}}
	sim, url := startSim(t, nil)
	if err := sim.Load(zensim.Fleet{Instances: fleet, Verbatim: true}); err != nil {
		t.Fatal(err)
	}
	path, _ := writeConfig(t, url, testSecret, "")
	first := reaper(t, "inventory", "--config", path, "--format", "fleet")
	if first.code != exitOK {
		t.Fatalf("inventory: code %d\n%s", first.code, first.stderr)
	}
	file := filepath.Join(t.TempDir(), "fleet.json")
	if err := os.WriteFile(file, []byte(first.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := zensim.LoadFleetFile(file) // what `reaper sim --fleet` does
	if err != nil {
		t.Fatalf("sim --fleet refuses the inventory's fleet file: %v", err)
	}
	if err := sim.Load(f); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve nothing: load the file, report, stop
	r := reaperEnv(t, ctx, map[string]string{}, "sim", "--fleet", file, "--listen", "127.0.0.1:0")
	if r.code != exitOK {
		t.Fatalf("sim --fleet: code %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `status "running"`) || !strings.Contains(r.stderr, `status "weird"`) || !strings.Contains(r.stderr, "(and 3 more)") {
		t.Errorf("sim --fleet does not point out the undocumented values:\n%s", r.stderr)
	}
	second := reaper(t, "inventory", "--config", path, "--format", "fleet")
	if second.stdout != first.stdout {
		t.Errorf("replayed inventory differs:\nfirst:\n%s\nreplay:\n%s", first.stdout, second.stdout)
	}
	for _, want := range []string{`"status": "running"`, `"status": ""`, `"charge_type": ""`, `"status": "weird"`, `"charge_type": "MONTHLY"`} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("fleet file lacks %s:\n%s", want, first.stdout)
		}
	}
	for _, id := range []string{fleet[1].ID} {
		if in, _ := sim.Instance(id); in.Status != "" || in.ChargeType != "" {
			t.Errorf("replayed instance %s has status %q charge %q, want both empty", id, in.Status, in.ChargeType)
		}
	}
}
