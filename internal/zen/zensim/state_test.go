package zensim

import (
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestLoadRejectsBadFleets(t *testing.T) {
	tests := []struct {
		name    string
		fleet   Fleet
		wantErr string
	}{
		{"empty id", Fleet{Instances: []FleetInstance{inst("1"), {}}}, "instance 1: missing id"},
		{"duplicate id", Fleet{Instances: []FleetInstance{inst("7"), inst("8"), inst("7")}}, `instance 2: duplicate id "7"`},
		{"tags and tag list", Fleet{Instances: []FleetInstance{inst("1", func(s *SimInstance) {
			s.Tags, s.TagList = map[string]string{"a": "b"}, []Tag{{"a", "b"}}
		})}}, `instance 0: id "1": set tags or tag_list, not both`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.load(inst("keep"))
			err := h.sim.Load(tt.fleet)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want it to contain %q", err, tt.wantErr)
			}
			if _, ok := h.sim.Instance("keep"); !ok {
				t.Fatal("a failed Load changed the fleet")
			}
		})
	}
}

func TestLoadDefaultsAndCopies(t *testing.T) {
	h := newHarness(t)
	in := SimInstance{ID: "1", Tags: map[string]string{"a": "b"}}
	h.load(in)
	in.Tags["a"] = "changed"
	got, _ := h.sim.Instance("1")
	if got.Status != zen.StatusRunning || got.ChargeType != zen.ChargePostpaid || got.Tags["a"] != "b" {
		t.Fatalf("got %+v, want RUNNING POSTPAID with its own tag map", got)
	}
	got.Tags["a"] = "changed too"
	if again, _ := h.sim.Instance("1"); again.Tags["a"] != "b" {
		t.Fatal("Instance returned shared memory")
	}
}

func TestMutateAndRemove(t *testing.T) {
	h := newHarness(t)
	h.load(inst("2"), inst("1"))
	if !h.sim.Mutate("1", func(s *SimInstance) { s.ID = "9"; s.Tags = map[string]string{"x": "y"} }) {
		t.Fatal("Mutate of an existing instance returned false")
	}
	if h.sim.Mutate("nope", func(*SimInstance) { t.Fatal("fn called for a missing instance") }) {
		t.Fatal("Mutate of a missing instance returned true")
	}
	got, ok := h.sim.Instance("1")
	if !ok || got.Tags["x"] != "y" {
		t.Fatalf("got %+v, want the mutation kept under the original id", got)
	}
	if d := h.describe(map[string]any{"tags": []wireTag{{Key: "x", Value: "y"}}}); d.TotalCount != 1 {
		t.Fatalf("mutation not visible through the API: %+v", d)
	}
	if !h.sim.Remove("1") || h.sim.Remove("1") {
		t.Fatal("Remove must report true once, then false")
	}
	if ids := h.describe(map[string]any{}).ids(); len(ids) != 1 || ids[0] != "2" {
		t.Fatalf("ids %v, want [2]", ids)
	}
	if all := h.sim.Instances(); len(all) != 1 || all[0].ID != "2" {
		t.Fatalf("Instances %+v", all)
	}
}

func TestMutateIntoRecycleSchedulesRelease(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.sim.Mutate("1", func(s *SimInstance) { s.Status = zen.StatusRecycle })
	h.clock.Advance(RecycleRetention)
	h.sim.Tick()
	if _, ok := h.sim.Instance("1"); ok {
		t.Fatal("instance mutated into RECYCLE was not released a day later")
	}
}

func TestRequestIDsUniqueAndSeeded(t *testing.T) {
	ids := func(seed int64) []string {
		s := New(Options{Seed: seed})
		var out []string
		for range 100 {
			s.mu.Lock()
			out = append(out, s.newRequestIDLocked())
			s.mu.Unlock()
		}
		return out
	}
	a, b := ids(3), ids(3)
	seen := map[string]bool{}
	for i, id := range a {
		if !requestIDPattern.MatchString(id) || seen[id] || id != b[i] {
			t.Fatalf("id %d %q: want unique, T+UUID, the same for the same seed", i, id)
		}
		seen[id] = true
	}
}
