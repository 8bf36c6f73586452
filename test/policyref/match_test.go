package policyref

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// fleetAt is zensim.Generate(n, seed, now) as the policies see it (reconcile.PolicyInput), with
// traffic figures from each instance's traffic profile (some missing, incomplete or over a short
// window), and, when tricky, a tenth of the instances given a few more tags from trickyTags.
func fleetAt(n int, seed int64, now time.Time, tricky bool) []policy.Instance {
	f := zensim.Generate(n, seed, now)
	rnd := rand.New(rand.NewPCG(uint64(seed), 14))
	tags := trickyTags(now)
	out := make([]policy.Instance, len(f.Instances))
	for i, s := range f.Instances {
		var tr *policy.Traffic
		if rnd.IntN(6) != 0 {
			tr = &policy.Traffic{
				WindowSeconds: []int64{259200, 259200, 259200, 259199, 604800, 3600}[rnd.IntN(6)],
				Samples:       864, Complete: rnd.IntN(10) != 0,
				InP95Bps: s.Traffic.InBps, OutP95Bps: s.Traffic.OutBps,
				InAvgBps: s.Traffic.InBps / 3, OutAvgBps: s.Traffic.OutBps / 3,
			}
		}
		in := reconcile.PolicyInput(s.Domain(), tr)
		if rnd.IntN(10) == 0 && tricky {
			for range 1 + rnd.IntN(3) {
				addTag(&in, tags[rnd.IntN(len(tags))])
			}
		}
		out[i] = in
	}
	return out
}

// addTag appends a pair to the instance's tag list, as a listing with a repeated key gives it.
func addTag(in *policy.Instance, t policy.Tag) {
	in.TagList = append(in.TagList, t)
	if _, ok := in.Tags[t.Key]; !ok && t.Key != "" {
		if in.Tags == nil {
			in.Tags = map[string]string{}
		}
		in.Tags[t.Key] = t.Value
	}
}

// trickyTags are tag pairs at the edges of what the policies read: loose keys and values,
// boundaries of time relative to now, calendar and range edges, malformed values, characters
// that JSON escapes.
func trickyTags(now time.Time) []policy.Tag {
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	date := func(days int) string { return now.AddDate(0, 0, days).Format(time.DateOnly) }
	var out []policy.Tag
	add := func(key string, values ...string) {
		for _, v := range values {
			out = append(out, policy.Tag{Key: key, Value: v})
		}
	}
	times := []string{
		ts(0), ts(-time.Nanosecond), ts(time.Nanosecond), ts(-time.Second), ts(time.Hour), ts(30 * 24 * time.Hour),
		ts(30*24*time.Hour + time.Second), ts(30*24*time.Hour - time.Nanosecond), ts(400 * 24 * time.Hour),
		now.In(time.FixedZone("", 8*3600)).Format(time.RFC3339), now.In(time.FixedZone("", -(4*3600 + 1800))).Format(time.RFC3339),
		date(-1), date(0), date(1), date(29), date(30), date(31),
		"2026-11-01T00:00:00.1234567891Z", "2000-02-29", "1900-02-29", "2100-02-28", "0000-02-29", "1677-12-31",
		"1678-01-01T00:00:00+23:59", "2261-12-31T23:59:59-23:59", "2262-01-01", "9999-12-31T23:59:59Z", "1600-01-01T00:00:00Z",
		"2026-13-01", "2026-02-30", "someday", "", "2026-11-01T00:00:00", "2026-11-01t00:00:00z", "2026-11-01 00:00:00Z",
		"<b>&amp;</b>", "\xff\xfe", "1700000000",
	}
	add("reaper-expires-at", times...)
	add("Reaper-Expires-At ", times[:6]...)
	add("reaper-snooze-until", times...)
	add(" REAPER-SNOOZE-UNTIL", times[4:9]...)
	add("reaper-ttl", "72h", "1h", "7d", "2w", "0h", "999999999w", "1000000000h", "7D", " 7d ", "1d12h", "-1d", "", "1.5d", "0001h")
	add("REAPER-TTL", "1h", "30d")
	add("reaper-keep", "true", "TRUE", " yes ", "1", "false", "no", "0", "ture", "", "<keep>", "Yes\t")
	add("Reaper-Keep", "1", "nope")
	add("reaper-protect", "true")
	add("reaper-", "x")
	add("owner", "", "   ", "team-a")
	add("Owner", "team-b", "")
	add(" owner ", "team-c")
	add("env", "", "prod")
	add("ENV", "dev")
	add("cost-center", "42")
	add("Cost-Center", "43")
	return out
}

