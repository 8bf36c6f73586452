package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The Prepare functions check a record before a backend stores it and fill in what the caller
// left zero, the same way for every backend. now is the store's clock.

// PrepareMark validates m against its key k: a mark with no InstanceID or Policy takes its key's,
// a zero FirstSeen becomes now (which delays, never hastens, its due time).
func PrepareMark(k MarkKey, m Mark, now time.Time) (Mark, error) {
	if err := k.check(); err != nil {
		return Mark{}, err
	}
	if m.InstanceID == "" {
		m.InstanceID = k.InstanceID
	}
	if m.Policy == "" {
		m.Policy = k.Policy
	}
	if m.Key() != k {
		return Mark{}, fmt.Errorf("mark keyed %s is for %s", k, m.Key())
	}
	if m.FirstSeen.IsZero() {
		m.FirstSeen = now
	}
	return m, nil
}

// PrepareIntent checks in's key (see IntentKey); a zero CreatedAt becomes now.
func PrepareIntent(in Intent, now time.Time) (Intent, error) {
	if _, err := intentKey(in.RunID, in.InstanceID); err != nil {
		return Intent{}, err
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = now
	}
	return in, nil
}

// IntentKey is how an intent is named in messages and keyed in bbolt: runID/instanceID. The run
// ID must not be empty or contain a slash; the instance ID must not be empty.
func IntentKey(runID, instanceID string) (string, error) {
	k, err := intentKey(runID, instanceID)
	return string(k), err
}

// PrepareOutcome fills a zero o.At with now.
func PrepareOutcome(o Outcome, now time.Time) Outcome {
	if o.At.IsZero() {
		o.At = now
	}
	return o
}

// PrepareRefusal checks the instance ID and the kind; a zero LearnedAt becomes now.
func PrepareRefusal(r Refusal, now time.Time) (Refusal, error) {
	if err := r.validate(); err != nil {
		return Refusal{}, err
	}
	if r.LearnedAt.IsZero() {
		r.LearnedAt = now
	}
	return r, nil
}

// PrepareUnconfirmed checks the instance ID and the attempts; a zero LastAt becomes now, a zero
// FirstAt becomes LastAt.
func PrepareUnconfirmed(u Unconfirmed, now time.Time) (Unconfirmed, error) {
	if u.InstanceID == "" {
		return Unconfirmed{}, errors.New("empty instance id")
	}
	if u.Attempts < 1 {
		return Unconfirmed{}, fmt.Errorf("%s: attempts %d, want at least 1", u.InstanceID, u.Attempts)
	}
	if u.LastAt.IsZero() {
		u.LastAt = now
	}
	if u.FirstAt.IsZero() {
		u.FirstAt = u.LastAt
	}
	return u, nil
}

// PrepareTraffic checks every record has an instance ID and fills a zero FetchedAt with now. It
// returns them ordered by instance ID, one per instance: of repeated ones, the last given.
func PrepareTraffic(recs []TrafficRecord, now time.Time) ([]TrafficRecord, error) {
	out := make([]TrafficRecord, 0, len(recs))
	for _, r := range recs {
		if r.InstanceID == "" {
			return nil, errors.New("traffic record with empty instance id")
		}
		if r.FetchedAt.IsZero() {
			r.FetchedAt = now
		}
		out = append(out, r)
	}
	slices.Reverse(out) // so that the compaction below keeps the last one given
	slices.SortStableFunc(out, func(a, b TrafficRecord) int { return strings.Compare(a.InstanceID, b.InstanceID) })
	return slices.CompactFunc(out, func(a, b TrafficRecord) bool { return a.InstanceID == b.InstanceID }), nil
}

// CheckMeta refuses an empty or reserved metadata key (the schema version, the clock baseline).
func CheckMeta(key string) error {
	if reservedMeta(key) {
		return errors.New("empty or reserved key")
	}
	return nil
}
