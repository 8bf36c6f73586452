package policy

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// liveHeap is the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCacheMemory measures the decision cache's live bytes per entry at 300,000 entries
// (a fleet's worth, 18-digit IDs): noted by a first call, analysed by the second (every entry
// replaced, its analysis shared), after a sweep, and imported from a saved cache; and the saved
// blob's bytes per entry. The fleet's IDs belong to the listing and are not counted. Run with
// -benchtime=1x.
func BenchmarkCacheMemory(b *testing.B) {
	const n = 300_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(900000000000000000 + i)
	}
	adds := make([]newEntry, n)
	for b.Loop() {
		before := liveHeap()
		c := newDecisionCache()
		v := begin(c, "g", benchNow)
		for i, id := range ids {
			adds[i] = newEntry{id: idHash(v.seed, id), sum: instanceSum{uint64(i), 1}}
		}
		c.add("g", v.epoch, adds)
		added := liveHeap()
		for i := range adds {
			adds[i].known = timeFree
		}
		c.add("g", v.epoch, adds)
		analysed := liveHeap()
		c.begin("g", benchNow.Add(time.Minute)) // a sweep that keeps every entry
		swept := liveHeap()
		blob, err := encodeCache(cacheFormat, "gen", c.key, 3, c.index, c.entries)
		if err != nil {
			b.Fatal(err)
		}
		c = nil
		withBlob := liveHeap()
		d, err := decodeCache("gen", make([]slot, 3), blob)
		if err != nil {
			b.Fatal(err)
		}
		imported := liveHeap()
		b.ReportMetric(float64(added-before)/n, "B/entry-noted")
		b.ReportMetric(float64(analysed-before)/n, "B/entry-analysed")
		b.ReportMetric(float64(swept-before)/n, "B/entry-swept")
		b.ReportMetric(float64(imported-withBlob)/n, "B/entry-imported")
		b.ReportMetric(float64(len(blob))/n, "blob-B/entry")
		runtime.KeepAlive(d)
		runtime.KeepAlive(blob)
	}
	runtime.KeepAlive(ids)
}
