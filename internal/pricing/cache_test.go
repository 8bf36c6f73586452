package pricing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/state"
)

// noPrune is the real store, whose pruning fails: stale entries stay in it.
type noPrune struct{ *state.Store }

func (noPrune) PrunePrices(time.Time, int) (int, error) { return 0, errors.New("prune refused") }

// TestStaleCacheEntriesUnused: when the cache could not be pruned, an expired bill entry is read
// again, and the entries of another month are never the figure of this one.
func TestStaleCacheEntriesUnused(t *testing.T) {
	w := newWorld(t)
	p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, w.client(t, "AKID"), noPrune{newStore(t)}, w.clock.now, nil)
	got, _ := costsByID(t, p, context.Background(), fleet)
	if s := show(got["A"]); s != "bill 93.260000" {
		t.Fatalf("A: %s, want bill 93.260000", s)
	}
	w.clock.t = w.clock.t.Add(25 * time.Hour) // past refresh, not pruned
	calls := w.calls("DescribeBillDetail")
	got, warns := costsByID(t, p, context.Background(), fleet)
	if n := w.calls("DescribeBillDetail") - calls; n != 1 {
		t.Errorf("after refresh: %d bill calls, want 1 (the expired entries read again)", n)
	}
	if s := show(got["A"]); s != "bill 93.260000" {
		t.Errorf("A after refresh: %s, want bill 93.260000", s)
	}
	if len(warns) == 0 || !strings.HasPrefix(warns[len(warns)-1], "price cache: 1 read or write failed (first: prune refused)") {
		t.Errorf("warnings %q, want the failed prune last", warns)
	}

	// October's entries, not expired (a refresh of 30 days) and not pruned, are not November's.
	w = newWorld(t)
	p = pricing.New(pricing.Config{Bills: true, Refresh: 30 * 24 * time.Hour}, w.client(t, "AKID"), noPrune{newStore(t)}, w.clock.now, nil)
	if got, _ := costsByID(t, p, context.Background(), fleet); show(got["A"]) != "bill 93.260000" {
		t.Fatalf("A: %s, want bill 93.260000", show(got["A"]))
	}
	w.clock.t = time.Date(2026, 12, 1, 0, 0, 1, 0, time.UTC) // November is the last full month
	calls = w.calls("DescribeBillDetail")
	got, _ = costsByID(t, p, context.Background(), fleet)
	if n := w.calls("DescribeBillDetail") - calls; n != 1 {
		t.Errorf("in December: %d bill calls, want 1 (November's bill)", n)
	}
	if s := show(got["A"]); s != "list 963.600000" {
		t.Errorf("A in December: %s, want its list price (no November line; October's entry is not November's)", s)
	}
}
