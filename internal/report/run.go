package report

import (
	"encoding/json"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// SchemaVersion is the version of the report.json document this package writes. Version 2 added
// the action unconfirmed; ReadJSON still reads version 1.
const SchemaVersion = 2

// RecycleRetention is how long a terminated pay-as-you-go instance stays in the Zenlayer recycle bin
// before it is released for good.
const RecycleRetention = 24 * time.Hour

// The actions an instance can end a cycle with (README, Reports and notifications).
const (
	ActionTerminated     = "terminated"      // the API accepted the termination and a describe confirmed it took
	ActionUnconfirmed    = "unconfirmed"     // the API accepted the termination but the instance did not go; Error says what was seen
	ActionWouldTerminate = "would_terminate" // due, but dry-run or plan
	ActionMarked         = "marked"          // candidate inside its grace period
	ActionBlocked        = "blocked"         // due, but a safety limit blocked the cycle
	ActionSkipped        = "skipped"         // a guard skipped it; SkipReason says which
	ActionProtected      = "protected"       // protected by the config
	ActionExempt         = "exempt"          // a policy exempted it
	ActionKept           = "kept"            // no decision
	ActionFailed         = "failed"          // the termination call failed; Error says how
)

// Actions lists every action, most urgent first. Reports use this order.
var Actions = []string{
	ActionFailed, ActionUnconfirmed, ActionBlocked, ActionTerminated, ActionWouldTerminate, ActionMarked,
	ActionSkipped, ActionProtected, ActionExempt, ActionKept,
}

// IsCandidate reports whether action belongs to an instance the policies chose for termination and no
// guard or exemption saved: would_terminate, marked, blocked, failed, unconfirmed or terminated.
func IsCandidate(action string) bool {
	return IsOpenCandidate(action) || action == ActionTerminated
}

// IsOpenCandidate reports whether action belongs to a candidate that still exists and is waiting for
// termination: would_terminate, marked, blocked, failed or unconfirmed. Diff compares runs on this
// set.
func IsOpenCandidate(action string) bool {
	switch action {
	case ActionWouldTerminate, ActionMarked, ActionBlocked, ActionFailed, ActionUnconfirmed:
		return true
	}
	return false
}

// The results of a run.
const (
	ResultOK      = "ok"      // the cycle completed (dry-run or acting)
	ResultBlocked = "blocked" // a safety limit blocked every action; Blocked says which
	ResultAborted = "aborted" // the cycle stopped before acting (for example a partial inventory)
	ResultFailed  = "failed"  // the cycle failed (failed or unconfirmed terminations are counted by action)
)

// Run is one cycle's report: the header, a summary and one entry per inventoried instance.
type Run struct {
	SchemaVersion int       `json:"schema_version"`
	RunID         string    `json:"run_id"`
	Seq           uint64    `json:"seq,omitempty"` // the run's sequence number in the state store: the order of runs
	Command       string    `json:"command"`       // the command that ran the cycle: run or plan
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	DryRun        bool      `json:"dry_run"`
	// Mode is the cycle's effective mode (dry-run, mark, approve or enforce; README, Modes):
	// what it was allowed to write. Empty in reports written before reaper had modes.
	Mode string `json:"mode,omitempty"`
	// PlanRunID is the run whose plan file an apply acted on (command apply only; README, Plans and approval).
	PlanRunID string `json:"plan_run_id,omitempty"`
	// ApplyCommand is the exact command that applies the plan file this run wrote (a plan with
	// --out, or an approve-mode cycle); empty when it wrote none.
	ApplyCommand  string   `json:"apply_command,omitempty"`
	Result        string   `json:"result"`          // ResultOK, ResultBlocked, ResultAborted or ResultFailed
	Blocked       *Block   `json:"blocked"`         // set when a safety limit blocked the cycle
	Error         string   `json:"error,omitempty"` // why the cycle aborted or failed
	ConfigDigest  string   `json:"config_digest"`
	PolicyDigest  string   `json:"policy_digest"`
	Policies      []string `json:"policies"` // loaded policy packages, e.g. "reaper.expiry"
	InventorySize int      `json:"inventory_size"`
	Summary       Summary  `json:"summary"` // filled by Finalize
	Savings       Savings  `json:"savings"` // filled by Finalize
	// Currency labels every amount of money in the report (pricing.currency).
	Currency string `json:"currency"`
	// ProjectedMonthlySavings adds the monthly costs of would_terminate and blocked instances;
	// RealizedSavings those of confirmed terminations only. UnknownCosts counts the instances of
	// either kind whose cost is unknown (not in the sums). Finalize fills the three.
	ProjectedMonthlySavings money.Micros `json:"projected_monthly_savings"`
	RealizedSavings         money.Micros `json:"realized_savings"`
	UnknownCosts            int          `json:"unknown_costs"`
	// CumulativeRealizedSavings is the savings ledger after this run; null when it was not read.
	CumulativeRealizedSavings *Cumulative `json:"cumulative_realized_savings"`
	// PricingWarnings say which cost figures could not be had, and why; the cycle went on.
	PricingWarnings []string `json:"pricing_warnings,omitempty"`
	// Instances is every inventoried instance, skipped ones included; nil in a run whose rows
	// come from a row source (SetRows). Read them with Len, Row or All, which serve both.
	Instances []Instance `json:"instances"`
	// Source is where the rows come from in a run that does not hold Instances (SetRows); nil
	// in a run read back or built with Instances.
	Source *RowSource `json:"-"`
}

// Block says which safety limit blocked a cycle and by how much.
type Block struct {
	Limit    string  `json:"limit"`    // the limit's config key, or clock (reconcile.Limits)
	Value    float64 `json:"value"`    // the configured limit (a count or a percentage)
	Observed float64 `json:"observed"` // what the cycle saw, in the limit's unit
	Due      int     `json:"due"`      // instances that were due when the cycle was blocked
	Message  string  `json:"message"`  // one sentence for people
}

// Summary counts instances. Finalize fills it from the instances.
type Summary struct {
	// Candidates counts instances whose action satisfies IsCandidate.
	Candidates int `json:"candidates"`
	// ByAction counts every instance by action; every action is present, zeros included.
	ByAction map[string]int `json:"by_action"`
	// ByPolicy counts candidate instances per policy that gave them a terminate reason: an
	// instance with several reasons from one policy counts once for it. reaper_candidates{policy}
	// is this map.
	ByPolicy map[string]int `json:"by_policy"`
	// ByZone counts candidates by zone.
	ByZone map[string]int `json:"by_zone"`
	// TrafficPending counts instances whose TrafficStatus is TrafficPending.
	TrafficPending int `json:"traffic_pending"`
}

// Savings estimates the monthly spend that terminations stop, from the configured pricing.
type Savings struct {
	// Available is false when pricing is not configured or some instance type has no price; the
	// figures are then a lower bound and Note says why.
	Available             bool    `json:"available"`
	WouldTerminateMonthly float64 `json:"would_terminate_monthly"`
	TerminatedMonthly     float64 `json:"terminated_monthly"` // confirmed terminations only
	MissingPrices         int     `json:"missing_prices"`     // candidates whose type has no price
	Note                  string  `json:"note"`
}

// Instance is one inventoried instance and what the cycle did with it.
type Instance struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Zone            string     `json:"zone"`
	Type            string     `json:"type"`
	Status          string     `json:"status"`
	ChargeType      string     `json:"charge_type"`
	Tags            Tags       `json:"tags"` // first value of each key, written as an object
	Action          string     `json:"action"`
	Reasons         []Reason   `json:"reasons"`    // terminate reasons
	Exemptions      []Reason   `json:"exemptions"` // exempt reasons
	Warnings        []Reason   `json:"warnings"`   // warn reasons
	SkipReason      string     `json:"skip_reason"`
	MarkedAt        *time.Time `json:"marked_at"` // of the deciding mark, Marks[0]
	DueAt           *time.Time `json:"due_at"`    // of the deciding mark, Marks[0]
	Marks           []Mark     `json:"marks"`     // one per nominating policy, deciding first
	RequestID       string     `json:"request_id"`
	Error           string     `json:"error"`
	TerminatedAt    *time.Time `json:"terminated_at"`
	RecycleDeadline *time.Time `json:"recycle_deadline"` // when the recycle bin releases it; Finalize derives it
	Traffic         *Traffic   `json:"traffic"`          // the figures behind idle decisions
	MonthlyPrice    *float64   `json:"monthly_price"`
	// MonthlyCost is what the instance costs a month, from CostSource: override, bill, list or
	// unknown (then null, never 0).
	MonthlyCost *money.Micros `json:"monthly_cost"`
	CostSource  string        `json:"cost_source,omitempty"` // Finalize sets it
	// TrafficStatus is TrafficPending when the instance's traffic was due but not fetched in
	// this run (Traffic is then null); empty otherwise.
	TrafficStatus string `json:"traffic_status,omitempty"`
}

