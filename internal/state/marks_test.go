package state

import (
	"testing"
	"time"
)

func TestReplaceMarks(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	a := Mark{InstanceID: "a", FirstSeen: t0, Reasons: []string{"reaper.idle: idle"}}
	b := Mark{InstanceID: "b", FirstSeen: t0, Reasons: []string{"reaper.expiry: expired"}}
	b2 := Mark{InstanceID: "b", FirstSeen: t0, Reasons: []string{"reaper.expiry: expired", "reaper.idle: idle"}}
	c := Mark{InstanceID: "c", FirstSeen: t0.Add(time.Hour), Reasons: []string{}}

	s := openStore(t)
	steps := []struct {
		name string
		set  map[string]Mark
	}{
		{"first set", map[string]Mark{"a": a, "b": b}},
		{"drops a, changes b, adds c", map[string]Mark{"b": b2, "c": c}},
		{"same again", map[string]Mark{"b": b2, "c": c}},
		{"empty", map[string]Mark{}},
		{"nil after some", map[string]Mark{"a": a}},
		{"nil", nil},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := s.ReplaceMarks(step.set); err != nil {
				t.Fatalf("ReplaceMarks: %v", err)
			}
			want := step.set
			if want == nil {
				want = map[string]Mark{}
			}
			checkEqual(t, "marks", must(s.Marks())(t), want)
		})
	}
}

func TestReplaceMarksFillsDefaults(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := openStore(t, WithNow(fixedClock(now)))
	if err := s.ReplaceMarks(map[string]Mark{"a": {Reasons: []string{"r"}}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]Mark{"a": {InstanceID: "a", FirstSeen: now, Reasons: []string{"r"}}}
	checkEqual(t, "marks", must(s.Marks())(t), want)
}

func TestReplaceMarksInvalidKeepsOldSet(t *testing.T) {
	old := map[string]Mark{"a": {InstanceID: "a", FirstSeen: time.Unix(100, 0).UTC()}}
	tests := []struct {
		name string
		set  map[string]Mark
	}{
		{"key and id differ", map[string]Mark{"b": {InstanceID: "c"}}},
		{"empty key", map[string]Mark{"": {}}},
		{"valid then invalid", map[string]Mark{"a": {}, "z": {InstanceID: "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if err := s.ReplaceMarks(old); err != nil {
				t.Fatal(err)
			}
			if err := s.ReplaceMarks(tt.set); err == nil {
				t.Fatal("ReplaceMarks succeeded, want an error")
			}
			checkEqual(t, "marks after failed replace", must(s.Marks())(t), old)
		})
	}
}