// boundaryFleet is instances at the edges of every duration in params and of the idle
// threshold: ages one second short of, at and past each duration, failed builds, traffic just
// below and at the threshold, a snooze at exactly now + snooze.max, no creation time, a creation
// time after now. IDs are stable, the fields move with now.
func boundaryFleet(now time.Time, params map[string]any) []policy.Instance {
	var durations []int64
	for _, p := range [][2]string{{"failed", "after"}, {"idle", "min_age"}, {"idle", "window"}, {"tags", "grace"}, {"snooze", "max"}} {
		if d, ok := durationSeconds(param(params, p[0], p[1])); ok {
			durations = append(durations, d)
		}
	}
	durations = append(durations, 72*3600, 6*3600, 7*86400, 1)
	threshold := int64(100000)
	if text, ok := numberText(param(params, "idle", "max_p95_bps")); ok {
		var f float64
		if _, err := fmt.Sscan(text, &f); err == nil && f > 0 && f < 1e15 {
			threshold = int64(f)
		}
	}
	var out []policy.Instance
	add := func(in policy.Instance) {
		in.ID = fmt.Sprintf("b-%04d", len(out))
		in.Tags = map[string]string{}
		for _, t := range in.TagList {
			if _, ok := in.Tags[t.Key]; !ok {
				in.Tags[t.Key] = t.Value
			}
		}
		out = append(out, in)
	}
	slices.Sort(durations)
	durations = slices.Compact(durations)
	for _, d := range durations {
		for _, delta := range []int64{-1, 0, 1} {
			age := time.Duration(d+delta) * time.Second
			created := now.Add(-age)
			ttl := fmt.Sprintf("%dh", max((d+delta)/3600, 1))
			for _, status := range []string{"RUNNING", []string{"CREATE_FAILED", "INSTALL_FAILED"}[delta&1]} {
				add(policy.Instance{Status: status, CreatedAt: created, TagList: []policy.Tag{{Key: "reaper-ttl", Value: ttl}}})
			}
			add(policy.Instance{Status: "RUNNING", CreatedAt: created, TagList: []policy.Tag{{Key: "env", Value: "x"}}})
			for _, bps := range []int64{threshold - 1, threshold} {
				add(policy.Instance{Status: "RUNNING", CreatedAt: created, Traffic: &policy.Traffic{
					WindowSeconds: max(d+delta, 0), Samples: 10, Complete: true, InP95Bps: bps, OutP95Bps: max(bps-1, 0),
				}})
			}
			until := now.Add(time.Duration(d+delta) * time.Second).Format(time.RFC3339Nano)
			add(policy.Instance{Status: "RUNNING", CreatedAt: created, TagList: []policy.Tag{
				{Key: "reaper-snooze-until", Value: until}, {Key: "reaper-expires-at", Value: now.Add(-time.Duration(d+delta) * time.Second).Format(time.RFC3339)},
			}})
		}
	}
	add(policy.Instance{Status: "CREATE_FAILED", TagList: []policy.Tag{{Key: "reaper-ttl", Value: "1h"}}})                                 // no creation time: no age
	add(policy.Instance{Status: "INSTALL_FAILED", CreatedAt: now.Add(time.Hour), TagList: []policy.Tag{{Key: "reaper-ttl", Value: "1h"}}}) // age 0
	add(policy.Instance{Status: "RUNNING", CreatedAt: now.Add(-400 * 24 * time.Hour), Tags: map[string]string{}})
	return out
}

