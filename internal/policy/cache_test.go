package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

// uncached returns a second engine over the same policies as e, without the decision cache:
// the reference every cached decision is compared with.
func uncached(t testing.TB, e *Engine) *Engine {
	t.Helper()
	ref := &Engine{opts: e.opts, logger: e.logger, set: e.set}
	return ref
}

// sameDecisions fails t when the cached engine's decisions differ from the reference's.
func sameDecisions(t testing.TB, step string, got, want []Decision) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d decisions, want %d", step, len(got), len(want))
	}
	bad := 0
	for i := range want {
		g, w := got[i], want[i]
		ge, we := fmt.Sprint(g.Err), fmt.Sprint(w.Err)
		g.Err, w.Err = nil, nil
		if ge != we || !reflect.DeepEqual(g, w) {
			t.Errorf("%s: instance %s: cached decision\n  %+v (err %s)\nwant\n  %+v (err %s)", step, want[i].InstanceID, g, ge, w, we)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

// randomInstance is an instance whose fields land near the bundled policies' boundaries at now:
// expiry tags minutes to weeks either side, ttls close to the age, keep values, failed statuses,
// traffic around the idle threshold, repeated and oddly cased keys, unknown creation times.
func randomInstance(r *rand.Rand, id string, now time.Time) Instance {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	offset := func() time.Duration {
		units := []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
		return time.Duration(r.IntN(61)-30) * units[r.IntN(len(units))]
	}
	age := time.Duration(r.IntN(40*24)) * time.Hour
	in := Instance{
		ID: id, Name: "node-" + id, Hostname: "node-" + id, Zone: pick("HKG-A", "FRA-A"), Type: "S9I",
		Status:     pick("RUNNING", "RUNNING", "RUNNING", "STOPPED", "CREATE_FAILED", "INSTALL_FAILED", "CREATING"),
		ChargeType: pick("POSTPAID", "POSTPAID", "PREPAID"), InternetChargeType: "ByBandwidth",
		CreatedAt:     now.Add(-age),
		ResourceGroup: ResourceGroup{ID: "rg-1", Name: "Default"},
		Tags:          map[string]string{"owner": pick("a", "b", "")},
		PublicIPs:     []string{}, PrivateIPs: []string{},
	}
	if r.IntN(20) == 0 {
		in.CreatedAt = time.Time{}
	}
	if r.IntN(4) == 0 {
		exp := now.Add(offset())
		in.ExpiresAt = &exp
	}
	values := map[string]func() string{
		"reaper-expires-at": func() string {
			switch r.IntN(4) {
			case 0:
				return now.Add(offset()).Format(time.RFC3339)
			case 1:
				return now.Add(offset()).In(time.FixedZone("", 8*3600)).Format(time.RFC3339)
			case 2:
				return now.Add(offset()).Format(time.DateOnly)
			default:
				return pick("soon", "", "2026-02-30", "9999-12-31T23:59:59Z")
			}
		},
		"reaper-ttl": func() string {
			if r.IntN(5) == 0 {
				return pick("7 d", "0h", "1y", "")
			}
			return strconv.Itoa(1+r.IntN(40)) + pick("h", "d", "w")
		},
		"reaper-keep": func() string { return pick("true", "yes", "1", "false", "ture", " TRUE ") },
		"team":        func() string { return pick("x", " ", "") },
	}
	var list []Tag
	for key, value := range values {
		if r.IntN(4) != 0 {
			continue
		}
		k := key
		if r.IntN(5) == 0 {
			k = strings.ToUpper(key[:1]) + key[1:] + pick("", " ")
		}
		v := value()
		in.Tags[k] = v
		list = append(list, Tag{Key: k, Value: v})
		if r.IntN(6) == 0 {
			list = append(list, Tag{Key: key, Value: value()}) // a repeated key
		}
	}
	if r.IntN(2) == 0 {
		in.TagList = list
	}
	if r.IntN(4) != 0 {
		bps := int64(r.IntN(200_000))
		windows := []int64{86400, 259200, 604800}
		in.Traffic = &Traffic{WindowSeconds: windows[r.IntN(len(windows))],
			Samples: 864, Complete: r.IntN(8) != 0, InP95Bps: bps, OutP95Bps: bps / 2, InAvgBps: bps / 3, OutAvgBps: bps / 4}
	}
	return in
}

// mutate changes some field of in that policies read.
func mutate(r *rand.Rand, in *Instance, now time.Time) {
	fresh := randomInstance(r, in.ID, now)
	switch r.IntN(4) {
	case 0:
		in.Tags, in.TagList = fresh.Tags, fresh.TagList
	case 1:
		in.Traffic = fresh.Traffic
	case 2:
		in.Status = fresh.Status
	default:
		in.Tags = map[string]string{}
		for k, v := range fresh.Tags {
			in.Tags[k] = v
		}
		in.Tags["reaper-ttl"] = "1h"
	}
}

// testParams switch every bundled policy on, so that each has rules that can fire.
var testParams = map[string]any{
	"tags":   map[string]any{"required": []any{"owner", "team", 7}, "grace": "72h"},
	"idle":   map[string]any{"min_age": "7d", "window": "72h", "max_p95_bps": 100000},
	"failed": map[string]any{"after": "6h"},
}

// TestDecisionCacheMatchesEvaluation is the proof of the decision cache: over a randomized
// fleet advanced in time (seconds to weeks, once backwards, as after a clock jump), with a
// fraction of the instances changed at each step, every decision served with the cache equals
// the decision of an engine without one.
//
// With Options.OneShot (plan, run --once, apply) the cache keeps no memos and decides the same.
func TestDecisionCacheMatchesEvaluation(t *testing.T) {
	for _, oneShot := range []bool{false, true} {
		t.Run(fmt.Sprintf("oneShot=%v", oneShot), func(t *testing.T) { testDecisionCacheMatchesEvaluation(t, oneShot) })
	}
}

func testDecisionCacheMatchesEvaluation(t *testing.T, oneShot bool) {
	e, err := Load(context.Background(), Options{FS: policies.FS, OneShot: oneShot})
	if err != nil {
		t.Fatal(err)
	}
	if e.cache == nil {
		t.Fatalf("the bundled set is not cached: %s", e.set.guards.off)
	}
	ref := uncached(t, e)
	for _, tc := range []struct {
		seed   uint64
		params map[string]any
	}{{1, nil}, {2, testParams}, {3, nil}} {
		seed, params := tc.seed, tc.params
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			e.cache = newDecisionCache()
			r := rand.New(rand.NewPCG(seed, 99))
			now := testNow
			fleet := make([]Instance, 600)
			for i := range fleet {
				fleet[i] = randomInstance(r, fmt.Sprintf("i-%d", i), now)
			}
			steps := []time.Duration{0, 0, time.Second, time.Minute, 30 * time.Minute, 6 * time.Hour,
				-time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 8 * 24 * time.Hour, 30 * 24 * time.Hour}
			served := 0
			for n, step := range steps {
				now = now.Add(step)
				if n > 1 {
					for i := range fleet {
						if r.IntN(20) == 0 {
							mutate(r, &fleet[i], now)
						}
					}
				}
				for range 2 {
					got, err := e.Evaluate(context.Background(), now, params, fleet)
					if err != nil {
						t.Fatal(err)
					}
					want, err := ref.Evaluate(context.Background(), now, params, fleet)
					if err != nil {
						t.Fatal(err)
					}
					sameDecisions(t, fmt.Sprintf("step %d (%v later)", n, step), got, want)
				}
				served += cacheServed(e)
			}
			switch n := memos(e); {
			case oneShot && n != 0:
				t.Fatalf("a one-shot engine's cache remembers %d time-free values", n)
			case !oneShot && n == 0:
				t.Fatal("no entry remembers a time-free value")
			}
			if served < len(fleet)*len(steps)/10 {
				t.Fatalf("the cache served %d decisions without evaluation over %d steps of %d instances: not exercised", served, len(steps), len(fleet))
			}
		})
	}
}

