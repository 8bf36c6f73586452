package state

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// putIntents puts each intent, failing t on error.
func putIntents(t *testing.T, s *Store, ins ...Intent) {
	t.Helper()
	for _, in := range ins {
		if err := s.PutIntent(in); err != nil {
			t.Fatalf("PutIntent(%s/%s): %v", in.RunID, in.InstanceID, err)
		}
	}
}

func TestIntentsOrderAndOutcome(t *testing.T) {
	s := openStore(t)
	older1 := Intent{RunID: "20261126T080000Z-aaaa", InstanceID: "z", CreatedAt: t0, Reasons: []string{"r1"}}
	older2 := Intent{RunID: "20261126T080000Z-aaaa", InstanceID: "a", CreatedAt: t0.Add(time.Second), Reasons: []string{"r2"}}
	newer := Intent{RunID: "20261126T083000Z-bbbb", InstanceID: "m", CreatedAt: t0.Add(30 * time.Minute), Reasons: []string{}}
	putIntents(t, s, newer, older2, older1)
	checkEqual(t, "intents", must(s.Intents())(t), []Intent{older1, older2, newer})

	o := Outcome{Result: "terminated", RequestID: "req-1", At: t0.Add(2 * time.Second)}
	if err := s.CompleteIntent(older1.RunID, older1.InstanceID, o); err != nil {
		t.Fatalf("CompleteIntent: %v", err)
	}
	checkEqual(t, "open intents", must(s.OpenIntents())(t), []Intent{older2, newer})
	done := older1
	done.Outcome = &o
	checkEqual(t, "intents", must(s.Intents())(t), []Intent{done, older2, newer})
}

func TestIntentOutcomesAreNotOverwritten(t *testing.T) {
	s := openStore(t)
	in := Intent{RunID: "r1", InstanceID: "a", CreatedAt: t0, Reasons: []string{"old"}}
	putIntents(t, s, in)
	in.Reasons = []string{"replaced while open"}
	putIntents(t, s, in)
	o := Outcome{Result: "failed", Error: "boom", At: t0}
	if err := s.CompleteIntent("r1", "a", o); err != nil {
		t.Fatal(err)
	}

	if err := s.CompleteIntent("r1", "a", Outcome{Result: "terminated"}); !errors.Is(err, ErrIntentCompleted) {
		t.Errorf("second CompleteIntent = %v, want ErrIntentCompleted", err)
	}
	if err := s.PutIntent(Intent{RunID: "r1", InstanceID: "a"}); !errors.Is(err, ErrIntentCompleted) {
		t.Errorf("PutIntent over a completed intent = %v, want ErrIntentCompleted", err)
	}
	in.Outcome = &o
	checkEqual(t, "intents", must(s.Intents())(t), []Intent{in})
}

func TestCompleteIntentMissing(t *testing.T) {
	s := openStore(t)
	putIntents(t, s, Intent{RunID: "r1", InstanceID: "a", CreatedAt: t0})
	for _, key := range [][2]string{{"r1", "b"}, {"r2", "a"}} {
		if err := s.CompleteIntent(key[0], key[1], Outcome{Result: "terminated"}); !errors.Is(err, ErrNoIntent) {
			t.Errorf("CompleteIntent(%s, %s) = %v, want ErrNoIntent", key[0], key[1], err)
		}
	}
	if got := must(s.Intents())(t); len(got) != 1 || got[0].Outcome != nil {
		t.Errorf("intents = %+v, want the one open intent", got)
	}
}

func TestPutIntentInvalidKey(t *testing.T) {
	tests := []struct {
		name  string
		in    Intent
		valid bool
	}{
		{"empty run", Intent{InstanceID: "a"}, false},
		{"empty instance", Intent{RunID: "r"}, false},
		{"slash in run", Intent{RunID: "r/x", InstanceID: "a"}, false},
		{"slash in instance", Intent{RunID: "r", InstanceID: "a/b"}, true},
	}
	s := openStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.PutIntent(tt.in)
			if got := err == nil; got != tt.valid {
				t.Errorf("PutIntent error = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

func TestIntentTimesDefaultToNow(t *testing.T) {
	s := openStore(t, WithNow(fixedClock(t0)))
	putIntents(t, s, Intent{RunID: "r", InstanceID: "a"})
	if err := s.CompleteIntent("r", "a", Outcome{Result: "terminated", RequestID: "req"}); err != nil {
		t.Fatal(err)
	}
	want := []Intent{{RunID: "r", InstanceID: "a", CreatedAt: t0,
		Outcome: &Outcome{Result: "terminated", RequestID: "req", At: t0}}}
	checkEqual(t, "intents", must(s.Intents())(t), want)
}

func TestPruneIntents(t *testing.T) {
	s := openStore(t)
	oldDone := Intent{RunID: "r1", InstanceID: "a", CreatedAt: t0}
	oldOpen := Intent{RunID: "r1", InstanceID: "b", CreatedAt: t0}
	newDone := Intent{RunID: "r2", InstanceID: "c", CreatedAt: t0.Add(48 * time.Hour)}
	putIntents(t, s, oldDone, oldOpen, newDone)
	for _, in := range []Intent{oldDone, newDone} {
		if err := s.CompleteIntent(in.RunID, in.InstanceID, Outcome{Result: "terminated", At: in.CreatedAt}); err != nil {
			t.Fatal(err)
		}
	}

	n, err := s.PruneIntents(t0.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("PruneIntents = %d, want 1", n)
	}
	var keys []string
	for _, in := range must(s.Intents())(t) {
		keys = append(keys, in.RunID+"/"+in.InstanceID)
	}
	checkEqual(t, "remaining intents", keys, []string{"r1/b", "r2/c"})
}
