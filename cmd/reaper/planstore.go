package main

import (
	"errors"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// planStore is a shared store as `plan` uses it: plan needs no leadership, so it reads the shared
// state and records its own run (with its node name) and traffic it fetched, but changes nothing
// the leader keeps: marks, refusals, unconfirmed backoffs, intents and their outcomes, and no
// pruning, no notification memory, and not the clock baseline. Its report says what the leader would do with the state as it is.
type planStore struct{ state.Backend }

func (planStore) ReplaceMarks(map[state.MarkKey]state.Mark) error    { return nil }
func (planStore) PutRefusal(state.Refusal) error                     { return nil }
func (planStore) DeleteRefusal(string) error                         { return nil }
func (planStore) PutUnconfirmed(state.Unconfirmed) error             { return nil }
func (planStore) DeleteUnconfirmed(string) error                     { return nil }
func (planStore) CompleteIntent(string, string, state.Outcome) error { return nil }
func (planStore) PruneTraffic(map[string]bool) error                 { return nil }
func (planStore) PruneIntents(time.Time, int) (int, error)           { return 0, nil }
func (planStore) AcceptClock(time.Time) (time.Time, error) {
	return time.Time{}, errors.New("plan never changes the shared state's clock")
}

// SetMeta keeps nothing: the meta values a cycle writes (the notification memory) are the
// leader's.
func (planStore) SetMeta(string, string) error { return nil }

// PutDecisionCache keeps nothing: the saved decision cache is the leader's to write (plan reads
// it, to start warm).
func (planStore) PutDecisionCache(string, []byte) error { return nil }

// runKeepingClock is a shared store that can record a run without raising the clock baseline
// (*pgstate.Store).
type runKeepingClock interface {
	PutRunKeepClock(r state.Run) (uint64, error)
}

// PutRun records the plan's run without moving the clock baseline: a plan made on a node whose
// clock is ahead must not block the leader as "clock behind the last run".
func (p planStore) PutRun(r state.Run) (uint64, error) {
	if s, ok := p.Backend.(runKeepingClock); ok {
		return s.PutRunKeepClock(r)
	}
	return p.Backend.PutRun(r) // a store one node keeps (bbolt): one clock
}

// PutIntent refuses: a plan never acts, so an intent from it is a bug, not a write to drop.
func (planStore) PutIntent(state.Intent) error {
	return errors.New("plan never records an intent")
}
