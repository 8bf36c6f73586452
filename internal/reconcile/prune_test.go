package reconcile

import (
	"slices"
	"testing"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestRefusalsOfVanishedInstancesForgotten: a cycle forgets the refusals (commitment,
// subscription) of instances no longer in the inventory, and keeps those of instances still
// listed; with none stored it deletes nothing.
func TestRefusalsOfVanishedInstancesForgotten(t *testing.T) {
	fleet := []zen.Instance{inst("a", withTag("doomed", "no")), inst("b", withTag("doomed", "no"))}
	h := newHarness(t, fleet, nil)
	for _, id := range []string{"a", "gone-1", "gone-2"} {
		h.store.refusals[id] = state.Refusal{InstanceID: id, Kind: state.RefusalCommitment, LearnedAt: t0}
	}
	if res := h.cycle(t, true); res.Err != nil {
		t.Fatalf("cycle: %v", res.Err)
	}
	var left []string
	for id := range h.store.refusals {
		left = append(left, id)
	}
	slices.Sort(left)
	if want := []string{"a"}; !slices.Equal(left, want) {
		t.Errorf("refusals after the cycle: %v, want %v", left, want)
	}
	if res := h.cycle(t, true); res.Err != nil {
		t.Fatalf("second cycle: %v", res.Err)
	}
	if _, ok := h.store.refusals["a"]; !ok {
		t.Error("the refusal of a listed instance was forgotten")
	}
}
