package state

import "time"

// Backend is everything reaper keeps between cycles, as every store provides it: *Store (bbolt,
// one host) and pgstate.Store (PostgreSQL, shared by several hosts). The packages that run a cycle
// declare the smaller interfaces they use (reconcile.Store, enrich.Cache); Backend serves the
// code that deals with a whole store: the wiring in cmd/reaper, the copy between backends
// (internal/migrate) and the conformance suite both backends pass (internal/state/statetest),
// which pins down what each method means.
//
// Every method is one transaction: it is committed (for bbolt, fsynced) before it returns, or it
// changes nothing. Times come back as the same instant and offset they were written with, to the
// nanosecond, without a monotonic clock reading.
type Backend interface {
	Marks() (map[MarkKey]Mark, error)
	ReplaceMarks(marks map[MarkKey]Mark) error

	Refusals() (map[string]Refusal, error)
	PutRefusal(r Refusal) error
	DeleteRefusal(instanceID string) error

	Unconfirmed() (map[string]Unconfirmed, error)
	PutUnconfirmed(u Unconfirmed) error
	DeleteUnconfirmed(instanceID string) error

	PutIntent(in Intent) error
	CompleteIntent(runID, instanceID string, o Outcome) error
	OpenIntents() ([]Intent, error)
	Intents() ([]Intent, error)
	PruneIntents(before time.Time, keep int) (int, error)

	PutRun(r Run) (seq uint64, err error)
	Runs(limit int) ([]Run, error)
	LastCompleteInventory() (size int, ok bool, err error)
	AdvanceRunSeq(min uint64) error
	LastRunTime() (t time.Time, ok bool, err error)
	AcceptClock(now time.Time) (previous time.Time, err error)

	Traffic(instanceID string) (TrafficRecord, bool, error)
	PutTraffic(recs ...TrafficRecord) error
	PruneTraffic(keep map[string]bool) error

	// The price cache and the savings ledger (README, Cost and savings; see Price and Saving).
	Prices() ([]Price, error)
	PutPrices(ps ...Price) error
	PrunePrices(now time.Time, month int) (pruned int, err error)
	AddSaving(s Saving) (added bool, err error)
	SavingsTotals() ([]SavingsTotal, error)

	Meta(key string) (value string, ok bool, err error)
	SetMeta(key, value string) error
	// ClaimMeta sets key to value only when key is unset, in one transaction: claimed says it
	// did; otherwise prior is the value already there and nothing changed. Of several callers
	// racing for one key, exactly one claims it (apply's at-most-once memory of plans).
	ClaimMeta(key, value string) (prior string, claimed bool, err error)

	// Export reads the whole store in one consistent snapshot; Import writes one into an empty
	// store in one transaction (see Snapshot).
	Export() (*Snapshot, error)
	Import(s *Snapshot) error

	// The policy decision cache (see DecisionCacheStore): not part of Export/Import.
	DecisionCacheStore

	Close() error
}

var _ Backend = (*Store)(nil)
