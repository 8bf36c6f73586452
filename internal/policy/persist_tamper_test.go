package policy

import (
	"context"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

// TestTamperedCacheCannotDropAnExemption: a saved cache is whole behind its checksum, but anyone
// who can write the state can re-encode one. A blob whose entry keeps the time-dependent expiry
// slot and drops the keep exemption from its base passes every check of the decoder; the engine
// must still never serve a reason to terminate from it without the exemption a full evaluation
// gives (analysis.imported), in either format it reads. Found by review: it served the
// termination before.
func TestTamperedCacheCannotDropAnExemption(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	in := Instance{ID: "i-kept", Name: "kept", Status: "RUNNING", ChargeType: "POSTPAID", CreatedAt: benchNow.Add(-90 * 24 * time.Hour),
		Tags:    map[string]string{"reaper-keep": "true", "reaper-expires-at": "2026-11-01"},
		TagList: []Tag{{Key: "reaper-keep", Value: "true"}, {Key: "reaper-expires-at", Value: "2026-11-01"}}}
	var want []Decision
	for range 2 { // the second sighting analyses the instance
		if want, err = e.Evaluate(ctx, benchNow, nil, []Instance{in}); err != nil {
			t.Fatal(err)
		}
	}
	if len(want[0].Exempt) == 0 || len(want[0].Terminate) == 0 {
		t.Fatalf("setup: want an exempted instance with a reason to terminate, got %+v", want[0])
	}
	gen, err := e.CacheGeneration(nil)
	if err != nil {
		t.Fatal(err)
	}
	kept := idHash(idSeed(&e.cache.key), "i-kept")
	ent := &e.cache.entries[e.cache.index[kept]]
	if ent.known == nil || ent.known.mask == 0 || ent.known.decision == nil {
		t.Fatalf("setup: want an analysis with a mask and a base, got %+v", ent.known)
	}
	tampered := []cacheEntry{{sum: ent.sum, known: &analysis{mask: ent.known.mask}}} // the base dropped
	blob, err := encodeCache(cacheFormat, gen, e.cache.key, len(e.set.slots), map[uint64]int32{kept: 0}, tampered)
	if err != nil {
		t.Fatal(err)
	}
	for format, blob := range map[int][]byte{cacheFormat: blob} {
		fresh, err := Load(ctx, Options{FS: policies.FS})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.ImportCache(nil, blob); err != nil {
			t.Logf("format %d: the blob was refused, which is also safe: %v", format, err)
		}
		for _, at := range []time.Time{benchNow, benchNow.Add(time.Hour)} {
			got, err := fresh.Evaluate(ctx, at, nil, []Instance{in})
			if err != nil {
				t.Fatal(err)
			}
			if len(got[0].Terminate) > 0 && len(got[0].Exempt) == 0 {
				t.Fatalf("format %d at %v: served terminate %v with no exemption; a full evaluation exempts (%v)", format, at, got[0].Terminate, want[0].Exempt)
			}
		}
	}
}
