package statetest

import (
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/state"
)

// testPricingMeta: the price cache and the savings ledger (internal/pricing) live in metadata under
// "pricing/…" and "savings/…" keys with JSON values, a ledger bucket growing with the instances it
// counts. Every backend keeps such keys and values exactly, across a reopen and through
// Export/Import (state migrate).
func testPricingMeta(t *testing.T, e *env) {
	s := e.store(Options{})
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = `"9453456727128204` + strings.Repeat("0", 2) + string(rune('0'+i%10)) + `"`
	}
	want := map[string]string{
		"pricing/bill/945345672712820433":             `{"month":202610,"monthly":93.260000,"fetched_at":"2026-11-05T00:00:00Z"}`,
		"pricing/list/SEL-A/M6C/POSTPAID/ByBandwidth": `{"monthly":null,"fetched_at":"2026-11-05T00:00:00Z","expires":"2026-11-06T00:00:00Z"}`,
		"savings/index":                                 `[{"policy":"reaper.idle","month":202611,"amount":0.000000}]`,
		"savings/202611/reaper.idle":                    `{"total":193.260000,"instances":[` + strings.Join(ids, ",") + `]}`,
		"pricing/list/ü-zone/type with space/PREPAID/x": `{}`,
	}
	for k, v := range want {
		ok(t, s.SetMeta(k, v))
	}
	check := func(what string, b state.Backend) {
		t.Helper()
		for k, v := range want {
			got, found, err := b.Meta(k)
			if err != nil || !found || got != v {
				t.Errorf("%s: Meta(%q) = %.60q, %v, %v; want the value written", what, k, got, found, err)
			}
		}
	}
	check("written", s)
	snap := must(s.Export())(t)
	closeStore(t, s)
	s = e.store(Options{})
	check("after reopen", s)
	o := e.other(Options{})
	ok(t, o.Import(snap))
	check("imported", o)
}