// cacheServed counts the entries of e's cache that serve a decision, or part of it, without
// evaluating.
func cacheServed(e *Engine) int {
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	n := 0
	for i := range e.cache.entries {
		if k := e.cache.entries[i].known; k != nil && k.mask != fullMask {
			n++
		}
	}
	return n
}

// memos counts the values of time-free rules e's cache remembers.
func memos(e *Engine) int {
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	n := 0
	for i := range e.cache.entries {
		if k := e.cache.entries[i].known; k != nil {
			n += len(k.memo)
		}
	}
	return n
}

// TestDecisionCacheFlushesOnParamsChange: a call with other params never serves a decision
// made under the old ones.
func TestDecisionCacheFlushesOnParamsChange(t *testing.T) {
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	ref := uncached(t, e)
	fleet := syntheticFleet(2000)
	loud := map[string]any{"idle": map[string]any{"max_p95_bps": 5_000_000}}
	for _, params := range []map[string]any{nil, nil, loud, loud, nil} {
		got, err := e.Evaluate(context.Background(), benchNow, params, fleet)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Evaluate(context.Background(), benchNow, params, fleet)
		if err != nil {
			t.Fatal(err)
		}
		sameDecisions(t, fmt.Sprintf("params %v", params), got, want)
	}
	// The two params must decide differently, or the test proves nothing.
	quiet, _ := ref.Evaluate(context.Background(), benchNow, nil, fleet)
	many, _ := ref.Evaluate(context.Background(), benchNow, loud, fleet)
	if candidates(quiet) == candidates(many) {
		t.Fatalf("both params give %d candidates", candidates(quiet))
	}
}

