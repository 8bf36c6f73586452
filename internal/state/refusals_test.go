package state

import (
	"testing"
	"time"
)

func TestRefusals(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := openStore(t)
	c := Refusal{InstanceID: "a", Kind: RefusalCommitment, LearnedAt: t0, RequestID: "req-a"}
	p := Refusal{InstanceID: "b", Kind: RefusalSubscription, LearnedAt: t0, RequestID: "req-b"}
	for _, r := range []Refusal{c, p} {
		if err := s.PutRefusal(r); err != nil {
			t.Fatalf("PutRefusal(%s): %v", r.InstanceID, err)
		}
	}
	checkEqual(t, "refusals", must(s.Refusals())(t), map[string]Refusal{"a": c, "b": p})

	c.LearnedAt = t0.Add(168 * time.Hour)
	c.RequestID = "req-a2"
	if err := s.PutRefusal(c); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRefusal("b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRefusal("never-refused"); err != nil {
		t.Errorf("DeleteRefusal(unknown) = %v, want nil", err)
	}
	checkEqual(t, "refusals after replace and delete", must(s.Refusals())(t), map[string]Refusal{"a": c})
}

func TestPutRefusalFillsLearnedAt(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	s := openStore(t, WithNow(fixedClock(now)))
	if err := s.PutRefusal(Refusal{InstanceID: "a", Kind: RefusalCommitment}); err != nil {
		t.Fatal(err)
	}
	want := map[string]Refusal{"a": {InstanceID: "a", Kind: RefusalCommitment, LearnedAt: now}}
	checkEqual(t, "refusals", must(s.Refusals())(t), want)
}

func TestPutRefusalInvalid(t *testing.T) {
	tests := []struct {
		name string
		r    Refusal
	}{
		{"empty id", Refusal{Kind: RefusalCommitment}},
		{"unknown kind", Refusal{InstanceID: "a", Kind: "maintenance"}},
		{"no kind", Refusal{InstanceID: "a"}},
	}
	s := openStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.PutRefusal(tt.r); err == nil {
				t.Error("PutRefusal succeeded, want an error")
			}
		})
	}
	if got := must(s.Refusals())(t); len(got) != 0 {
		t.Errorf("refusals = %v, want none", got)
	}
}
