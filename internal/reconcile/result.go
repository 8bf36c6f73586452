package reconcile

import (
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Action is what a cycle did, or would do, with one instance (README, Reports and notifications).
type Action string

// The actions a report can show.
const (
	ActionTerminated     Action = "terminated"      // the API accepted TerminateInstance and a describe confirmed it took
	ActionUnconfirmed    Action = "unconfirmed"     // the API accepted TerminateInstance but the instance did not go
	ActionWouldTerminate Action = "would_terminate" // due, but dry-run or plan
	ActionMarked         Action = "marked"          // candidate inside its grace period
	ActionBlocked        Action = "blocked"         // due, but a safety limit blocked the cycle
	ActionSkipped        Action = "skipped"         // a guard, see SkipReason
	ActionProtected      Action = "protected"       // config protection
	ActionExempt         Action = "exempt"          // a policy exemption
	ActionKept           Action = "kept"            // no decision to terminate
	ActionFailed         Action = "failed"          // the call failed, see Error
)

// Skip reasons that are not an instance status.
const (
	SkipSubscription  = "subscription"   // PREPAID, or the API refused or cancelled a subscription
	SkipCommitment    = "commitment"     // learned OPERATION_DENIED_POSTPAID_PROMISE
	SkipChanged       = "changed"        // the re-check before acting no longer agreed
	SkipGone          = "gone"           // the instance no longer exists
	SkipRecheckFailed = "recheck_failed" // the re-check before acting could not be made
	SkipNotAttempted  = "not_attempted"  // the cycle was cancelled before this call started
	SkipUnconfirmed   = "unconfirmed"    // an earlier accepted call did not take; backing off
)

// Status is how a cycle ended.
type Status string

// The ends of a cycle.
const (
	StatusOK      Status = "ok"      // the cycle ran to the end; terminations may have failed, see Failures
	StatusBlocked Status = "blocked" // a safety limit blocked every action
	StatusAborted Status = "aborted" // the inventory or state could not be trusted, or leadership was lost: no (further) action was taken
	StatusFailed  Status = "failed"  // the cycle stopped on an unexpected error
)

// Block says which safety limit blocked a cycle and why.
type Block struct {
	Limit    string  // max_terminations_per_run, max_terminations_percent, max_fleet_drop_percent or clock
	Value    float64 // the configured limit (for clock: the tolerance in seconds)
	Observed float64 // what the cycle saw, in the limit's unit (for clock: seconds behind)
	Due      int     // instances that were due
	Message  string
}

// Entry is the outcome for one inventoried instance.
//
// One Entry is kept per instance of the fleet, and most instances are kept with no reasons, so the
// fields that are set for a few instances only (reasons, marks, the termination call's outcome) live
// behind one pointer that is allocated when one of them is first set. Read them with the methods of
// the same name (Terminate, Exempt, Warn, MarkedAt, DueAt, Marks, RequestID, ErrorText,
// TerminatedAt), which return the zero value when nothing was set, and write them with the Set and
// Add methods. Setting a zero value on an entry without details allocates nothing.
//
// A copy of an Entry shares those details with the original: write only through the element of its
// slice (res.Entries[i]), never through a copy.
type Entry struct {
	// Instance is never nil. A cycle's entry points at the instance in the listing's own slice (no
	// copy: one Entry is kept per instance of the fleet); apply's at one made from its plan item.
	// Nothing writes through it: a fresh description (act's re-check, confirm's describe) replaces
	// the pointer with one to a copy of its own, so the listing is never changed. Read it, never
	// write it.
	Instance   *zen.Instance
	Action     Action
	SkipReason string
	Traffic    *policy.Traffic
	// TrafficPending says the instance's traffic was due but is unknown this cycle (not fetched:
	// over the traffic budget, out of time, or the fetch failed). Traffic is then nil: policies
	// see null, so the instance is never idle for it.
	TrafficPending bool
	// EvalFailed says the policies could not decide about the instance (its Decision.Err): its
	// empty Terminate means unknown, not "no longer a candidate".
	EvalFailed bool
	// d holds the rarely set fields; nil until one of them is set.
	d *entryDetail
}

// entryDetail is the part of an Entry that most instances do not need.
type entryDetail struct {
	terminate    []policy.Reason
	exempt       []policy.Reason
	warn         []policy.Reason
	markedAt     *time.Time // of the deciding mark, marks[0]
	dueAt        *time.Time // of the deciding mark, marks[0] (apply: the plan item's due time)
	marks        []PolicyMark
	requestID    string
	err          string
	terminatedAt *time.Time
}

// detail returns e's details for a write, allocating them when e has none.
func (e *Entry) detail() *entryDetail {
	if e.d == nil {
		e.d = new(entryDetail)
	}
	return e.d
}

// Terminate is the reasons a policy nominates the instance for termination.
func (e Entry) Terminate() []policy.Reason {
	if e.d == nil {
		return nil
	}
	return e.d.terminate
}

// Exempt is the reasons a policy exempts the instance.
func (e Entry) Exempt() []policy.Reason {
	if e.d == nil {
		return nil
	}
	return e.d.exempt
}

// Warn is the policies' warnings and the cycle's own about the instance.
func (e Entry) Warn() []policy.Reason {
	if e.d == nil {
		return nil
	}
	return e.d.warn
}

// MarkedAt is when the deciding mark (Marks()[0]) was first seen, nil when there is none.
func (e Entry) MarkedAt() *time.Time {
	if e.d == nil {
		return nil
	}
	return e.d.markedAt
}

// DueAt is when the deciding mark (Marks()[0]) is due, nil when there is none.
func (e Entry) DueAt() *time.Time {
	if e.d == nil {
		return nil
	}
	return e.d.dueAt
}

// Marks is the instance's marks, deciding mark first.
func (e Entry) Marks() []PolicyMark {
	if e.d == nil {
		return nil
	}
	return e.d.marks
}

// RequestID is the API request ID of the termination call, "" when none was made.
func (e Entry) RequestID() string {
	if e.d == nil {
		return ""
	}
	return e.d.requestID
}

// ErrorText is the error of a failed action, "" when there is none. (Not Error: an Entry is not an
// error.)
func (e Entry) ErrorText() string {
	if e.d == nil {
		return ""
	}
	return e.d.err
}

// TerminatedAt is when the termination was confirmed, nil when it was not.
func (e Entry) TerminatedAt() *time.Time {
	if e.d == nil {
		return nil
	}
	return e.d.terminatedAt
}

// SetTerminate sets Terminate.
func (e *Entry) SetTerminate(rs []policy.Reason) {
	if e.d == nil && rs == nil {
		return
	}
	e.detail().terminate = rs
}

// SetExempt sets Exempt.
func (e *Entry) SetExempt(rs []policy.Reason) {
	if e.d == nil && rs == nil {
		return
	}
	e.detail().exempt = rs
}

// SetWarn sets Warn.
func (e *Entry) SetWarn(rs []policy.Reason) {
	if e.d == nil && rs == nil {
		return
	}
	e.detail().warn = rs
}

// AddWarn appends rs to Warn.
func (e *Entry) AddWarn(rs ...policy.Reason) {
	if e.d == nil && len(rs) == 0 {
		return
	}
	d := e.detail()
	d.warn = append(d.warn, rs...)
}

// SetMarkedAt sets MarkedAt.
func (e *Entry) SetMarkedAt(t *time.Time) {
	if e.d == nil && t == nil {
		return
	}
	e.detail().markedAt = t
}

// SetDueAt sets DueAt.
func (e *Entry) SetDueAt(t *time.Time) {
	if e.d == nil && t == nil {
		return
	}
	e.detail().dueAt = t
}

// SetMarks sets Marks.
func (e *Entry) SetMarks(ms []PolicyMark) {
	if e.d == nil && ms == nil {
		return
	}
	e.detail().marks = ms
}

// SetRequestID sets RequestID.
func (e *Entry) SetRequestID(id string) {
	if e.d == nil && id == "" {
		return
	}
	e.detail().requestID = id
}

// SetErrorText sets ErrorText.
func (e *Entry) SetErrorText(msg string) {
	if e.d == nil && msg == "" {
		return
	}
	e.detail().err = msg
}

// SetTerminatedAt sets TerminatedAt.
func (e *Entry) SetTerminatedAt(t *time.Time) {
	if e.d == nil && t == nil {
		return
	}
	e.detail().terminatedAt = t
}

// Result is everything one cycle observed, decided and did. Reports, metrics and notifications are
// all derived from it.
type Result struct {
	RunID   string
	Seq     uint64 // the run's sequence number in the state store; 0 when it was not recorded
	Command string
	// PlanRunID is the run whose plan an apply acted on (Command apply only).
	PlanRunID string
	// Permissions is what the cycle was allowed to do (see Permit); its Mode is the run's mode.
	Permissions Permissions
	// lostLeadership: a fence failed; the cycle changes nothing more in the shared state.
	lostLeadership bool
	// DryRun is Permissions.DryRun(): the cycle could not terminate.
	DryRun            bool
	StartedAt         time.Time
	FinishedAt        time.Time
	Status            Status
	Block             *Block
	Err               error
	InventorySize     int
	InventoryComplete bool
	Entries           []Entry
	// Recovered lists instance IDs whose unfinished intents from an earlier run were resolved.
	Recovered []string
	// TagWrites lists the mark step's ModifyResourceTags calls (README, Mark tags).
	TagWrites []TagWrite
	// TrafficCalls counts DescribeInstanceTraffic calls made by the enrich step.
	TrafficCalls int
}

// Count returns the number of entries per action.
func (r *Result) Count() map[Action]int {
	out := make(map[Action]int)
	for _, e := range r.Entries {
		out[e.Action]++
	}
	return out
}

// Failures is the number of terminations that failed with an unexpected error or that the API
// accepted without them taking (unconfirmed). Either makes `run --once` exit 1.
func (r *Result) Failures() int {
	c := r.Count()
	return c[ActionFailed] + c[ActionUnconfirmed]
}