func candidates(ds []Decision) int {
	n := 0
	for _, d := range ds {
		if d.Candidate() {
			n++
		}
	}
	return n
}

// TestDecisionCacheGeneration: the generation names the policy digest and the params; a new
// generation empties the cache.
func TestDecisionCacheGeneration(t *testing.T) {
	a, _ := generation("sha256:a", map[string]any{"x": 1, "y": []any{"b"}})
	a2, _ := generation("sha256:a", map[string]any{"y": []any{"b"}, "x": 1})
	b, _ := generation("sha256:b", map[string]any{"x": 1, "y": []any{"b"}})
	c, _ := generation("sha256:a", map[string]any{"x": 2, "y": []any{"b"}})
	if a != a2 || a == b || a == c || b == c {
		t.Fatalf("generations: %q %q %q %q", a, a2, b, c)
	}
	dc := newDecisionCache()
	v := begin(dc, a, testNow)
	dc.add(a, v.epoch, []newEntry{{id: 1}})
	if len(begin(dc, a, testNow).index) != 1 {
		t.Fatal("an entry of the same generation was lost")
	}
	if len(begin(dc, b, testNow).index) != 0 {
		t.Fatal("a new policy digest kept the old entries")
	}
	dc.add(a, v.epoch, []newEntry{{id: 2}}) // a call of the old generation, finishing late
	if len(dc.index) != 0 {
		t.Fatal("a call of an old generation added to the new one")
	}
	if _, ok := dc.view(a); ok {
		t.Fatal("a call of an old generation that let go of the lock still has a view")
	}
}

// TestDecisionCacheDropsVanishedInstances: an instance no call asks about for more than
// cacheKeepEpochs evaluation times leaves the cache.
func TestDecisionCacheDropsVanishedInstances(t *testing.T) {
	dc := newDecisionCache()
	v := begin(dc, "g", testNow)
	dc.add("g", v.epoch, []newEntry{{id: idHash(v.seed, "gone")}, {id: idHash(v.seed, "kept")}})
	for i := 1; i <= cacheKeepEpochs+1; i++ {
		v := begin(dc, "g", testNow.Add(time.Duration(i)*time.Minute))
		v.lookup(idHash(v.seed, "kept"), instanceSum{})
	}
	if _, ok := dc.index[idHash(v.seed, "gone")]; ok {
		t.Fatal("an instance unused for more than cacheKeepEpochs epochs is still cached")
	}
	if _, ok := dc.index[idHash(v.seed, "kept")]; !ok {
		t.Fatal("an instance used every epoch was dropped")
	}
}

