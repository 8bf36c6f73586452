package statetest

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/state"
)

// The decision cache's cases join the suite here, in their own file, so that they stay apart
// from the other kinds' cases.
func init() {
	cases = append(cases,
		struct {
			name string
			fn   func(*testing.T, *env)
		}{"DecisionCacheRoundTrip", testDecisionCacheRoundTrip},
		struct {
			name string
			fn   func(*testing.T, *env)
		}{"DecisionCacheNotInSnapshot", testDecisionCacheNotInSnapshot},
	)
}

// testDecisionCacheRoundTrip: a saved blob comes back byte for byte, only for its generation,
// across a reopen; a save replaces the blob of any other generation; what cannot be saved is
// refused and keeps the old blob.
func testDecisionCacheRoundTrip(t *testing.T, e *env) {
	s := e.store(Options{})
	if _, found, err := s.DecisionCache("g1"); err != nil || found {
		t.Fatalf("a fresh store: found %v, %v; want none", found, err)
	}
	big := make([]byte, 6<<20) // a 100k fleet's cache is a few MB
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	big[0], big[len(big)-1] = 0, 0
	ok(t, s.PutDecisionCache("g1", big))
	check := func(what string, b state.Backend, gen string, want []byte) {
		t.Helper()
		got, found, err := b.DecisionCache(gen)
		if err != nil || found != (want != nil) || !bytes.Equal(got, want) {
			t.Fatalf("%s: DecisionCache(%q) = %d bytes, found %v, %v; want %d bytes", what, gen, len(got), found, err, len(want))
		}
	}
	check("saved", s, "g1", big)
	check("another generation", s, "g2", nil)
	check("a prefix of the generation", s, "g", nil)
	closeStore(t, s)
	s = e.store(Options{})
	check("after reopen", s, "g1", big)

	ok(t, s.PutDecisionCache("g2", []byte{1, 2, 3}))
	check("replaced", s, "g2", []byte{1, 2, 3})
	check("the replaced generation", s, "g1", nil)

	for name, bad := range map[string]struct {
		gen  string
		blob []byte
	}{
		"empty generation": {"", []byte{1}},
		"empty blob":       {"g3", nil},
		"long generation":  {strings.Repeat("g", state.MaxDecisionCacheGeneration+1), []byte{1}},
	} {
		if err := s.PutDecisionCache(bad.gen, bad.blob); err == nil {
			t.Errorf("%s: saved", name)
		}
	}
	check("after refused saves", s, "g2", []byte{1, 2, 3})
}

// testDecisionCacheNotInSnapshot: the decision cache is derived data: Export leaves it out, a
// store that holds only it is empty for Import, and the target of an import starts cold.
func testDecisionCacheNotInSnapshot(t *testing.T, e *env) {
	s := e.store(Options{})
	ok(t, s.SetMeta("k", "v"))
	ok(t, s.PutDecisionCache("g1", []byte("blob")))
	snap := must(s.Export())(t)
	o := e.other(Options{})
	ok(t, o.PutDecisionCache("g0", []byte("other")))
	ok(t, o.Import(snap))
	if _, found, err := o.DecisionCache("g1"); err != nil || found {
		t.Fatalf("an imported store has the source's decision cache: %v, %v", found, err)
	}
	if v, _, _ := o.Meta("k"); v != "v" {
		t.Fatalf("import lost meta: %q", v)
	}
}
