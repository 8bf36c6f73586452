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
		"terminated", c[ActionTerminated], "would_terminate", c[ActionWouldTerminate], "marked", c[ActionMarked],
		"blocked", c[ActionBlocked], "failed", c[ActionFailed], "skipped", c[ActionSkipped],
		"duration", res.FinishedAt.Sub(res.StartedAt))
}

// intentRetention is how long completed intents are kept for audit.
const intentRetention = 90 * 24 * time.Hour

// housekeep drops cached traffic of instances that left a complete inventory, and completed
// intents older than intentRetention. Failures are logged: they cost disk, not safety.
func (r *Reconciler) housekeep(res *Result) {
	if res.InventoryComplete {
		keep := make(map[string]bool, len(res.Entries))
		for _, e := range res.Entries {
			keep[e.Instance.ID] = true
		}
		if err := r.opts.Store.PruneTraffic(keep); err != nil {
			r.log.Warn("prune traffic cache failed", "error", err)
		}
	}
	if _, err := r.opts.Store.PruneIntents(res.FinishedAt.Add(-intentRetention)); err != nil {
		r.log.Warn("prune intents failed", "error", err)
	}
}
