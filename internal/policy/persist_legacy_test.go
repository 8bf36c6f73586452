package policy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
)

// legacyBlob rewrites blob, a format 2 cache, as format 1 wrote it: the generation of format 1
// and, per entry, the instance ID (ids, by ID hash) where format 2 has its hash.
func legacyBlob(t *testing.T, e *Engine, blob []byte, ids map[uint64]string) []byte {
	t.Helper()
	gen, err := e.cacheGeneration(legacyCacheFormat, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &blobReader{b: blob[len(cacheMagic)+2 : len(blob)-sha256.Size]}
	out := binary.LittleEndian.AppendUint16(append([]byte(nil), cacheMagic...), legacyCacheFormat)
	out = appendString(out, gen)
	r.string()
	out = append(out, r.bytes(cacheKeyBytes)...)
	out = binary.AppendUvarint(out, r.uvarint()) // slots
	nbases := r.uvarint()
	out = binary.AppendUvarint(out, nbases)
	for range nbases {
		out = appendString(out, r.string())
	}
	n := r.uvarint()
	out = binary.AppendUvarint(out, n)
	for range n {
		h := binary.LittleEndian.Uint64(r.bytes(8))
		id, ok := ids[h]
		if !ok {
			t.Fatalf("no ID for hash %016x", h)
		}
		out = appendString(out, id)
		out = append(out, r.bytes(16)...)
		kind := r.bytes(1)
		out = append(out, kind...)
		if len(kind) == 1 && kind[0] == kindKnown {
			out = binary.AppendUvarint(binary.AppendUvarint(out, r.uvarint()), r.uvarint())
		}
	}
	if r.err != nil || len(r.b) > 0 {
		t.Fatalf("rewrite a format 2 blob: %v, %d bytes left", r.err, len(r.b))
	}
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// idsOf maps the ID hashes of e's cache to the IDs of fleet.
func idsOf(e *Engine, fleet []Instance) map[uint64]string {
	seed := idSeed(&e.cache.key)
	ids := map[uint64]string{}
	for _, in := range fleet {
		ids[idHash(seed, in.ID)] = in.ID
	}
	return ids
}

// TestPersistedCacheLegacyFormat: a cache saved in format 1 (instance IDs) is imported, its IDs
// hashed: the same entries under the same ID hashes, served from the first call, every
// decision equal to an engine's without a cache; the next export writes format 2, smaller.
func TestPersistedCacheLegacyFormat(t *testing.T) {
	ctx := context.Background()
	e := restartCold(t, nil)
	ref := uncached(t, e)
	fleet := syntheticFleet(400)
	for range 2 {
		if _, err := e.Evaluate(ctx, benchNow, nil, fleet); err != nil {
			t.Fatal(err)
		}
	}
	blob := export(t, e, nil)
	old := legacyBlob(t, e, blob, idsOf(e, fleet))
	t.Logf("%d entries: format 2 %d bytes (%.1f an entry), format 1 %d bytes (%.1f an entry)", len(fleet),
		len(blob), float64(len(blob))/float64(len(fleet)), len(old), float64(len(old))/float64(len(fleet)))
	if len(blob) >= len(old) {
		t.Fatalf("format 2 blob of %d bytes, format 1 %d: not smaller", len(blob), len(old))
	}
	fresh := restart(t, nil, old)
	if got, want := cacheServed(fresh), cacheServed(e); got != want || len(fresh.cache.index) != len(e.cache.index) {
		t.Fatalf("imported %d analysed entries of %d indexed, want %d of %d", got, len(fresh.cache.index), want, len(e.cache.index))
	}
	for h := range e.cache.index {
		if _, ok := fresh.cache.index[h]; !ok {
			t.Fatalf("ID hash %016x not imported", h)
		}
	}
	for step, at := range []time.Time{benchNow, benchNow.Add(time.Hour), benchNow.Add(40 * 24 * time.Hour)} {
		got, err := fresh.Evaluate(ctx, at, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ref.Evaluate(ctx, at, nil, fleet)
		sameDecisions(t, fmt.Sprintf("step %d", step), got, want)
	}
	gen, again, err := fresh.ExportCache(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := blobFormat(again); f != cacheFormat || gen != must(t, fresh.CacheGeneration) {
		t.Fatalf("re-exported as format %d, generation %q", f, gen)
	}
	// What format 1 may not say is refused as in format 2.
	seed := idSeed(&e.cache.key)
	for name, tc := range map[string]struct {
		blob []byte
		why  string
	}{
		"an ID twice": {legacyBlob(t, e, mustEncode(t, e, map[uint64]int32{1: 0, 2: 1}, 2), map[uint64]string{1: "i-1", 2: "i-1"}), "twice"},
		"terminate base": {legacyBlob(t, e, mustEncode(t, e, map[uint64]int32{idHash(seed, "i-1"): 0}, 1, analysis{decision: &Decision{
			Terminate: []Reason{{Policy: e.set.slots[0].policy, Reason: "expired"}}}}), map[uint64]string{idHash(seed, "i-1"): "i-1"}), "terminate"},
		"format 1 under the format 2 generation": {reseal([]byte(strings.Replace(string(old),
			fmt.Sprintf("format %d/", legacyCacheFormat), fmt.Sprintf("format %d/", cacheFormat), 1))), "another generation"},
	} {
		t.Run(name, func(t *testing.T) {
			fresh := restartCold(t, nil)
			if _, err := fresh.ImportCache(nil, tc.blob); err == nil || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("import: %v, want an error about %q", err, tc.why)
			}
			if len(fresh.cache.index) != 0 {
				t.Fatal("a refused blob left entries")
			}
		})
	}
	// Two IDs with one hash cannot both be indexed: the blob is refused (a cold cycle).
	collideIDs(t)
	if _, err := restartCold(t, nil).ImportCache(nil, old); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("import of IDs that hash alike: %v", err)
	}
}

// mustEncode is a format 2 blob of n entries (known: their analyses, the others seen once).
func mustEncode(t *testing.T, e *Engine, index map[uint64]int32, n int, known ...analysis) []byte {
	t.Helper()
	gen, _ := e.CacheGeneration(nil)
	entries := make([]cacheEntry, n)
	for i := range known {
		entries[i].known = &known[i]
	}
	b, err := encodeCache(cacheFormat, gen, e.cache.key, len(e.set.slots), index, entries)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// must is gen(nil), which must not fail.
func must(t *testing.T, gen func(map[string]any) (string, error)) string {
	t.Helper()
	g, err := gen(nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
