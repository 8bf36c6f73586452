package statetest

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

func key(id, policy string) state.MarkKey { return state.MarkKey{InstanceID: id, Policy: policy} }

func markSet(ms ...state.Mark) map[state.MarkKey]state.Mark {
	out := map[state.MarkKey]state.Mark{}
	for _, m := range ms {
		out[m.Key()] = m
	}
	return out
}

// testReplaceMarks: the set given is the whole set afterwards, per (instance, policy).
func testReplaceMarks(t *testing.T, e *env) {
	a := state.Mark{InstanceID: "a", Policy: "reaper.idle", FirstSeen: t0, Reasons: []string{"idle"}}
	b := state.Mark{InstanceID: "b", Policy: "reaper.expiry", FirstSeen: t0, Reasons: []string{"expired"}}
	bIdle := state.Mark{InstanceID: "b", Policy: "reaper.idle", FirstSeen: t0.Add(23 * time.Hour), Reasons: []string{"idle"}}
	c := state.Mark{InstanceID: "c", Policy: "reaper.tags", FirstSeen: t0.Add(time.Hour), Reasons: []string{}}
	s := e.store(Options{})
	steps := []struct {
		name string
		set  map[state.MarkKey]state.Mark
	}{
		{"first set", markSet(a, b)},
		{"a second policy on b, adds c, drops a", markSet(b, bIdle, c)},
		{"same again", markSet(b, bIdle, c)},
		{"the first policy of b stops", markSet(bIdle, c)},
		{"empty", markSet()},
		{"nil after some", markSet(a)},
		{"nil", nil},
	}
	for _, step := range steps {
		if err := s.ReplaceMarks(step.set); err != nil {
			t.Fatalf("%s: ReplaceMarks: %v", step.name, err)
		}
		want := step.set
		if want == nil {
			want = map[state.MarkKey]state.Mark{}
		}
		checkEqual(t, step.name+": marks", must(s.Marks())(t), want)
	}
}

// testReplaceMarksFillsDefaults: a mark takes its key's instance and policy, and now for a zero
// first-seen time.
func testReplaceMarksFillsDefaults(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	ok(t, s.ReplaceMarks(map[state.MarkKey]state.Mark{key("a", "reaper.idle"): {Reasons: []string{"r"}}}))
	want := markSet(state.Mark{InstanceID: "a", Policy: "reaper.idle", FirstSeen: t0, Reasons: []string{"r"}})
	checkEqual(t, "marks", must(s.Marks())(t), want)
}

// testReplaceMarksInvalidKeepsOldSet: one bad mark fails the whole replace, which changes nothing.
func testReplaceMarksInvalidKeepsOldSet(t *testing.T, e *env) {
	old := markSet(state.Mark{InstanceID: "a", Policy: "p", FirstSeen: time.Unix(100, 0).UTC()})
	s := e.store(Options{})
	ok(t, s.ReplaceMarks(old))
	for name, set := range map[string]map[state.MarkKey]state.Mark{
		"key and id differ":      {key("b", "p"): {InstanceID: "c"}},
		"key and policy differ":  {key("b", "p"): {Policy: "q"}},
		"empty instance id":      {key("", "p"): {}},
		"empty policy":           {key("a", ""): {}},
		"NUL in the policy":      {key("a", "p\x00q"): {}},
		"NUL in the instance id": {key("a\x00p", "q"): {}},
		"valid then invalid":     {key("a", "p"): {}, key("z", "p"): {InstanceID: "y"}},
	} {
		if err := s.ReplaceMarks(set); err == nil {
			t.Errorf("%s: ReplaceMarks succeeded, want an error", name)
		}
		checkEqual(t, name+": marks after failed replace", must(s.Marks())(t), old)
	}
}
