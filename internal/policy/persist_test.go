package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

// restart is a new Engine over the bundled policies, as a restarted daemon or a one-shot plan
// loads it, warmed from blob.
func restart(t *testing.T, params map[string]any, blob []byte) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportCache(params, blob); err != nil {
		t.Fatalf("import: %v", err)
	}
	return e
}

// export is e's cache for params as a blob.
func export(t *testing.T, e *Engine, params map[string]any) []byte {
	t.Helper()
	gen, blob, err := e.ExportCache(params)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if _, _, err := e.ExportCache(params); err != nil {
		t.Fatalf("a second export before the first was saved: %v", err)
	}
	e.CacheSaved()
	if _, _, err := e.ExportCache(params); !errors.Is(err, ErrCacheUnchanged) {
		t.Fatalf("a second export of an unchanged cache: %v, want ErrCacheUnchanged", err)
	}
	if want, _ := e.CacheGeneration(params); gen != want {
		t.Fatalf("export gave generation %q, want %q", gen, want)
	}
	return blob
}

// save is what a cycle does after it ran: it exports e's cache into *stored, unless nothing
// changed since the last export or import (then the store keeps what it has).
func save(t *testing.T, e *Engine, params map[string]any, stored *[]byte) {
	t.Helper()
	_, blob, err := e.ExportCache(params)
	switch {
	case errors.Is(err, ErrCacheUnchanged):
		if *stored == nil {
			t.Fatal("an unchanged cache that was never saved")
		}
	case err != nil:
		t.Fatalf("export: %v", err)
	default:
		*stored = blob
		e.CacheSaved()
	}
}

// TestPersistedCacheMatchesEvaluation is the proof of the persisted cache: over a randomized
// fleet advanced in time, with a fraction changed at each step, an engine that is restarted
// from the exported cache (at every step, after some of its calls) serves from its first
// call, and every decision equals the decision of an engine without a cache.
func TestPersistedCacheMatchesEvaluation(t *testing.T) {
	for _, tc := range []struct {
		seed   uint64
		params map[string]any
	}{{1, nil}, {2, testParams}, {4, nil}} {
		t.Run(fmt.Sprintf("seed=%d", tc.seed), func(t *testing.T) {
			params := tc.params
			e, err := Load(context.Background(), Options{FS: policies.FS})
			if err != nil {
				t.Fatal(err)
			}
			ref := uncached(t, e)
			r := rand.New(rand.NewPCG(tc.seed, 7))
			now := testNow
			fleet := make([]Instance, 600)
			for i := range fleet {
				fleet[i] = randomInstance(r, fmt.Sprintf("i-%d", i), now)
			}
			steps := []time.Duration{0, 0, time.Second, time.Minute, 30 * time.Minute, 6 * time.Hour,
				-time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 8 * 24 * time.Hour, 30 * 24 * time.Hour}
			servedFirst := 0
			var stored []byte
			for n, step := range steps {
				now = now.Add(step)
				if n > 1 {
					for i := range fleet {
						if r.IntN(20) == 0 {
							mutate(r, &fleet[i], now)
						}
					}
				}
				// Restart before the step's first call (odd steps) or between its calls.
				for call := range 2 {
					if (n%2 == 1) == (call == 0) && n > 0 {
						before := cacheServed(e)
						e = restart(t, params, stored)
						if got := cacheServed(e); got != before {
							t.Fatalf("step %d: the restarted engine has %d analysed entries, the exported one %d", n, got, before)
						}
					}
					restarted := cacheServed(e)
					got, err := e.Evaluate(context.Background(), now, params, fleet)
					if err != nil {
						t.Fatal(err)
					}
					want, err := ref.Evaluate(context.Background(), now, params, fleet)
					if err != nil {
						t.Fatal(err)
					}
					sameDecisions(t, fmt.Sprintf("step %d (%v later), call %d", n, step, call), got, want)
					save(t, e, params, &stored)
					if n > 1 && cacheServed(e) < restarted*8/10 {
						t.Fatalf("step %d: %d analysed entries before the call, %d after: the imported entries were not used", n, restarted, cacheServed(e))
					}
					if n > 1 {
						servedFirst += restarted
					}
				}
			}
			if servedFirst < len(fleet)*len(steps)/10 {
				t.Fatalf("restarted engines had %d analysed entries over %d steps of %d instances: not exercised", servedFirst, len(steps), len(fleet))
			}
		})
	}
}