// paramVariant is one params document the comparison runs under, merged over the defaults.
type paramVariant struct {
	name   string
	params map[string]any
}

func variants() []paramVariant {
	v := func(name string, params map[string]any) paramVariant { return paramVariant{name, params} }
	one := func(policyName, key string, value any) map[string]any {
		return map[string]any{policyName: map[string]any{key: value}}
	}
	allOn := map[string]any{"tags": map[string]any{"required": []any{"owner", "env", "cost-center"}}}
	out := []paramVariant{v("defaults", nil), v("every policy on", allOn)}
	for _, x := range []any{"1h", "999999999w", "0h", "6 hours", 6, 6.0, nil, "", "1000000000h", "6H", "<6h>"} {
		out = append(out, v(fmt.Sprintf("failed.after=%#v", x), one("failed", "after", x)))
	}
	for _, x := range []any{"1h", "0d", "7x", nil, 7} {
		out = append(out, v(fmt.Sprintf("idle.min_age=%#v", x), one("idle", "min_age", x)))
	}
	for _, x := range []any{"1h", "1w", 72, "72"} {
		out = append(out, v(fmt.Sprintf("idle.window=%#v", x), one("idle", "window", x)))
	}
	for _, x := range []any{0, -1, 1, 0.5, 1e6, 100000.5, "100000", 1e30, int64(9223372036854775807), nil, json.Number("2e5"), true} {
		out = append(out, v(fmt.Sprintf("idle.max_p95_bps=%#v", x), one("idle", "max_p95_bps", x)))
	}
	for _, x := range []any{"1h", "999999999w", "30 d", nil, 30, "0w"} {
		out = append(out, v(fmt.Sprintf("snooze.max=%#v", x), one("snooze", "max", x)))
	}
	for _, x := range []any{[]any{}, []any{"owner"}, "owner", map[string]any{"owner": true}, []any{"owner", "", 5, nil, " ", "owner"},
		[]any{"Owner"}, []any{" env "}, []string{"env", "cost-center"}, []any{[]any{"owner"}}} {
		out = append(out, v(fmt.Sprintf("tags.required=%#v", x), one("tags", "required", x)))
	}
	for _, x := range []any{"0h", "1h", "bad", nil, 72} {
		out = append(out, v(fmt.Sprintf("tags.grace=%#v with required", x),
			map[string]any{"tags": map[string]any{"required": []any{"owner", "env"}, "grace": x}}))
	}
	out = append(out,
		v("idle is not an object", map[string]any{"idle": "off"}),
		v("params of every policy malformed at once", map[string]any{
			"idle":   map[string]any{"min_age": "x", "window": nil, "max_p95_bps": "y"},
			"failed": map[string]any{"after": []any{}}, "snooze": map[string]any{"max": map[string]any{}},
			"tags": map[string]any{"required": []any{"owner", 1}, "grace": "z"},
		}),
	)
	return out
}

// evaluationTimes are the cycles of the comparison: the first sees every instance for the first
// time, the second a second time, the later ones are warm (the decision cache serves what it
// may), and the clock moves by minutes, with a fraction of a second, then by days.
func evaluationTimes(t0 time.Time) []time.Time {
	return []time.Time{t0, t0.Add(30 * time.Minute), t0.Add(time.Hour + 500*time.Millisecond), t0.Add(3*24*time.Hour + 1), t0.Add(45 * 24 * time.Hour)}
}

