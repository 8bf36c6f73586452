package reconcile

// The modes of README, Modes, from the one that does least to the one that does most; each
// includes everything of the one before. They are the config's values of the key mode (the
// config package keeps the same list; a test in cmd/reaper pins the two together).
const (
	ModeDryRun  = "dry-run"
	ModeMark    = "mark"
	ModeApprove = "approve"
	ModeEnforce = "enforce"
)

// Modes lists the modes, least first.
func Modes() []string { return []string{ModeDryRun, ModeMark, ModeApprove, ModeEnforce} }

// Permissions is what one cycle may do to the fleet and its owners. Permit is the only place it
// is decided; Run stores it in Result.Permissions, and the cycle's steps, the record step and the
// commands read it from there.
type Permissions struct {
	// Mode is the cycle's effective mode: the config's, or dry-run when the command line forces
	// it or the config's mode is unknown.
	Mode string
	// Tags: write and remove the mark tags (README, Mark tags).
	Tags bool
	// Notices: send owner notices (README, Owner notices).
	Notices bool
	// Terminate: call TerminateInstance for the due instances in this cycle.
	Terminate bool
}

// DryRun reports whether the cycle may not terminate anything; reports call such a cycle dry
// (would_terminate instead of terminated).
func (p Permissions) DryRun() bool { return !p.Terminate }

// Permit decides what a cycle may do from the config's mode, --dry-run (forced) and the command:
//
//   - dry-run (the default; also an empty or unknown mode, and any mode under --dry-run):
//     nothing; decide and report only.
//   - mark: mark tags and owner notices; never terminates.
//   - approve: as mark; terminations happen only through `reaper apply` of an approved plan.
//   - enforce: as mark, and terminates due instances.
//
// A plan never writes or sends anything and never terminates, in any mode. Nothing on the command
// line escalates: forced only ever takes permissions away.
func Permit(mode string, forced bool, command string) Permissions {
	switch {
	case forced, mode != ModeMark && mode != ModeApprove && mode != ModeEnforce:
		return Permissions{Mode: ModeDryRun}
	case command == CommandPlan:
		return Permissions{Mode: mode}
	case command == CommandApply: // terminates an approved plan's items; writes no mark tags
		return Permissions{Mode: mode, Notices: true, Terminate: mode == ModeApprove || mode == ModeEnforce}
	}
	return Permissions{Mode: mode, Tags: true, Notices: true, Terminate: mode == ModeEnforce}
}