// TestPersistedSightingCounts: a one-shot plan that only noted the fleet leaves a cache in
// which the next process's first call analyses (the second sighting) and its second serves.
func TestPersistedSightingCounts(t *testing.T) {
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	ref := uncached(t, e)
	fleet := syntheticFleet(500)
	var stored []byte
	for run := range 3 {
		got, err := e.Evaluate(context.Background(), benchNow, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ref.Evaluate(context.Background(), benchNow, nil, fleet)
		sameDecisions(t, fmt.Sprintf("run %d", run), got, want)
		served := cacheServed(e)
		if run == 0 && served != 0 {
			t.Fatalf("run 0: %d entries analysed on the first sighting", served)
		}
		if run > 0 && served < len(fleet)/2 {
			t.Fatalf("run %d: %d of %d entries analysed: the persisted sighting did not count", run, served, len(fleet))
		}
		save(t, e, nil, &stored)
		e = restart(t, nil, stored)
	}
}

// TestExportCacheUnchanged: a cache is exported again only when its entries changed since it
// was last exported or imported.
func TestExportCacheUnchanged(t *testing.T) {
	e := restartCold(t, nil)
	fleet := syntheticFleet(300)
	evaluate := func(now time.Time) {
		t.Helper()
		if _, err := e.Evaluate(context.Background(), now, nil, fleet); err != nil {
			t.Fatal(err)
		}
	}
	evaluate(benchNow)
	evaluate(benchNow)
	blob := export(t, e, nil) // and a second export is refused as unchanged
	evaluate(benchNow.Add(time.Minute))
	if _, _, err := e.ExportCache(nil); !errors.Is(err, ErrCacheUnchanged) {
		t.Fatalf("export after a cycle that changed nothing: %v", err)
	}
	fleet[7].Tags = map[string]string{"reaper-ttl": "1h"}
	evaluate(benchNow.Add(2 * time.Minute))
	if _, _, err := e.ExportCache(nil); err != nil {
		t.Fatalf("export after an instance changed: %v", err)
	}
	fresh := restart(t, nil, blob)
	if _, _, err := fresh.ExportCache(nil); !errors.Is(err, ErrCacheUnchanged) {
		t.Fatalf("export right after an import: %v", err)
	}
}

// reseal replaces the checksum at the end of blob by the right one for its (edited) body.
func reseal(blob []byte) []byte {
	body := blob[:len(blob)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(append([]byte(nil), body...), sum[:]...)
}

// TestPersistedCacheRejected: a blob that is truncated, corrupt, of another format, generation
// (policies, params, reaper build) or that says what the analysis never writes is refused
// with a reason, and the engine stays cold and exact.
func TestPersistedCacheRejected(t *testing.T) {
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	ref := uncached(t, e)
	fleet := syntheticFleet(400)
	for range 2 {
		if _, err := e.Evaluate(context.Background(), benchNow, nil, fleet); err != nil {
			t.Fatal(err)
		}
	}
	good := export(t, e, nil)
	gen, _ := e.CacheGeneration(nil)
	slots := len(e.set.slots)
	exemptSlot := -1
	for i, s := range e.set.slots {
		if s.set == setExempt {
			exemptSlot = i
		}
	}
	seed := idSeed(&e.cache.key)
	withEntries := func(entries []cacheEntry, ids ...string) []byte {
		index := map[uint64]int32{}
		for i, id := range ids {
			index[idHash(seed, id)] = int32(i)
		}
		blob, err := encodeCache(cacheFormat, gen, e.cache.key, slots, index, entries)
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	exempt := &Decision{Exempt: []Reason{{Policy: e.set.slots[exemptSlot].policy, Reason: "kept"}}}
	cases := map[string]struct {
		blob []byte
		why  string
	}{
		"empty":     {nil, "not a decision cache"},
		"truncated": {good[:len(good)/2], "checksum"},
		"short":     {good[:len(cacheMagic)+5], "truncated"},
		"corrupt":   {func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 1; return b }(), "checksum"},
		"format": {func() []byte {
			index := map[uint64]int32{}
			b, _ := encodeCache(cacheFormat+1, gen, e.cache.key, slots, index, nil)
			return b
		}(), "format"},
		"terminate base": {withEntries([]cacheEntry{{known: &analysis{decision: &Decision{
			Terminate: []Reason{{Policy: e.set.slots[0].policy, Reason: "expired"}}}}}}, "i-1"), "terminate"},
		"mask out of range": {withEntries([]cacheEntry{{known: &analysis{mask: 1 << slots}}}, "i-1"), "mask"},
		"base in mask":      {withEntries([]cacheEntry{{known: &analysis{mask: 1 << exemptSlot, decision: exempt}}}, "i-1"), "mask evaluates"},
		"full mask base":    {withEntries([]cacheEntry{{known: &analysis{mask: fullMask, decision: exempt}}}, "i-1"), "mask evaluates"},
		"foreign reason": {withEntries([]cacheEntry{{known: &analysis{decision: &Decision{
			Exempt: []Reason{{Policy: "reaper.nowhere", Reason: "kept"}}}}}}, "i-1"), "cannot give"},
		"duplicate": {reseal(bytes.Replace(withEntries([]cacheEntry{{}, {}}, "i-1", "i-2"),
			binary.LittleEndian.AppendUint64(nil, idHash(seed, "i-2")), binary.LittleEndian.AppendUint64(nil, idHash(seed, "i-1")), 1)), "twice"},
		"kind": {func() []byte {
			b := withEntries([]cacheEntry{{}}, "i-1")
			b[len(b)-sha256.Size-1] = 7
			return reseal(b)
		}(), "kind"},
		"trailing": {reseal(append(append(bytes.Clone(good[:len(good)-sha256.Size]), 0, 0, 0), make([]byte, sha256.Size)...)), "after the last entry"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fresh, err := Load(context.Background(), Options{FS: policies.FS})
			if err != nil {
				t.Fatal(err)
			}
			_, err = fresh.ImportCache(nil, tc.blob)
			if err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("import: %v, want an error about %q", err, tc.why)
			}
			if len(fresh.cache.index) != 0 {
				t.Fatal("a refused blob left entries")
			}
			got, err := fresh.Evaluate(context.Background(), benchNow, nil, fleet)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ref.Evaluate(context.Background(), benchNow, nil, fleet)
			sameDecisions(t, name, got, want)
		})
	}
	// Every truncation is refused.
	for n := 0; n < len(good); n += 1 + len(good)/97 {
		fresh := &Engine{opts: e.opts, logger: e.logger, set: e.set, cache: newDecisionCache()}
		if _, err := fresh.ImportCache(nil, good[:n]); err == nil {
			t.Fatalf("a blob cut at %d of %d bytes was imported", n, len(good))
		}
	}
	// The good blob is accepted, once.
	fresh := restart(t, nil, good)
	if _, err := fresh.ImportCache(nil, good); err == nil {
		t.Fatal("a second import into a filled cache was accepted")
	}
}

