package state

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Snapshot is the whole content of a store, as Export reads it and Import writes it: what
// `reaper state migrate` copies from one backend to another.
type Snapshot struct {
	Marks       map[MarkKey]Mark
	Refusals    map[string]Refusal
	Unconfirmed map[string]Unconfirmed
	Intents     []Intent // oldest first, as Intents returns them
	Runs        []Run    // newest first, as Runs returns them, each with its Seq
	// RunSeq is the run sequence: the next run gets a higher number. It can be past the newest
	// run's (see AdvanceRunSeq).
	RunSeq uint64
	// LastRunTime is the clock baseline (see LastRunTime); zero when there is none.
	LastRunTime time.Time
	Traffic     map[string]TrafficRecord
	// Money is the price cache and the savings ledger (which nothing else could derive again).
	Money Money
	// Meta holds every metadata value but the reserved ones (the schema version and the clock
	// baseline, which a store keeps itself).
	Meta map[string]string
}

// Count is how many records of one kind a snapshot holds.
type Count struct {
	Kind string
	N    int
}

// Counts returns the number of records of each kind, in a fixed order. The run sequence and the
// clock baseline are not records: a store with only those is empty for Counts, but not for
// Empty.
func (s *Snapshot) Counts() []Count {
	return []Count{
		{"marks", len(s.Marks)},
		{"refusals", len(s.Refusals)},
		{"unconfirmed", len(s.Unconfirmed)},
		{"intents", len(s.Intents)},
		{"runs", len(s.Runs)},
		{"traffic", len(s.Traffic)},
		{"prices", len(s.Money.Prices)},
		{"savings", len(s.Money.Savings)},
		{"savings_totals", len(s.Money.Totals)},
		{"meta", len(s.Meta)},
	}
}

// Empty reports whether the snapshot holds nothing at all: no record, no run sequence and no
// clock baseline.
func (s *Snapshot) Empty() bool {
	for _, c := range s.Counts() {
		if c.N > 0 {
			return false
		}
	}
	return s.RunSeq == 0 && s.LastRunTime.IsZero()
}

// FormatCounts renders counts as "marks 3, refusals 0, ...".
func FormatCounts(counts []Count) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.Kind, c.N)
	}
	return strings.Join(parts, ", ")
}

// NotEmptyError is Import's refusal of a store that already holds state: migrating into it
// would mix two histories.
type NotEmptyError struct {
	Where  string // the store, e.g. a path or a schema name
	Counts []Count
	RunSeq uint64
}

// Error names the store and what it holds.
func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("%s is not empty (%s, run sequence %d): migrate copies only into an empty store",
		e.Where, FormatCounts(e.Counts), e.RunSeq)
}

// CheckSnapshot checks what Import needs of a snapshot that every backend would otherwise store
// differently or not at all: runs numbered, uniquely, within the sequence; keys a store can hold.
func CheckSnapshot(s *Snapshot) error {
	seen := map[uint64]string{}
	for _, r := range s.Runs {
		switch {
		case r.ID == "":
			return fmt.Errorf("run with empty id")
		case r.Seq == 0:
			return fmt.Errorf("run %s has no sequence number", r.ID)
		case r.Seq > s.RunSeq:
			return fmt.Errorf("run %s has sequence number %d, past the run sequence %d", r.ID, r.Seq, s.RunSeq)
		case seen[r.Seq] != "":
			return fmt.Errorf("runs %s and %s have the same sequence number %d", seen[r.Seq], r.ID, r.Seq)
		}
		seen[r.Seq] = r.ID
	}
	for _, in := range s.Intents {
		if _, err := intentKey(in.RunID, in.InstanceID); err != nil {
			return fmt.Errorf("intent: %w", err)
		}
	}
	for k, m := range s.Marks {
		if err := k.check(); err != nil {
			return err
		}
		if m.Key() != k {
			return fmt.Errorf("mark keyed %s is for %s", k, m.Key())
		}
	}
	for key := range s.Meta {
		if reservedMeta(key) {
			return fmt.Errorf("meta %q is reserved", key)
		}
	}
	return checkMoney(s.Money)
}

// reservedMeta reports whether key is a metadata key SetMeta refuses.
func reservedMeta(key string) bool {
	return key == "" || key == keySchemaVersion || key == keyLastRunTime
}

// IntentRef identifies a completed intent for StaleIntents: its run, its instance, when it was
// created and the sequence number of its run (0: the run is not recorded, yet).
type IntentRef struct {
	RunID, InstanceID string
	CreatedAt         time.Time
	RunSeq            uint64
}

// StaleIntents returns which of the completed intents done PruneIntents deletes: those created
// before before, except the keep newest. Newest is the run sequence, never a time; an intent of
// a run not recorded yet is newer than all; among equals the order is that of the intents' keys
// (run ID, "/", instance ID, as bytes). Both backends prune with it, so they prune alike.
func StaleIntents(done []IntentRef, before time.Time, keep int) []IntentRef {
	done = slices.Clone(done)
	seq := func(r IntentRef) uint64 {
		if r.RunSeq == 0 {
			return ^uint64(0)
		}
		return r.RunSeq
	}
	slices.SortFunc(done, func(a, b IntentRef) int {
		if c := cmp.Compare(seq(b), seq(a)); c != 0 { // newest first
			return c
		}
		return strings.Compare(a.RunID+"/"+a.InstanceID, b.RunID+"/"+b.InstanceID)
	})
	var stale []IntentRef
	for _, in := range done[min(max(keep, 0), len(done)):] {
		if in.CreatedAt.Before(before) {
			stale = append(stale, in)
		}
	}
	return stale
}
