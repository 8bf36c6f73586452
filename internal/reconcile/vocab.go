package reconcile

// The vocabulary of a cycle (actions, skip reasons, statuses, limits, commands) is defined here
// and in result.go, once. Every other package uses these constants or, where a copy must exist
// because it is a contract of its own (the report.json schema, metric label values), pins the
// copy to these lists with a test.

// The safety limits that can block a cycle (Block.Limit): the config keys of the blast-radius
// limits, and LimitClock (clock.go).
const (
	LimitPerRun    = "max_terminations_per_run"
	LimitPercent   = "max_terminations_percent"
	LimitFleetDrop = "max_fleet_drop_percent"
)

// The commands that run a cycle (Cycle.Command).
const (
	CommandRun   = "run"
	CommandPlan  = "plan"
	CommandApply = "apply" // acts on an approved plan file (Reconciler.Apply)
)

// Actions lists every action once, most urgent first: the order of summaries and reports.
func Actions() []Action {
	return []Action{
		ActionFailed, ActionUnconfirmed, ActionBlocked, ActionTerminated, ActionWouldTerminate, ActionMarked,
		ActionSkipped, ActionProtected, ActionExempt, ActionKept,
	}
}

// Statuses lists every way a cycle can end.
func Statuses() []Status {
	return []Status{StatusOK, StatusBlocked, StatusAborted, StatusFailed}
}

// SkipReasons lists the skip reasons that are not an instance status. A guard that skips an
// instance for its status (STARTING, RECYCLE, ...) gives the status itself as the reason.
func SkipReasons() []string {
	return []string{SkipSubscription, SkipCommitment, SkipChanged, SkipGone, SkipRecheckFailed, SkipNotAttempted, SkipUnconfirmed}
}

// Limits lists the safety limits that can block a cycle.
func Limits() []string {
	return []string{LimitPerRun, LimitPercent, LimitFleetDrop, LimitClock}
}

// Commands lists the commands that run a cycle.
func Commands() []string { return []string{CommandRun, CommandPlan, CommandApply} }

// IsCandidate reports whether a belongs to an instance the policies chose for termination and no
// guard or exemption saved: would_terminate, marked, blocked, failed, unconfirmed or terminated.
func (a Action) IsCandidate() bool {
	switch a {
	case ActionWouldTerminate, ActionMarked, ActionBlocked, ActionFailed, ActionUnconfirmed, ActionTerminated:
		return true
	}
	return false
}
