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
type Entry struct {
	// Instance is never nil. A cycle's entry points at the instance in the listing's own slice (no
	// copy: one Entry is kept per instance of the fleet); apply's at one made from its plan item.
	// Nothing writes through it: a fresh description (act's re-check, confirm's describe) replaces
	// the pointer with one to a copy of its own, so the listing is never changed. Read it, never
	// write it.
	Instance     *zen.Instance
	Action       Action
	Terminate    []policy.Reason
	Exempt       []policy.Reason
	Warn         []policy.Reason
	SkipReason   string
	MarkedAt     *time.Time // of the deciding mark, Marks[0]
	DueAt        *time.Time // of the deciding mark, Marks[0]
	Marks        []PolicyMark
	RequestID    string
	Error        string
	TerminatedAt *time.Time
	Traffic      *policy.Traffic
	// TrafficPending says the instance's traffic was due but is unknown this cycle (not fetched:
	// over the traffic budget, out of time, or the fetch failed). Traffic is then nil: policies
	// see null, so the instance is never idle for it.
	TrafficPending bool
	// EvalFailed says the policies could not decide about the instance (its Decision.Err): its
	// empty Terminate means unknown, not "no longer a candidate".
	EvalFailed bool
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
