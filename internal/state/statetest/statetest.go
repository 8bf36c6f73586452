// Package statetest is the conformance suite of reaper's state backends: what every
// state.Backend must do, written once and run against each (bbolt in package state, PostgreSQL
// in package pgstate). It encodes the behaviour of the bbolt store, which came first: a backend
// that passes it can replace that store under reconcile, enrich, the notifier and migrate.
package statetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reaper-bmc/reaper/internal/state"
)

// Options are what a test asks of the store it opens.
type Options struct {
	Now  func() time.Time // fills in the times a caller left zero; nil: time.Now
	Node string           // the node name the store writes into runs
}

// Factory makes a fresh, empty store for test t and returns the function that opens it. Every
// call of that function opens the same store again (the suite closes a store before it opens it
// again, and closes what it opens). The factory cleans up after t.
type Factory func(t *testing.T) func(o Options) (state.Backend, error)

// Run runs the whole suite against the backend newStore makes, each case as a subtest on a fresh
// store.
func Run(t *testing.T, newStore Factory) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, &env{t: t, open: newStore(t), factory: newStore})
		})
	}
}

var cases = []struct {
	name string
	fn   func(*testing.T, *env)
}{
	{"ReplaceMarks", testReplaceMarks},
	{"ReplaceMarksFillsDefaults", testReplaceMarksFillsDefaults},
	{"ReplaceMarksInvalidKeepsOldSet", testReplaceMarksInvalidKeepsOldSet},
	{"IntentsOrderAndOutcome", testIntentsOrderAndOutcome},
	{"IntentOutcomesAreNotOverwritten", testIntentOutcomesAreNotOverwritten},
	{"CompleteIntentMissing", testCompleteIntentMissing},
	{"PutIntentInvalidKey", testPutIntentInvalidKey},
	{"IntentTimesDefaultToNow", testIntentTimesDefaultToNow},
	{"PruneIntents", testPruneIntents},
	{"PruneIntentsAfterClockJump", testPruneIntentsAfterClockJump},
	{"RunsNewestFirst", testRunsNewestFirst},
	{"PutRunEmptyID", testPutRunEmptyID},
	{"PutRunNode", testPutRunNode},
	{"LastCompleteInventory", testLastCompleteInventory},
	{"RunsOrderedBySequenceNotTime", testRunsOrderedBySequenceNotTime},
	{"PutRunKeepsSeqOnReplace", testPutRunKeepsSeqOnReplace},
	{"RunSeqMonotonicAcrossReopen", testRunSeqMonotonicAcrossReopen},
	{"LastRunTimeAndAcceptClock", testLastRunTime},
	{"AcceptClockSurvivesReopen", testAcceptClockSurvivesReopen},
	{"AdvanceRunSeq", testAdvanceRunSeq},
	{"Refusals", testRefusals},
	{"PutRefusalFillsLearnedAt", testPutRefusalFillsLearnedAt},
	{"PutRefusalInvalid", testPutRefusalInvalid},
	{"Unconfirmed", testUnconfirmed},
	{"PutUnconfirmedInvalid", testPutUnconfirmedInvalid},
	{"Traffic", testTraffic},
	{"PutTrafficDefaultsAndRollback", testPutTrafficDefaultsAndRollback},
	{"PutTrafficRepeatedIDLastWins", testPutTrafficRepeatedID},
	{"PruneTraffic", testPruneTraffic},
	{"TrafficDays", testTrafficDays},
	{"Meta", testMeta},
	{"SetMetaReservedKeys", testSetMetaReservedKeys},
	{"ClaimMeta", testClaimMeta},
	{"Money", testMoney},
	{"EmptyStore", testEmptyStore},
	{"DurableAcrossReopen", testDurableAcrossReopen},
	{"TimesRoundTrip", testTimesRoundTrip},
	{"ExportImportRoundTrip", testExportImport},
	{"ImportRefusesNonEmpty", testImportRefusesNonEmpty},
	{"ImportRefusesInvalid", testImportRefusesInvalid},
	{"ConcurrentReadersAndWriters", testConcurrent},
}

// t0 is the suite's reference time.
var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// env opens stores for one test case.
type env struct {
	t       *testing.T
	open    func(Options) (state.Backend, error)
	factory Factory
}

// other opens a second, fresh store of the same backend, closed at cleanup.
func (e *env) other(o Options) state.Backend {
	e.t.Helper()
	s, err := e.factory(e.t)(o)
	if err != nil {
		e.t.Fatalf("open a second store: %v", err)
	}
	e.t.Cleanup(func() { _ = s.Close() })
	return s
}

// store opens the case's store with o and closes it at cleanup.
func (e *env) store(o Options) state.Backend {
	e.t.Helper()
	s, err := e.open(o)
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	e.t.Cleanup(func() { _ = s.Close() })
	return s
}

// closeStore closes s, failing the test on error.
func closeStore(t *testing.T, s state.Backend) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// fixed returns a clock that always says at.
func fixed(at time.Time) func() time.Time { return func() time.Time { return at } }

func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// must returns a function that fails t if err is set and returns v: must(s.Marks())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ok fails t on err.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
