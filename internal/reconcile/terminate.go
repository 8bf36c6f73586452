package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Outcome results recorded in the state store for an intent.
const (
	OutcomeTerminated   = "terminated" // accepted, and a describe after the batch confirmed it took
	OutcomeRecycled     = "recycled"   // already in the recycle bin: counts as done
	OutcomeGone         = "gone"
	OutcomeCommitment   = "commitment"
	OutcomeSubscription = "subscription"
	OutcomeBusy         = "busy" // creating or installing: tried again next cycle
	OutcomeFailed       = "failed"
	// OutcomeUnconfirmed is a call reaper cannot confirm took effect: one the API accepted while
	// the describe after the batch still showed the instance (action unconfirmed, backed off), or
	// an intent found unfinished at start whose instance was still there (re-evaluated).
	OutcomeUnconfirmed = "unconfirmed"
)

// terminate records an intent, makes the call, and records the outcome. A call the API accepted
// is not final yet: it reports accepted, and its intent stays open until confirm has described
// the instance. It returns an error only when the state store fails, which stops all further
// acting. until is the deadline of the call's detached context (zero when no call was made).
func (r *Reconciler) terminate(ctx context.Context, runID string, e *Entry) (accepted bool, until time.Time, err error) {
	id := e.Instance.ID
	if err := r.fence(ctx, "intent", id); err != nil {
		return false, time.Time{}, err
	}
	intent := state.Intent{RunID: runID, InstanceID: id, CreatedAt: r.opts.Now().UTC(), Reasons: reasonTexts(e.Terminate())}
	if err := r.opts.Store.PutIntent(intent); err != nil {
		e.Action = ActionFailed
		e.SetErrorText("not called: record intent: " + err.Error())
		return false, time.Time{}, fmt.Errorf("record intent for %s: %w", id, err)
	}
	if err := r.fence(ctx, "call", id); err != nil {
		e.SetErrorText("intent recorded, not called: " + err.Error())
		return false, time.Time{}, err
	}
	// The call runs on a context detached from the cycle's: once started it finishes (bounded by
	// CallTimeout) and is recorded, even when the daemon is asked to stop. It is made once: the
	// client's retries are the only retry layer (see the README, "The Zenlayer client").
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.Settings.CallTimeout)
	defer cancel()
	until, _ = callCtx.Deadline()
	reqID, err := r.opts.API.TerminateInstance(callCtx, id)
	now := r.opts.Now().UTC()
	result := r.apply(e, reqID, err, now)
	if result == OutcomeTerminated {
		return true, until, nil
	}
	return false, until, r.complete(runID, e, result, now)
}

// complete remembers what the API taught and records the intent's outcome.
func (r *Reconciler) complete(runID string, e *Entry, result string, now time.Time) error {
	if err := r.remember(e, result, now); err != nil {
		return err
	}
	o := state.Outcome{Result: result, RequestID: e.RequestID(), Error: e.ErrorText(), At: now}
	if err := r.opts.Store.CompleteIntent(runID, e.Instance.ID, o); err != nil {
		return fmt.Errorf("record outcome for %s: %w", e.Instance.ID, err)
	}
	r.logOutcome(runID, e, result)
	return nil
}

// apply maps the API's answer to the entry's action and returns the outcome to record.
func (r *Reconciler) apply(e *Entry, reqID string, err error, now time.Time) string {
	e.SetRequestID(reqID)
	if err != nil {
		e.SetRequestID(zen.RequestID(err))
	}
	switch {
	case err == nil: // accepted; confirm decides whether it took
		e.Action = ActionTerminated
		e.SetTerminatedAt(&now)
		return OutcomeTerminated
	case zen.IsRecycled(err):
		e.Action, e.SkipReason = ActionSkipped, string(zen.StatusRecycle)
		return OutcomeRecycled
	case zen.IsNotFound(err):
		e.Action, e.SkipReason = ActionSkipped, SkipGone
		return OutcomeGone
	case zen.IsPostpaidPromise(err):
		e.Action, e.SkipReason = ActionSkipped, SkipCommitment
		return OutcomeCommitment
	case zen.IsSubscription(err):
		e.Action, e.SkipReason = ActionSkipped, SkipSubscription
		return OutcomeSubscription
	case zen.IsCreating(err):
		e.Action, e.SkipReason = ActionSkipped, string(zen.StatusCreating)
		return OutcomeBusy
	case zen.IsInstalling(err):
		e.Action, e.SkipReason = ActionSkipped, string(zen.StatusInstalling)
		return OutcomeBusy
	default:
		e.Action = ActionFailed
		e.SetErrorText(err.Error())
		return OutcomeFailed
	}
}

// remember stores what the API taught reaper about an instance: a commitment period or a
// subscription is not asked about again before CommitmentRetryAfter.
func (r *Reconciler) remember(e *Entry, result string, now time.Time) error {
	kind := state.RefusalKind("")
	switch {
	case result == OutcomeCommitment:
		kind = state.RefusalCommitment
	case result == OutcomeSubscription,
		result == OutcomeTerminated && e.Instance.ChargeType == zen.ChargePrepaid:
		kind = state.RefusalSubscription
	}
	if kind == "" {
		return nil
	}
	ref := state.Refusal{InstanceID: e.Instance.ID, Kind: kind, LearnedAt: now, RequestID: e.RequestID()}
	if err := r.opts.Store.PutRefusal(ref); err != nil {
		return fmt.Errorf("remember %s of %s: %w", kind, e.Instance.ID, err)
	}
	return nil
}

func (r *Reconciler) logOutcome(runID string, e *Entry, result string) {
	attrs := []any{"run_id", runID, "instance_id", e.Instance.ID, "instance_name", e.Instance.Name,
		"reasons", reasonTexts(e.Terminate()), "request_id", e.RequestID(), "outcome", result}
	switch e.Action {
	case ActionTerminated:
		r.log.Info("instance terminated", attrs...)
	case ActionUnconfirmed:
		r.log.Error("termination accepted but not confirmed", append(attrs, "error", e.ErrorText())...)
	case ActionFailed:
		r.log.Error("terminate failed", append(attrs, "error", e.ErrorText())...)
	default:
		r.log.Info("terminate refused", append(attrs, "skip_reason", e.SkipReason)...)
	}
}
