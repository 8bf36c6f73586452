package reconcile

import (
	"context"
	"fmt"
)

// Fencer proves that this process may still act. With a shared store (PostgreSQL) it proves, by a
// write in the session that holds the leadership lock, that this process still leads; Fence
// returns an error when it cannot. A cycle fences before every intent and every TerminateInstance
// (and the shared writes of its marks, tags and notices), an apply also before its plan's claim.
type Fencer interface {
	Fence(ctx context.Context) error
}

// fenceError is a failed fence: this process may no longer act. No further call starts, nothing
// more is written for the cycle's instances, and the cycle is aborted with this error.
type fenceError struct{ err error }

func (e *fenceError) Error() string { return e.err.Error() }
func (e *fenceError) Unwrap() error { return e.err }

// fence runs the Fencer, if there is one, before step ("intent" or "call") for instance id. It is
// not cancelled with the cycle: a stop is not a lost leadership (the Fencer bounds its own wait).
func (r *Reconciler) fence(ctx context.Context, step, id string) error {
	if r.opts.Fence == nil {
		return nil
	}
	if err := r.opts.Fence.Fence(context.WithoutCancel(ctx)); err != nil {
		return &fenceError{fmt.Errorf("leadership lost before the %s for %s: %w", step, id, err)}
	}
	return nil
}

// fenced ends a cycle that lost its leadership while acting: calls the API accepted stay
// unconfirmed (their intents stay open: the next leader describes and resolves them), the due
// instances not reached are not attempted, and the cycle is aborted.
func (r *Reconciler) fenced(res *Result, due, accepted []int, err error) error {
	for _, i := range accepted {
		e := &res.Entries[i]
		e.Action = ActionUnconfirmed
		e.SetTerminatedAt(nil)
		e.SetErrorText("the API accepted the termination, but leadership was lost before it could be confirmed; the next leader resolves it")
	}
	r.notAttempted(res, due)
	revokeOnLostLeadership(res)
	return r.abort(res, err)
}

// revokeOnLostLeadership takes from a cycle that lost its leadership what it may still do after
// the act step: write mark tags and send owner notices. Another reaper leads now and owns both.
// The cycle's housekeeping in the store (record) is skipped too.
func revokeOnLostLeadership(res *Result) {
	res.Permissions.Tags, res.Permissions.Notices = false, false
	res.lostLeadership = true
}
