package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// The kinds of events reaper announces.
const (
	KindDigest      = "digest"      // the candidate set of a run (sent when it changes)
	KindMarked      = "marked"      // instances newly marked as candidates
	KindTerminated  = "terminated"  // instances terminated by a run
	KindUnconfirmed = "unconfirmed" // terminations the API accepted that did not take
	KindBlocked     = "blocked"     // a safety limit blocked a run
	KindFailed      = "failed"      // terminations or the run failed
)

// Event is one notification.
type Event struct {
	Kind   string // KindDigest, KindMarked, KindTerminated, KindUnconfirmed, KindBlocked or KindFailed
	RunID  string
	DryRun bool
	// Mode is the run's mode (dry-run, mark, approve or enforce); empty for a report written
	// before reaper had modes.
	Mode      string
	Title     string // one line, plain text
	Text      string // a few lines, plain text
	Instances []EventInstance
	At        time.Time // when it happened; Options.Now fills a zero value
}

// EventInstance is one instance an event is about.
type EventInstance struct {
	ID        string
	Name      string
	Action    string   // a report action, e.g. "would_terminate"
	Reasons   []string // "policy: reason"
	DueAt     *time.Time
	RequestID string // of the TerminateInstance call, if any
	// RecycleDeadline is when the recycle bin releases a terminated instance for good; nil when
	// it does not go there (CREATE_FAILED is deleted at once, PREPAID loses its subscription).
	RecycleDeadline *time.Time
}

// CandidateDigest returns a stable hash (hex SHA-256) of a set of instance IDs: order and duplicates
// do not matter. A caller stores it to avoid announcing the same candidate set twice.
func CandidateDigest(ids []string) string {
	set := slices.Clone(ids)
	slices.Sort(set)
	set = slices.Compact(set)
	h := sha256.New()
	for _, id := range set {
		fmt.Fprintf(h, "%d:%s;", len(id), id) // length-prefixed, so no two sets encode alike
	}
	return hex.EncodeToString(h.Sum(nil))
}