// TestInstanceHashCoversEveryField: changing any field of an instance changes its hash, and
// the order of a tag map does not.
func TestInstanceHashCoversEveryField(t *testing.T) {
	dc := newDecisionCache()
	var h instanceHasher
	sum := func(in Instance) instanceSum { return h.sum(&dc.key, &in) }
	exp, renew, months := testNow, true, 3
	base := Instance{ID: "i", Name: "n", Hostname: "h", Zone: "z", Type: "t", Status: "RUNNING", ChargeType: "POSTPAID",
		InternetChargeType: "x", CreatedAt: testNow, ExpiresAt: &exp, AutoRenew: &renew, PeriodMonths: &months,
		ResourceGroup: ResourceGroup{ID: "rg", Name: "rgn"}, Tags: map[string]string{"a": "1", "b": "2"},
		TagList: []Tag{{"a", "1"}}, PublicIPs: []string{"p"}, PrivateIPs: []string{"q"},
		Traffic: &Traffic{WindowSeconds: 1, Samples: 2, Complete: true, InP95Bps: 3, OutP95Bps: 4, InAvgBps: 5, OutAvgBps: 6}}
	want := sum(base)
	changes := map[string]func(in *Instance){
		"id": func(in *Instance) { in.ID = "j" }, "name": func(in *Instance) { in.Name = "m" },
		"hostname": func(in *Instance) { in.Hostname = "" }, "zone": func(in *Instance) { in.Zone = "y" },
		"type": func(in *Instance) { in.Type = "" }, "status": func(in *Instance) { in.Status = "STOPPED" },
		"charge": func(in *Instance) { in.ChargeType = "PREPAID" }, "internet": func(in *Instance) { in.InternetChargeType = "" },
		"created":  func(in *Instance) { in.CreatedAt = in.CreatedAt.Add(time.Nanosecond) },
		"expires":  func(in *Instance) { in.ExpiresAt = nil },
		"renew":    func(in *Instance) { f := false; in.AutoRenew = &f },
		"months":   func(in *Instance) { in.PeriodMonths = nil },
		"rg":       func(in *Instance) { in.ResourceGroup.Name = "other" },
		"tag":      func(in *Instance) { in.Tags = map[string]string{"a": "1", "b": "3"} },
		"tag key":  func(in *Instance) { in.Tags = map[string]string{"a": "1", "c": "2"} },
		"tag join": func(in *Instance) { in.Tags = map[string]string{"a": "12"} },
		"list":     func(in *Instance) { in.TagList = append(in.TagList, Tag{"a", "1"}) },
		"public":   func(in *Instance) { in.PublicIPs = nil }, "private": func(in *Instance) { in.PrivateIPs = []string{"r"} },
		"traffic":  func(in *Instance) { in.Traffic = nil },
		"complete": func(in *Instance) { tr := *in.Traffic; tr.Complete = false; in.Traffic = &tr },
		"p95":      func(in *Instance) { tr := *in.Traffic; tr.OutP95Bps++; in.Traffic = &tr },
	}
	for name, change := range changes {
		in := base
		change(&in)
		if sum(in) == want {
			t.Errorf("changing %s keeps the hash", name)
		}
	}
	for range 20 {
		in := base
		in.Tags = map[string]string{"b": "2", "a": "1"}
		if sum(in) != want {
			t.Fatal("the same tags give another hash")
		}
	}
}

