package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// plan keeps the marks (one per instance and nominating policy), finds what is due because some
// policy has nominated it for the whole grace period, and applies the blast-radius
// limits to the due set. Due entries become would_terminate (act may still change them) or, when a
// limit trips, blocked.
func (r *Reconciler) plan(now time.Time, res *Result) error {
	old, err := r.opts.Store.Marks()
	if err != nil {
		return err // the store's error names the read
	}
	marks := make(map[state.MarkKey]state.Mark)
	var due []int
	for i := range res.Entries {
		e := &res.Entries[i]
		if e.Action != ActionMarked {
			continue
		}
		r.keepMarks(now, e, old, marks)
		if ms := e.Marks(); len(ms) > 0 && ms[0].Due(now) {
			due = append(due, i)
		}
	}
	if err := r.opts.Store.ReplaceMarks(marks); err != nil {
		return fmt.Errorf("save marks: %w", err)
	}
	if err := r.pruneRefusals(res); err != nil {
		return err
	}

	block, err := r.blastRadius(len(due), res.InventorySize)
	if err != nil {
		return err
	}
	next := ActionWouldTerminate
	if block != nil {
		res.Status, res.Block, next = StatusBlocked, block, ActionBlocked
		r.log.Warn("cycle blocked by a safety limit", "run_id", res.RunID, "limit", block.Limit, "reason", block.Message, "due", len(due))
	}
	for _, i := range due {
		res.Entries[i].Action = next
	}
	return nil
}

// blastRadius returns the first safety limit the cycle trips, or nil. The fleet-drop limit holds
// even when nothing is due: a fleet that vanishes is news an operator must hear about.
func (r *Reconciler) blastRadius(due, inventory int) (*Block, error) {
	s := r.opts.Settings
	last, ok, err := r.opts.Store.LastCompleteInventory()
	if err != nil {
		return nil, err // the store's error names the read
	}
	if ok && last > 0 && float64(last-inventory)*100 > s.MaxFleetDropPercent*float64(last) {
		drop := float64(last-inventory) * 100 / float64(last)
		return &Block{Limit: LimitFleetDrop, Value: s.MaxFleetDropPercent, Observed: drop, Due: due,
			Message: fmt.Sprintf("inventory shrank from %d to %d instances (%.1f%%), more than max_fleet_drop_percent %g%%",
				last, inventory, drop, s.MaxFleetDropPercent)}, nil
	}
	if due > s.MaxTerminationsPerRun {
		return &Block{Limit: LimitPerRun, Value: float64(s.MaxTerminationsPerRun), Observed: float64(due), Due: due,
			Message: fmt.Sprintf("%d instances are due, more than max_terminations_per_run %d", due, s.MaxTerminationsPerRun)}, nil
	}
	if due > 0 && float64(due)*100 > s.MaxTerminationsPercent*float64(inventory) {
		pct := float64(due) * 100 / float64(inventory)
		return &Block{Limit: LimitPercent, Value: s.MaxTerminationsPercent, Observed: pct, Due: due,
			Message: fmt.Sprintf("%d of %d instances are due (%.1f%%), more than max_terminations_percent %g%%",
				due, inventory, pct, s.MaxTerminationsPercent)}, nil
	}
	return nil, nil
}

// pruneRefusals forgets refusals of instances that are no longer in the inventory.
func (r *Reconciler) pruneRefusals(res *Result) error {
	refusals, err := r.opts.Store.Refusals()
	if err != nil {
		return err // the store's error names the read
	}
	if len(refusals) == 0 {
		return nil
	}
	// A set of the refused IDs, not of the fleet's: refusals are few, the fleet may be 300,000
	// instances, and this runs at the peak of a cycle's memory (issue 14).
	gone := make(map[string]struct{}, len(refusals))
	for id := range refusals {
		gone[id] = struct{}{}
	}
	for i := range res.Entries {
		delete(gone, res.Entries[i].Instance.ID)
	}
	for _, id := range slices.Sorted(maps.Keys(gone)) {
		if err := r.opts.Store.DeleteRefusal(id); err != nil {
			return fmt.Errorf("forget refusal of %s: %w", id, err)
		}
	}
	return nil
}