// TestReferenceMatchesEngine holds the plain-Go reference to the engine: for every params
// variant and every evaluation time, the engine (one Engine, so its decision cache is cold, then
// learning, then warm) and the reference decide identically about a generated fleet (several
// seeds), the tricky tags and the boundary instances. It also checks that every set of every
// policy gave a reason somewhere, so that no branch of the reference goes unchecked.
func TestReferenceMatchesEngine(t *testing.T) {
	ctx := context.Background()
	engine, err := policy.Load(ctx, policy.Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	if got := engine.Packages(); !slices.Equal(got, referencePackages) {
		t.Fatalf("the bundled policies are %v; the reference implements %v: bring it up to date", got, referencePackages)
	}
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	big, small := 1000, 120
	if testing.Short() || raceEnabled {
		big, small = 300, 40
	}
	seen := map[string]int{}
	compared, failures := 0, 0
	for vi, v := range variants() {
		merged := policy.MergeParams(engine.DefaultParams(), v.params)
		seeds := []int64{int64(vi + 1)}
		n := small
		if vi < 2 {
			seeds, n = []int64{1, 2, 3}, big
		}
		var generated []policy.Instance
		for _, seed := range seeds {
			generated = append(generated, fleetAt(n, seed, t0, true)...)
		}
		times := evaluationTimes(t0)
		if vi >= 2 { // a params variant: cold, learning, warm
			times = []time.Time{times[0], times[1], times[len(times)-1]}
		}
		for _, now := range times {
			fleet := append(slices.Clone(generated), boundaryFleet(now, merged)...)
			got, err := engine.Evaluate(ctx, now, v.params, fleet)
			if err != nil {
				t.Fatalf("%s at %v: engine: %v", v.name, now, err)
			}
			ref, err := newReference(now, merged)
			if err != nil {
				t.Fatal(err)
			}
			for i := range fleet {
				want := ref.decide(&fleet[i])
				compared++
				for set, rs := range map[string][]policy.Reason{"terminate": want.Terminate, "exempt": want.Exempt, "warn": want.Warn} {
					for _, r := range rs {
						seen[r.Policy+" "+set]++
					}
				}
				if diff := differ(got[i], want); diff != "" && failures < 10 {
					failures++
					doc, _ := json.Marshal(fleet[i])
					t.Errorf("%s, now %s, instance %s:\n%s\ninstance: %s", v.name, now.Format(time.RFC3339Nano), fleet[i].ID, diff, doc)
				}
			}
		}
	}
	for _, want := range []string{
		pExpiry + " terminate", pExpiry + " warn", pFailed + " terminate", pFailed + " warn", pIdle + " terminate", pIdle + " warn",
		pKeep + " exempt", pKeep + " warn", pSnooze + " exempt", pSnooze + " warn", pTags + " terminate", pTags + " warn",
	} {
		if seen[want] == 0 {
			t.Errorf("no decision had a %s reason: the comparison does not cover it", want)
		}
	}
	t.Logf("%d decisions compared; reasons by policy and set: %v", compared, seen)
}

// differ describes how the engine's decision differs from the reference's; "" when they agree.
// An empty set and a nil one are the same.
func differ(engine, ref policy.Decision) string {
	var b strings.Builder
	if engine.InstanceID != ref.InstanceID {
		fmt.Fprintf(&b, "  instance: engine %q, reference %q\n", engine.InstanceID, ref.InstanceID)
	}
	if engine.Err != nil {
		fmt.Fprintf(&b, "  engine error: %v\n", engine.Err)
	}
	for _, s := range []struct {
		name     string
		eng, ref []policy.Reason
	}{{"terminate", engine.Terminate, ref.Terminate}, {"exempt", engine.Exempt, ref.Exempt}, {"warn", engine.Warn, ref.Warn}} {
		if !slices.EqualFunc(s.eng, s.ref, func(a, b policy.Reason) bool {
			return a.Policy == b.Policy && a.Reason == b.Reason && len(a.Details) == 0 && len(b.Details) == 0
		}) {
			fmt.Fprintf(&b, "  %s:\n    engine    %q\n    reference %q\n", s.name, s.eng, s.ref)
		}
	}
	if engine.Candidate() != ref.Candidate() {
		fmt.Fprintf(&b, "  candidate: engine %v, reference %v\n", engine.Candidate(), ref.Candidate())
	}
	return b.String()
}
