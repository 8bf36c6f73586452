package reconcile

// DryRun decides whether a cycle runs dry: it does unless the config permits terminations
// (mayAct: the file itself says dry_run: false), and always for a plan or when the command line
// forces it (--dry-run). Nothing on the command line escalates.
//
// This is the only place dry-run is decided. Run stores the answer in Result.DryRun, the act step
// is skipped for a dry cycle, and everything after (report, metrics, notifications, summary)
// reads Result.DryRun. The modes of DESIGN.md §7.1 will be decided here too.
func DryRun(mayAct, forced bool, command string) bool {
	return !mayAct || forced || command == CommandPlan
}
