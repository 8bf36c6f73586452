package main

import (
	"errors"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// planStore is a shared store as `plan` uses it: plan needs no leadership, so it reads the shared
// state and records its own run (with its node name) and traffic it fetched, but changes nothing
// the leader keeps: marks, refusals, unconfirmed backoffs, intents and their outcomes, and no
// pruning. Its report says what the leader would do with the state as it is.
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

// PutIntent refuses: a plan never acts, so an intent from it is a bug, not a write to drop.
func (planStore) PutIntent(state.Intent) error {
	return errors.New("plan never records an intent")
}
