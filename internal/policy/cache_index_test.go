package policy

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

// collideIDs makes every instance ID hash alike for the rest of the test.
func collideIDs(t *testing.T) {
	t.Helper()
	saved := idHash
	t.Cleanup(func() { idHash = saved })
	idHash = func(uint64, string) uint64 { return 42 }
}

// TestDecisionCacheIDHashCollision: the index knows instances by a 64-bit hash of their ID
// only. Two instances whose IDs hash alike, one exempt (its analysis served from the cache)
// and one to terminate, each get their own decision on every call, in memory and after a
// restart from the saved cache: the entry's instanceSum, which covers the ID, tells them
// apart, so the colliding instance misses and is evaluated in full.
func TestDecisionCacheIDHashCollision(t *testing.T) {
	collideIDs(t)
	ctx := context.Background()
	e, err := Load(ctx, Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	ref := uncached(t, e)
	kept := instance("i-kept", 90*24*time.Hour, map[string]string{"reaper-keep": "true"})
	doomed := instance("i-doomed", 90*24*time.Hour, map[string]string{"reaper-expires-at": "2026-11-01"})
	check := func(step string, now time.Time, fleet []Instance) {
		t.Helper()
		got, err := e.Evaluate(ctx, now, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Evaluate(ctx, now, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		sameDecisions(t, step, got, want)
		for i, d := range got {
			switch fleet[i].ID {
			case kept.ID:
				if len(d.Exempt) == 0 {
					t.Fatalf("%s: %s is not exempt: %+v", step, kept.ID, d)
				}
			case doomed.ID:
				if len(d.Terminate) == 0 || len(d.Exempt) > 0 {
					t.Fatalf("%s: %s, to terminate, got %+v", step, doomed.ID, d)
				}
			}
		}
	}
	// The exempt instance alone, twice: its analysis is in the cache and served.
	check("kept, first sighting", benchNow, []Instance{kept})
	check("kept, analysed", benchNow, []Instance{kept})
	if cacheServed(e) != 1 || len(e.cache.index) != 1 {
		t.Fatalf("setup: %d analysed entries, %d indexed; want the exempt instance's analysis", cacheServed(e), len(e.cache.index))
	}
	// The instance to terminate finds the exempt one's entry under its ID hash.
	now := benchNow
	for step, d := range []time.Duration{0, 0, time.Minute, time.Hour, 24 * time.Hour} {
		now = now.Add(d)
		check("both, in memory", now, []Instance{doomed, kept})
		if step == 0 {
			check("doomed first", now, []Instance{doomed})
		}
	}
	if len(e.cache.index) != 1 {
		t.Fatalf("%d ID hashes indexed, want the one both share", len(e.cache.index))
	}
	// Restarted from the saved cache, whichever of the two it holds.
	for _, fleet := range [][]Instance{{kept}, {doomed}} {
		check("saved after", now, fleet)
		check("saved after", now, fleet)
		blob := export(t, e, nil)
		e = restart(t, nil, blob)
		check("restarted", now, []Instance{doomed, kept})
		check("restarted", now.Add(time.Minute), []Instance{kept, doomed})
	}
}

// begin is what a call does first: begin at now with gen, then take its view.
func begin(dc *decisionCache, gen string, now time.Time) cacheView {
	dc.begin(gen, now)
	v, ok := dc.view(gen)
	if !ok {
		panic("no view right after begin")
	}
	return v
}

// TestDecisionCacheViewOfOverlappingCalls: calls of one Engine may overlap, and each lets go
// of the cache's lock between begin and its evaluation. Another call may add entries (and
// sweep) in between: the view a call takes under its read lock sees every entry, each the
// instance's own. On the code before, which kept a view taken at begin, the lookup of an
// entry another call added meanwhile indexed past the view's entries and panicked.
func TestDecisionCacheViewOfOverlappingCalls(t *testing.T) {
	dc := newDecisionCache()
	seed := idSeed(&dc.key)
	entry := func(id string) newEntry { return newEntry{id: idHash(seed, id), sum: instanceSum{idHash(seed, id), 1}} }
	v := begin(dc, "g", testNow)
	dc.add("g", v.epoch, []newEntry{entry("old")})
	for i := 1; i <= cacheKeepEpochs; i++ { // "old" goes stale at the next epoch
		begin(dc, "g", testNow.Add(time.Duration(i)*time.Minute))
	}
	later := testNow.Add(time.Hour)
	dc.begin("g", later) // call A begins (and sweeps "old" out)...
	b := begin(dc, "g", later)
	dc.add("g", b.epoch, []newEntry{entry("a"), entry("b")}) // ...call B runs whole...
	a, ok := dc.view("g")                                    // ...and A evaluates
	if !ok {
		t.Fatal("call A has no view")
	}
	for _, id := range []string{"a", "b"} {
		e := a.lookup(entry(id).id, entry(id).sum)
		if e == nil || e.sum != entry(id).sum {
			t.Fatalf("call A's lookup of %s: %+v", id, e)
		}
	}
	if e := a.lookup(entry("old").id, entry("old").sum); e != nil {
		t.Fatal("a swept entry was found")
	}
}

// TestDecisionCacheEntriesSized: a fleet's first call leaves room for exactly its entries, and
// the second, which replaces every one with its analysis, grows nothing.
func TestDecisionCacheEntriesSized(t *testing.T) {
	dc := newDecisionCache()
	v := begin(dc, "g", testNow)
	adds := make([]newEntry, 1000)
	for i := range adds {
		adds[i] = newEntry{id: uint64(i), sum: instanceSum{uint64(i)}}
	}
	dc.add("g", v.epoch, adds)
	if len(dc.entries) != len(adds) || cap(dc.entries) != len(adds) {
		t.Fatalf("first call: %d entries in room for %d, want %d in %d", len(dc.entries), cap(dc.entries), len(adds), len(adds))
	}
	for i := range adds {
		adds[i].known = timeFree
	}
	dc.add("g", v.epoch, adds)
	if len(dc.entries) != len(adds) || cap(dc.entries) != len(adds) || cacheServedIn(dc) != len(adds) {
		t.Fatalf("second call: %d entries in room for %d, want %d analysed in %d", len(dc.entries), cap(dc.entries), len(adds), len(adds))
	}
}

// cacheServedIn counts dc's analysed entries.
func cacheServedIn(dc *decisionCache) int {
	n := 0
	for i := range dc.entries {
		if dc.entries[i].known != nil {
			n++
		}
	}
	return n
}