// TestPersistedCacheGeneration: a blob is bound to the params, the policies and the reaper
// build; any other is refused, and a cache with another generation exports nothing.
func TestPersistedCacheGeneration(t *testing.T) {
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	fleet := syntheticFleet(200)
	for range 2 {
		if _, err := e.Evaluate(context.Background(), benchNow, nil, fleet); err != nil {
			t.Fatal(err)
		}
	}
	blob := export(t, e, nil)
	if _, _, err := e.ExportCache(testParams); err == nil {
		t.Fatal("exported a cache for params it holds no decisions of")
	}

	other := restartCold(t, nil)
	if _, err := other.ImportCache(testParams, blob); err == nil || !strings.Contains(err.Error(), "another generation") {
		t.Fatalf("import under other params: %v", err)
	}
	custom := loadPolicies(t, map[string]string{"p.rego": src("package reaper.p", "exempt contains \"x\" if input.instance.status == \"RUNNING\"")})
	if _, err := custom.ImportCache(nil, blob); err == nil || !strings.Contains(err.Error(), "another generation") {
		t.Fatalf("import under other policies: %v", err)
	}
	saved := binaryIdentity
	t.Cleanup(func() { binaryIdentity = saved })
	binaryIdentity = func() (string, error) { return "another-build", nil }
	if _, err := restartCold(t, nil).ImportCache(nil, blob); err == nil || !strings.Contains(err.Error(), "another generation") {
		t.Fatalf("import under another reaper build: %v", err)
	}
	binaryIdentity = saved
	if _, err := restartCold(t, nil).ImportCache(nil, blob); err != nil {
		t.Fatalf("import under the same build: %v", err)
	}
	// The hash is the same in every process for the same key, and another key gives another.
	var h instanceHasher
	a, b := newDecisionCache(), newDecisionCache()
	in := fleet[3]
	if h.sum(&a.key, &in) != h.sum(&a.key, &in) || h.sum(&a.key, &in) == h.sum(&b.key, &in) {
		t.Fatal("the instance hash is not a function of key and fields")
	}
}

// restartCold is a new Engine over the bundled policies with an empty cache.
func restartCold(t *testing.T, _ map[string]any) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