// Mark is one policy's mark on a candidate: since when that policy has nominated it without a
// break, and when its grace period ends. The deciding mark (the earliest due, then the earliest
// marked) comes first; a mark whose MarkedAt is not before the run's StartedAt is new in that run.
type Mark struct {
	Policy   string    `json:"policy"`
	MarkedAt time.Time `json:"marked_at"`
	DueAt    time.Time `json:"due_at"`
	// New says the mark was made in this run (for announcements); it is not written: a report
	// read back does not know it.
	New bool `json:"-"`
}

// Reason is one terminate, exempt or warn reason and the policy that gave it.
type Reason struct {
	Policy string `json:"policy"`
	Reason string `json:"reason"`
}

// Traffic summarises an instance's bandwidth over the idle window.
type Traffic struct {
	WindowSeconds int64 `json:"window_seconds"`
	Samples       int   `json:"samples"`
	Complete      bool  `json:"complete"`
	InP95Bps      int64 `json:"in_p95_bps"`
	OutP95Bps     int64 `json:"out_p95_bps"`
	InAvgBps      int64 `json:"in_avg_bps"`
	OutAvgBps     int64 `json:"out_avg_bps"`
}

// MarshalJSON writes the run with empty arrays and objects instead of null, and the current
// schema version when SchemaVersion is unset.
func (r Run) MarshalJSON() ([]byte, error) {
	type plain Run
	p := plain(r.header())
	if p.SchemaVersion == 0 {
		p.SchemaVersion = SchemaVersion
	}
	p.Policies = nonNil(p.Policies)
	p.Instances = nonNil(r.Materialized())
	p.Summary.ByAction = nonNilMap(p.Summary.ByAction)
	p.Summary.ByPolicy = nonNilMap(p.Summary.ByPolicy)
	p.Summary.ByZone = nonNilMap(p.Summary.ByZone)
	return json.Marshal(p)
}

// MarshalJSON writes the instance with empty arrays and objects instead of null.
func (i Instance) MarshalJSON() ([]byte, error) {
	type plain Instance
	p := plain(i)
	p.Reasons = nonNil(p.Reasons)
	p.Exemptions = nonNil(p.Exemptions)
	p.Warnings = nonNil(p.Warnings)
	p.Marks = nonNil(p.Marks)
	return json.Marshal(p)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
