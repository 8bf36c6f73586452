package reconcile

import (
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// record stores the run summary. A failure to record makes an otherwise good cycle a failed one:
// an operator must learn that reaper's memory is not being kept.
func (r *Reconciler) record(res *Result) {
	counts := make(map[string]int)
	for a, n := range res.Count() {
		counts[string(a)] = n
	}
	run := state.Run{
		ID: res.RunID, Command: res.Command, StartedAt: res.StartedAt, FinishedAt: res.FinishedAt,
		DryRun: res.DryRun, Result: string(res.Status), InventoryComplete: res.InventoryComplete,
		InventorySize: res.InventorySize, Counts: counts,
	}
	if res.Block != nil {
		run.Blocked = res.Block.Limit + ": " + res.Block.Message
	}
	if res.Err != nil {
		run.Error = res.Err.Error()
	}
	seq, err := r.opts.Store.PutRun(run)
	res.Seq = seq
	if err != nil {
		r.log.Error("record run failed", "run_id", res.RunID, "error", err)
		if res.Status == StatusOK {
			res.Status, res.Err = StatusFailed, fmt.Errorf("record run: %w", err)
		}
	}
	r.housekeep(res)
	c := res.Count()
	r.log.Info("cycle finished", "run_id", res.RunID, "command", res.Command, "dry_run", res.DryRun,
		"status", string(res.Status), "inventory", res.InventorySize,
		"terminated", c[ActionTerminated], "unconfirmed", c[ActionUnconfirmed], "would_terminate", c[ActionWouldTerminate], "marked", c[ActionMarked],
		"blocked", c[ActionBlocked], "failed", c[ActionFailed], "skipped", c[ActionSkipped],
		"duration", res.FinishedAt.Sub(res.StartedAt))
}

// intentRetention is how long completed intents are kept for audit, and intentKeep how many of
// the newest (by run sequence) are kept whatever their age: a clock far ahead makes every intent
// look old, and must not delete the audit trail.
const (
	intentRetention = 90 * 24 * time.Hour
	intentKeep      = 1000
)

// housekeep drops cached traffic of instances that left a complete inventory, and completed
// intents older than intentRetention beyond the newest intentKeep. Failures are logged: they cost
// disk, not safety.
//
// What left the inventory is read from the cycle's entries, so it is pruned only when there is an
// entry for every listed instance: a cycle aborted after the listing (its evaluation stopped, the
// state unreadable) has none, and that says nothing about which instances are gone.
func (r *Reconciler) housekeep(res *Result) {
	if res.lostLeadership { // the state is another reaper's now
		return
	}
	if res.InventoryComplete && len(res.Entries) == res.InventorySize {
		keep := make(map[string]bool, len(res.Entries))
		for _, e := range res.Entries {
			keep[e.Instance.ID] = true
		}
		if err := r.opts.Store.PruneTraffic(keep); err != nil {
			r.log.Warn("prune traffic cache failed", "error", err)
		}
		if err := r.pruneUnconfirmed(res); err != nil {
			r.log.Warn("prune unconfirmed terminations failed", "error", err)
		}
	}
	if _, err := r.opts.Store.PruneIntents(res.FinishedAt.Add(-intentRetention), intentKeep); err != nil {
		r.log.Warn("prune intents failed", "error", err)
	}
}

// pruneUnconfirmed forgets the backoff of an instance that a complete inventory shows gone or in
// the recycle bin (the termination took after all), that is protected or exempt, or that no
// policy nominates any more. An instance a guard skips keeps its backoff while it stays nominated.
func (r *Reconciler) pruneUnconfirmed(res *Result) error {
	pending, err := r.opts.Store.Unconfirmed()
	if err != nil || len(pending) == 0 {
		return err
	}
	entries := make(map[string]*Entry, len(pending))
	for i := range res.Entries {
		if _, ok := pending[res.Entries[i].Instance.ID]; ok {
			entries[res.Entries[i].Instance.ID] = &res.Entries[i]
		}
	}
	for id, u := range pending {
		why := forgetUnconfirmed(entries[id])
		if why == "" {
			continue
		}
		if err := r.opts.Store.DeleteUnconfirmed(id); err != nil {
			return err
		}
		r.log.Debug("unconfirmed termination forgotten", "run_id", res.RunID, "instance_id", id,
			"reason", why, "attempts", u.Attempts, "request_id", u.RequestID)
	}
	return nil
}

// forgetUnconfirmed says why a backoff is no longer needed for the instance of e (nil: absent from
// the inventory), or "" to keep it. "No longer a candidate" needs a decision on full data: an
// instance the policies could not evaluate, or one a guard skipped (the backoff itself included;
// guards run before traffic is fetched, so a policy that needs traffic cannot nominate it), keeps
// its backoff.
func forgetUnconfirmed(e *Entry) string {
	switch {
	case e == nil:
		return "instance absent"
	case inRecycleBin(*e.Instance):
		return "instance in the recycle bin: the termination took late"
	case e.Action == ActionProtected:
		return "protected"
	case len(e.Exempt()) > 0:
		return "exempt"
	case len(e.Terminate()) == 0 && !e.EvalFailed && e.Action != ActionSkipped:
		return "no longer a candidate"
	}
	return ""
}
