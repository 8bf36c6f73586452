// Package migrate copies reaper's state from one backend to another: what `reaper state
// migrate --to postgres|bbolt` does, so that a team can move its bastions to a shared PostgreSQL
// state and, as easily, leave it again.
package migrate

import (
	"errors"
	"fmt"
	"slices"

	"github.com/reaper-bmc/reaper/internal/state"
)

// Result is what Copy copied.
type Result struct {
	Counts      []state.Count // records per kind, as the target holds them
	RunSeq      uint64        // the run sequence the target continues from
	LastRunTime bool          // whether a clock baseline was copied
}

// Copy copies everything in src into dst in one transaction of dst. dst must be empty: a store
// holding anything, even only a run sequence, is refused with a *state.NotEmptyError and left as
// it was. Afterwards Copy reads dst back and checks that it holds as many records of each kind
// as src, the same runs with the same sequence numbers, the same run sequence and the same clock
// baseline. src is only read; stop the reapers that write it first, or their later writes are not
// copied.
func Copy(dst, src state.Backend) (Result, error) {
	snap, err := src.Export()
	if err != nil {
		return Result{}, fmt.Errorf("read the source: %w", err)
	}
	// A source the previous version wrote, opened read-only, still has its savings ledger and
	// price cache in metadata: they are copied as the target keeps them (Import does the same).
	if snap, err = state.UpgradeSnapshot(snap); err != nil {
		return Result{}, fmt.Errorf("read the source: %w", err)
	}
	if err := dst.Import(snap); err != nil {
		return Result{}, fmt.Errorf("write the target: %w", err)
	}
	got, err := dst.Export()
	if err != nil {
		return Result{}, fmt.Errorf("verify the target: %w", err)
	}
	if err := verify(snap, got); err != nil {
		return Result{}, fmt.Errorf("verify the target: %w", err)
	}
	return Result{Counts: got.Counts(), RunSeq: got.RunSeq, LastRunTime: !got.LastRunTime.IsZero()}, nil
}

// verify compares what was copied with what the target holds.
func verify(want, got *state.Snapshot) error {
	var errs []error
	gc := got.Counts()
	for i, c := range want.Counts() {
		if gc[i].N != c.N {
			errs = append(errs, fmt.Errorf("%s: copied %d, the target holds %d", c.Kind, c.N, gc[i].N))
		}
	}
	if want.RunSeq != got.RunSeq {
		errs = append(errs, fmt.Errorf("run sequence: copied %d, the target has %d", want.RunSeq, got.RunSeq))
	}
	if !want.LastRunTime.Equal(got.LastRunTime) {
		errs = append(errs, fmt.Errorf("clock baseline: copied %v, the target has %v", want.LastRunTime, got.LastRunTime))
	}
	if !slices.Equal(want.Money.Totals, got.Money.Totals) {
		errs = append(errs, errors.New("savings ledger: the target's totals differ from the source's"))
	}
	runKey := func(r state.Run) string { return fmt.Sprintf("%d %s", r.Seq, r.ID) }
	if !slices.Equal(mapRuns(want.Runs, runKey), mapRuns(got.Runs, runKey)) {
		errs = append(errs, errors.New("runs: the target's runs or their sequence numbers differ"))
	}
	return errors.Join(errs...)
}

func mapRuns(runs []state.Run, f func(state.Run) string) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}
