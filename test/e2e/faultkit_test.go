package e2e_test

import (
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// Environment variables of the reliability suites (make reliability, make reliability-long).
const (
	envLong = "REAPER_LONG" // non-empty: the long version (more iterations, more seeds)
	envSeed = "REAPER_SEED" // replays a logged seed
)

// shortSeed is the seed of the short version, so that CI runs the same schedule every time.
const shortSeed = 20261126

// long reports whether the long version of the reliability suites was asked for.
func long() bool { return os.Getenv(envLong) != "" }

// testSeed returns the seed of a randomised test and logs it: REAPER_SEED when set, else a fixed
// seed in the short version and a fresh one in the long version.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(shortSeed)
	if long() {
		seed = uint64(time.Now().UnixNano())
	}
	if s := os.Getenv(envSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSeed, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, envSeed, seed)
	return seed
}

// withSimSeed seeds the simulator's fault randomness (Fault.ErrorRate) and request IDs.
func withSimSeed(seed uint64) worldOption {
	return func(s *zensim.Options, _ *[]zen.Option) { s.Seed = int64(seed) }
}

// withFrozenRateClock stops the simulator's token bucket from refilling: after SetRateLimit only
// the burst is admitted, every later call is throttled, whatever the wall clock does.
func withFrozenRateClock() worldOption {
	return func(s *zensim.Options, _ *[]zen.Option) { s.RateClock = func() time.Time { return t0 } }
}

// useClient replaces the world's client by one built like the harness's, with opts applied last,
// and returns the function that puts the original back.
func (w *world) useClient(opts ...zen.Option) (restore func()) {
	w.t.Helper()
	base := []zen.Option{zen.WithEndpoint(w.url), zen.WithAccessKey(keyID, secret), zen.WithClock(w.clock.Now),
		zen.WithRetry(3, time.Millisecond, 5*time.Millisecond), zen.WithRequestsPerSecond(1000)}
	c, err := zen.New(append(base, opts...)...)
	if err != nil {
		w.t.Fatal(err)
	}
	old := w.client
	w.client = c
	return func() { w.client = old }
}

// landings tells which TerminateInstance calls took effect in the simulator, whatever the client
// was answered: a call lands when it moves its instance into the recycle bin. (A faulty answer
// says nothing by itself: a cut-off 200 may not have been executed, a reset one may have.) It owns
// the simulator's OnCall hook; tests that need a hook of their own set it with also.
type landings struct {
	sim *zensim.Server

	mu       sync.Mutex
	recycled map[string]bool // instances seen in the recycle bin after a call
	landed   map[int]bool    // Seq of the calls that landed
	extra    func(zensim.Call)
}

// watchLandings installs the hook that records landings on sim.
func watchLandings(sim *zensim.Server) *landings {
	l := &landings{sim: sim, recycled: map[string]bool{}, landed: map[int]bool{}}
	sim.OnCall(l.onCall)
	return l
}

// also makes the hook call f for every call, after the landing is recorded; nil removes it.
func (l *landings) also(f func(zensim.Call)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.extra = f
}

func (l *landings) onCall(c zensim.Call) {
	l.mu.Lock()
	extra := l.extra
	if c.Action == "TerminateInstance" && len(c.InstanceIDs) == 1 {
		id := c.InstanceIDs[0]
		in, ok := l.sim.Instance(id)
		now := ok && in.Status == zen.StatusRecycle
		if now && !l.recycled[id] {
			l.landed[c.Seq] = true
		}
		l.recycled[id] = now
	}
	l.mu.Unlock()
	if extra != nil {
		extra(c)
	}
}

// didLand reports whether the call with sequence number seq took effect.
func (l *landings) didLand(seq int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.landed[seq]
}

// terminateCallsIn returns the TerminateInstance calls among calls, grouped by instance, in order.
func terminateCallsIn(calls []zensim.Call) map[string][]zensim.Call {
	out := map[string][]zensim.Call{}
	for _, c := range calls {
		if c.Action == "TerminateInstance" && len(c.InstanceIDs) == 1 {
			out[c.InstanceIDs[0]] = append(out[c.InstanceIDs[0]], c)
		}
	}
	return out
}
