package e2e_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

const (
	keyID  = "AK-E2E"
	secret = "e2e-secret-value-123"
)

// harnessAttempts is the client's attempts per call in these tests.
const harnessAttempts = 3

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

type world struct {
	t      *testing.T
	clock  *clocktest.Clock
	sim    *zensim.Server
	url    string
	client *zen.Client
	store  *state.Store
	engine *policy.Engine
	dir    string
	runs   int
}

type worldOption func(*zensim.Options, *[]zen.Option)

func withClientOptions(o ...zen.Option) worldOption {
	return func(_ *zensim.Options, z *[]zen.Option) { *z = append(*z, o...) }
}

func withPrepaidCancels() worldOption {
	return func(s *zensim.Options, _ *[]zen.Option) { s.PrepaidCancels = true }
}

// newWorld starts the simulator with fleet and builds the client, store and engine around it.
func newWorld(t *testing.T, fleet []zensim.FleetInstance, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, clock: clocktest.New(t0), dir: t.TempDir()}
	so := zensim.Options{Now: w.clock.Now, Keys: map[string]string{keyID: secret}, Seed: 7}
	zo := []zen.Option{zen.WithAccessKey(keyID, secret), zen.WithClock(w.clock.Now),
		zen.WithRetry(harnessAttempts, time.Millisecond, 5*time.Millisecond), zen.WithRequestsPerSecond(1000)}
	for _, o := range opts {
		o(&so, &zo)
	}
	w.sim = zensim.New(so)
	if err := w.sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	client, err := zen.New(append([]zen.Option{zen.WithEndpoint(srv.URL)}, zo...)...)
	if err != nil {
		t.Fatal(err)
	}
	w.client = client
	w.openStore()
	engine, err := policy.Load(context.Background(), policy.Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	w.engine = engine
	return w
}

func (w *world) openStore() {
	w.t.Helper()
	st, err := state.Open(w.dir, state.WithNow(w.clock.Now))
	if err != nil {
		w.t.Fatal(err)
	}
	w.store = st
	w.t.Cleanup(func() { st.Close() })
}

// defaultSettings mirrors the config defaults, with grace 0 so candidates are due at once.
func defaultSettings(e *policy.Engine) reconcile.Settings {
	return reconcile.Settings{
		Mode:                   reconcile.ModeEnforce,
		Params:                 e.DefaultParams(),
		MaxTerminationsPerRun:  10,
		MaxTerminationsPercent: 100,
		MaxFleetDropPercent:    50,
		CommitmentRetryAfter:   168 * time.Hour,
		Protect:                reconcile.Protection{Tags: map[string]string{"reaper-protect": "true"}},
		CallTimeout:            30 * time.Second,
	}
}

func (w *world) reconciler(mutate func(*reconcile.Settings)) *reconcile.Reconciler {
	w.t.Helper()
	s := defaultSettings(w.engine)
	if mutate != nil {
		mutate(&s)
	}
	rec, err := reconcile.New(reconcile.Options{
		API: w.client, Evaluator: w.engine, Store: w.store, Tags: w.client, Settings: s, Now: w.clock.Now,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return rec
}

// cycle runs one cycle ("run" unless dry is "plan").
func (w *world) cycle(mutate func(*reconcile.Settings), command string, dryRun bool) *reconcile.Result {
	w.t.Helper()
	w.runs++
	res, _ := w.reconciler(mutate).Run(context.Background(), reconcile.Cycle{
		RunID: fmt.Sprintf("%s-%03d", t0.Format("20060102T150405Z"), w.runs), Command: command, DryRun: dryRun})
	return res
}

// terminateCalls lists the instance IDs of every TerminateInstance call the simulator saw.
func (w *world) terminateCalls() []string {
	var out []string
	for _, c := range w.sim.TerminateCalls() {
		out = append(out, c.InstanceIDs...)
	}
	return out
}

func (w *world) wantTerminateCalls(want ...string) {
	w.t.Helper()
	got := w.terminateCalls()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		w.t.Fatalf("TerminateInstance calls = %v, want %v", got, want)
	}
}

func entry(t *testing.T, res *reconcile.Result, id string) reconcile.Entry {
	t.Helper()
	for _, e := range res.Entries {
		if e.Instance.ID == id {
			return e
		}
	}
	t.Fatalf("no entry for %s", id)
	return reconcile.Entry{}
}

// expired is a running POSTPAID instance whose reaper-expires-at tag is in the past: the bundled
// expiry policy makes it a candidate.
func expired(id string, mods ...func(*zensim.FleetInstance)) zensim.FleetInstance {
	in := zensim.FleetInstance{
		ID: id, Name: "expired-" + id, Zone: "HKG-A", Type: "S9I", Status: zen.StatusRunning,
		ChargeType: zen.ChargePostpaid, CreatedAt: t0.Add(-30 * 24 * time.Hour),
		Tags: map[string]string{"reaper-expires-at": "2026-11-01", "owner": "ci"},
	}
	for _, m := range mods {
		m(&in)
	}
	return in
}

// healthy is an instance no bundled policy touches.
func healthy(id string) zensim.FleetInstance {
	return zensim.FleetInstance{
		ID: id, Name: "healthy-" + id, Zone: "HKG-A", Type: "S9I", Status: zen.StatusRunning,
		ChargeType: zen.ChargePostpaid, CreatedAt: t0.Add(-2 * 24 * time.Hour), Tags: map[string]string{"owner": "web"},
	}
}

func status(s zen.Status) func(*zensim.FleetInstance) {
	return func(in *zensim.FleetInstance) { in.Status = s }
}

func fleetOf(n int, mk func(id string) zensim.FleetInstance) []zensim.FleetInstance {
	out := make([]zensim.FleetInstance, n)
	for i := range out {
		out[i] = mk(fmt.Sprintf("9%017d", i))
	}
	return out
}
