package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// cacheLogLines returns the JSON log lines of stderr with message msg.
func cacheLogLines(t *testing.T, stderr, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// servedFromCache is how many decisions the cycle's policy evaluations served from the
// decision cache (the engine's debug line).
func servedFromCache(t *testing.T, stderr string) int {
	t.Helper()
	n := 0
	for _, m := range cacheLogLines(t, stderr, "policy evaluation") {
		v, _ := m["served_from_cache"].(float64)
		n += int(v)
	}
	return n
}

// cacheFleet is a fleet the bundled policies decide in every way: expired, kept, healthy.
func cacheFleet() []zensim.FleetInstance {
	fleet := append(fleetN(6, healthyInstance), fleetN(3, expiredInstance)...)
	for i := range fleet[6:] {
		fleet[6+i].ID = "88" + fleet[6+i].ID[2:]
	}
	kept := expiredInstance("9900000000000001")
	kept.Tags["reaper-keep"] = "true"
	return append(fleet, kept)
}

// TestPlanStartsWarmOnBbolt: on a store one host keeps, each plan saves the decision cache:
// the first plan is cold and only notes the fleet, the second analyses it, the third serves
// the time-free instances from its first (and only) cycle, with the same decisions.
func TestPlanStartsWarmOnBbolt(t *testing.T) {
	_, url := startSim(t, cacheFleet())
	cfg, _ := writeConfig(t, url, testSecret, "")
	var outs []string
	for i := range 3 {
		r := reaper(t, "plan", "--config", cfg)
		if r.code != exitOK {
			t.Fatalf("plan %d: code %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
		loaded := cacheLogLines(t, r.stderr, "decision cache loaded")
		switch {
		case i == 0 && len(cacheLogLines(t, r.stderr, "no saved decision cache for these policies, params and reaper build: cold cycle")) != 1:
			t.Fatalf("plan 0 did not start cold:\n%s", r.stderr)
		case i > 0 && (len(loaded) != 1 || loaded[0]["entries"] != float64(10)):
			t.Fatalf("plan %d did not load the 10 entries the last plan saved:\n%s", i, r.stderr)
		}
		served := servedFromCache(t, r.stderr)
		if (i < 2 && served != 0) || (i == 2 && served < 6) {
			t.Fatalf("plan %d served %d decisions from the cache", i, served)
		}
		table, _, _ := strings.Cut(r.stdout[strings.Index(r.stdout, "actions:"):], "savings")
		outs = append(outs, table)
	}
	if outs[0] != outs[1] || outs[1] != outs[2] || !strings.Contains(outs[0], "exempt 1") {
		t.Fatalf("the plans' summaries differ:\n%s", strings.Join(outs, "\n"))
	}
}

// TestDecisionCacheOnPostgres: on a shared store the leader's run saves the decision cache, a
// plan starts warm from it but never writes it, and a blob that is not valid is a cold cycle
// with a warning, not a failure.
func TestDecisionCacheOnPostgres(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	_, url := startSim(t, cacheFleet())
	cfg := writePGConfig(t, url, dsn, "postgres", "bastion-a")
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	saved := func() []byte {
		t.Helper()
		var blob []byte
		if err := conn.QueryRow(t.Context(), "SELECT blob FROM shared.decision_cache").Scan(&blob); err != nil {
			return nil
		}
		return blob
	}
	if r := reaper(t, "plan", "--config", cfg); r.code != exitOK || saved() != nil {
		t.Fatalf("plan on an empty shared store: code %d, saved %d bytes\n%s", r.code, len(saved()), r.stderr)
	}
	for i := range 2 {
		if r := reaper(t, "run", "--once", "--dry-run", "--config", cfg); r.code != exitOK {
			t.Fatalf("run --once %d: code %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
	}
	before := saved()
	if before == nil {
		t.Fatal("the leader's runs saved no decision cache")
	}
	r := reaper(t, "plan", "--config", cfg)
	if r.code != exitOK || len(cacheLogLines(t, r.stderr, "decision cache loaded")) != 1 || servedFromCache(t, r.stderr) < 6 {
		t.Fatalf("plan after the leader's runs: code %d, not warm:\n%s", r.code, r.stderr)
	}
	if !bytes.Equal(saved(), before) {
		t.Fatal("plan on a shared store wrote the decision cache")
	}
	// A damaged blob: a warning, a cold cycle, the same exit.
	if _, err := conn.Exec(t.Context(), "UPDATE shared.decision_cache SET blob = substring(blob from 1 for 100)"); err != nil {
		t.Fatal(err)
	}
	r = reaper(t, "plan", "--config", cfg)
	if r.code != exitOK || len(cacheLogLines(t, r.stderr, "saved decision cache ignored: cold cycle")) != 1 || servedFromCache(t, r.stderr) != 0 {
		t.Fatalf("plan over a damaged cache: code %d\n%s", r.code, r.stderr)
	}
}

type fenceFunc func(ctx context.Context) error

func (f fenceFunc) Fence(ctx context.Context) error { return f(ctx) }

// TestSaveCacheIsFenced: a cycle that cannot prove its leadership does not save the decision
// cache; one that can, does.
func TestSaveCacheIsFenced(t *testing.T) {
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	engine, err := policy.Load(t.Context(), policy.Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	rt := &loaded{engine: engine}
	if _, err := engine.Evaluate(t.Context(), time.Now(), nil, []policy.Instance{{ID: "i-1", Status: "RUNNING"}}); err != nil {
		t.Fatal(err)
	}
	gen, err := engine.CacheGeneration(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &cycler{store: st, log: slog.New(slog.DiscardHandler), fence: fenceFunc(func(context.Context) error {
		return errors.New("lock lost")
	})}
	c.saveCache(t.Context(), rt)
	if _, found, err := st.DecisionCache(gen); err != nil || found {
		t.Fatalf("a cycle without leadership saved the decision cache: %v, %v", found, err)
	}
	c.fence = fenceFunc(func(context.Context) error { return nil })
	c.saveCache(t.Context(), rt)
	if _, found, err := st.DecisionCache(gen); err != nil || !found {
		t.Fatalf("the leader's cycle saved no decision cache: %v, %v", found, err)
	}
}