// TestDecisionCacheCustomPolicies: time reaching a set through a function, a comprehension, a
// negated rule and a reference the analysis cannot pin, next to time-free sets: cached decisions
// equal uncached ones as now advances past every deadline.
func TestDecisionCacheCustomPolicies(t *testing.T) {
	e := loadPolicies(t, map[string]string{"custom.rego": src(
		"package reaper.custom",
		"_now := time.parse_rfc3339_ns(input.now)",
		"_deadline(v) := time.parse_rfc3339_ns(v)",
		`terminate contains sprintf("deadline %s passed", [v]) if {`,
		"	some k, v in input.instance.tags",
		`	startswith(k, "deadline")`,
		"	_deadline(v) < _now",
		"}",
		`warn contains "old" if count([x | x := input.instance.age_seconds; x > 7200]) > 0`,
		`warn contains "prod" if input.instance.tags.env == "prod"`,
		`exempt contains "young" if {`,
		`	input.instance.tags.env == "prod"`,
		"	not _old",
		"}",
		"_old if input.instance.age_seconds > 86400",
		`warn contains k if {`,
		"	some k, v in input.instance",
		`	k == "age_seconds"`,
		"	v > 3600",
		`	input.instance.tags.env == "test"`,
		"}",
	)})
	if e.cache == nil {
		t.Fatalf("cache off: %s", e.set.guards.off)
	}
	ref := uncached(t, e)
	r := rand.New(rand.NewPCG(7, 7))
	fleet := make([]Instance, 300)
	for i := range fleet {
		in := instance(fmt.Sprintf("i-%d", i), time.Duration(r.IntN(72))*time.Hour, map[string]string{
			"env": []string{"prod", "test", "dev"}[r.IntN(3)]})
		if r.IntN(2) == 0 {
			in.Tags["deadline"] = testNow.Add(time.Duration(r.IntN(96)-24) * time.Hour).Format(time.RFC3339)
		}
		fleet[i] = in
	}
	now := testNow
	for _, step := range []time.Duration{0, 0, time.Hour, 2 * time.Hour, 24 * time.Hour, 48 * time.Hour} {
		now = now.Add(step)
		got, err := e.Evaluate(context.Background(), now, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Evaluate(context.Background(), now, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		sameDecisions(t, fmt.Sprintf("%v later", now.Sub(testNow)), got, want)
	}
	if cacheServed(e) == 0 {
		t.Fatal("the cache served nothing")
	}
}

// TestDecisionCacheOffWhenUnprovable: a `with` anywhere turns the cache off for the set.
func TestDecisionCacheOffWhenUnprovable(t *testing.T) {
	e := loadPolicies(t, map[string]string{"custom.rego": src(
		"package reaper.custom",
		`_env := input.instance.tags.env`,
		`terminate contains "x" if _env == "prod" with input.instance.tags as {"env": "prod"}`,
	)})
	if e.cache != nil || !strings.Contains(e.set.guards.off, "with") {
		t.Fatalf("a set with `with` is cached (off = %q)", e.set.guards.off)
	}
}

// FuzzDecisionCache drives instances from fuzzed tag values, a status, traffic and an age, and
// evaluates them at three times, seconds to weeks apart (the cache stays warm across inputs,
// so earlier instances of the same IDs are in it): every cached decision must equal the
// decision of an engine without the cache.
func FuzzDecisionCache(f *testing.F) {
	f.Add("2026-11-26T09:00:00Z", "7d", "true", "RUNNING", int64(3600), int64(50_000), int64(3600), int64(86400))
	f.Add("2026-11-26", "72h", "ture", "CREATE_FAILED", int64(86400*8), int64(200_000), int64(60), int64(7*86400))
	f.Add("bad", "1 h", "", "STOPPED", int64(0), int64(0), int64(1), int64(1))
	f.Add("2026-11-26T16:00:00+08:00", "3d", "YES", "INSTALL_FAILED", int64(86400*3-1), int64(99_999), int64(-3600), int64(30*86400))
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		f.Fatal(err)
	}
	ref := uncached(f, e)
	f.Fuzz(func(t *testing.T, expires, ttl, keep, status string, age, bps, step1, step2 int64) {
		var params map[string]any
		if bps%2 == 1 {
			params = testParams
		}
		clamp := func(v, limit int64) int64 {
			if v < 0 {
				v = -v
			}
			if v < 0 {
				v = 0
			}
			return v % limit
		}
		age, bps = clamp(age, 1<<36), clamp(bps, 1<<40)
		steps := []time.Duration{0, time.Duration(clamp(step1, 1<<26)) * time.Second, time.Duration(clamp(step2, 1<<26)) * time.Second}
		tags := map[string]string{"reaper-expires-at": expires, "Reaper-TTL ": ttl, "reaper-keep": keep}
		list := []Tag{{"reaper-ttl", ttl}, {"reaper-ttl", expires}, {"reaper-keep", keep}}
		traffic := &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: bps, OutP95Bps: bps / 2}
		fleet := []Instance{
			{ID: "a", Status: status, CreatedAt: testNow.Add(-time.Duration(age) * time.Second), Tags: tags, Traffic: traffic},
			{ID: "b", Status: "RUNNING", CreatedAt: testNow.Add(-time.Duration(age) * time.Second), Tags: map[string]string{}, TagList: list},
			{ID: "c", Status: status, Tags: map[string]string{"reaper-ttl": ttl}, Traffic: traffic},
		}
		now := testNow
		for _, step := range steps {
			now = now.Add(step)
			for range 2 {
				got, err := e.Evaluate(context.Background(), now, params, fleet)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ref.Evaluate(context.Background(), now, params, fleet)
				if err != nil {
					t.Fatal(err)
				}
				sameDecisions(t, fmt.Sprintf("at %v", now), got, want)
			}
		}
	})
}
