package policy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// deadlineFleet is a fleet whose "deadline" tags (and expiry times) fall every three hours from
// two hours before testNow to almost three days after, each as a prod and a test instance.
func deadlineFleet() []Instance {
	var fleet []Instance
	for h := -2; h < 60; h += 3 {
		for _, env := range []string{"prod", "test"} {
			at := testNow.Add(time.Duration(h) * time.Hour)
			in := instance(fmt.Sprintf("i-%d-%s", h, env), time.Duration(h+30)*time.Hour, map[string]string{
				"env": env, "deadline": at.Format(time.RFC3339)})
			in.ExpiresAt = &at
			fleet = append(fleet, in)
		}
	}
	return fleet
}

// sameAsPlainOverTime evaluates deadlineFleet with the policy files as now advances past every
// deadline: the engine's decisions (decision cache, folding) must equal, at every step, those
// of an engine without the cache and of a plain evaluation (no folding, the whole input).
func sameAsPlainOverTime(t *testing.T, files map[string]string) *Engine {
	t.Helper()
	e := loadPolicies(t, files)
	ref := uncached(t, e)
	fleet := deadlineFleet()
	now := testNow
	for step := range 36 {
		if step > 1 {
			now = now.Add(2 * time.Hour)
		}
		got, err := e.Evaluate(context.Background(), now, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		at := now.Sub(testNow)
		plain := evaluatePlain(t, e, now, nil, fleet)
		sameDecisions(t, fmt.Sprintf("%v later, against plain", at), got, plain)
		want, err := ref.Evaluate(context.Background(), now, nil, fleet)
		if err != nil {
			t.Fatal(err)
		}
		sameDecisions(t, fmt.Sprintf("%v later, against uncached", at), got, want)
	}
	return e
}

const timeNowNs = "time.parse_rfc3339_ns(input.now)"
const deadlineNs = "time.parse_rfc3339_ns(input.instance.tags.deadline)"

// TestDecisionCacheRulesWithVariablesInTheirPath: a rule whose path holds a variable (m[k],
// or clock[k] in a parent package) can give a value at the path of a time-free rule (m.fresh).
// The value at that path then depends on time, and an evaluation must not read it from the
// values a former evaluation remembered (memos): a deadline passed must stop terminating.
func TestDecisionCacheRulesWithVariablesInTheirPath(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"same package": {"c.rego": src("package reaper.custom",
			`m.fresh := true if input.instance.tags.env == "never"`,
			`m[k] := true if { k := "fresh"; `+deadlineNs+` > `+timeNowNs+` }`,
			`terminate contains "fresh" if m.fresh`)},
		"parent package": {
			"c.rego": src("package reaper.custom", `terminate contains "fresh" if data.reaper.lib.clock.fresh`),
			"l.rego": src("package reaper.lib.clock", `fresh := true if input.instance.tags.env == "never"`),
			"p.rego": src("package reaper.lib", `clock[k] := true if { k := "fresh"; `+deadlineNs+` > `+timeNowNs+` }`)},
		"kept while the deadline holds": {"c.rego": src("package reaper.custom",
			`m.live := true if input.instance.tags.env == "never"`,
			`m[k] := true if { k := "live"; `+deadlineNs+` > `+timeNowNs+` }`,
			`terminate contains "prod" if input.instance.tags.env == "prod"`,
			`exempt contains "live" if m.live`)},
	} {
		t.Run(name, func(t *testing.T) {
			if e := sameAsPlainOverTime(t, files); e.cache == nil {
				t.Errorf("cache off: %s", e.set.guards.off)
			}
		})
	}
}

// TestFoldingSeesRulesOfOtherPackages: a rule that reads nothing (flag) is folded, but a rule
// of a parent package whose path holds a variable (clock[k]) can give the same path a value
// from the instance. Folding it would hide that value: here, its conflict with flag, an
// evaluation error for prod instances, became a decision to terminate.
func TestFoldingSeesRulesOfOtherPackages(t *testing.T) {
	sameAsPlainOverTime(t, map[string]string{
		"c.rego": src("package reaper.custom",
			`terminate contains "all" if input.instance.tags.env != ""`,
			`exempt contains "flag" if data.reaper.lib.clock.flag == 2`),
		"l.rego": src("package reaper.lib.clock", `flag := 1`),
		"p.rego": src("package reaper.lib", `clock[k] := 2 if { k := "flag"; input.instance.tags.env == "prod" }`),
	})
}

// TestDecisionCacheSetsFedByOtherPackages: a policy's set also holds what a rule of a parent
// package adds to it through a variable in its path (expiry[k] contains ...); when that rule
// reads time, the set is not time-free.
func TestDecisionCacheSetsFedByOtherPackages(t *testing.T) {
	e := sameAsPlainOverTime(t, map[string]string{
		"c.rego": src("package reaper.team.expiry",
			`terminate contains "soon" if { input.instance.tags.env == "prod"; `+deadlineNs+` < `+timeNowNs+` + 200*3600000000000 }`,
			`warn contains "never" if input.instance.tags.env == "never"`),
		"p.rego": src("package reaper.team",
			`exempt contains "never" if input.instance.tags.env == "never"`,
			`expiry[k] contains msg if { k := "warn"; msg := sprintf("passed: %v", [`+deadlineNs+` < `+timeNowNs+`]) }`),
	})
	if e.cache != nil || !strings.Contains(e.set.guards.off, "adds to it") {
		t.Errorf("cache on (off = %q): no guard is derived for expiry[k]", e.set.guards.off)
	}
}

// TestDecisionCacheTimeThroughEveryRoute: time reaching a set through every, a library package,
// a whole package read as a value, a default rule and an else chain, a function with else,
// expires_at, a partial object, a dynamic package name, a template string, comprehensions, an
// imported alias of input.now, walk and object.get over input, and a function given all of
// input: cached and folded decisions equal plain ones as now passes every deadline.
func TestDecisionCacheTimeThroughEveryRoute(t *testing.T) {
	pkg := "package reaper.custom"
	lib := src("package reaper.lib.clock", `now_ns := `+timeNowNs, `before(d, h) if time.parse_rfc3339_ns(d) > now_ns - h*3600000000000`)
	for name, files := range map[string]map[string]string{
		"every": {"c.rego": src(pkg,
			`terminate contains "every" if { every d in [input.instance.tags.deadline] { time.parse_rfc3339_ns(d) < `+timeNowNs+` } }`,
			`exempt contains "every" if { input.instance.tags.env == "prod"; every d in [input.instance.tags.deadline] { time.parse_rfc3339_ns(d) > `+timeNowNs+` - 3600000000000*10 } }`)},
		"library": {"l.rego": lib, "c.rego": src(pkg,
			`terminate contains "lib" if { `+deadlineNs+` < data.reaper.lib.clock.now_ns }`,
			`exempt contains "lib" if { input.instance.tags.env == "prod"; data.reaper.lib.clock.before(input.instance.tags.deadline, 20) }`)},
		"whole package": {"l.rego": lib, "c.rego": src(pkg,
			`terminate contains "pkg" if { x := data.reaper.lib.clock; `+deadlineNs+` < x.now_ns }`,
			`exempt contains "pkg" if { input.instance.tags.env == "prod"; x := data.reaper.lib; `+deadlineNs+` > x.clock.now_ns - 72000000000000 }`)},
		"dynamic package": {"l.rego": lib, "c.rego": src(pkg,
			`terminate contains "dyn" if { some p in ["clock"]; `+deadlineNs+` < data.reaper.lib[p].now_ns }`)},
		"default and else": {"c.rego": src(pkg,
			`default state := "ok"`,
			`state := "expired" if { `+deadlineNs+` < `+timeNowNs+` } else := "soon" if { `+deadlineNs+` < `+timeNowNs+` + 36000000000000 }`,
			`terminate contains "state" if state == "expired"`,
			`exempt contains "soon" if { input.instance.tags.env == "prod"; state == "soon" }`,
			`f(d) := "x" if { time.parse_rfc3339_ns(d) < `+timeNowNs+` } else := "y"`,
			`warn contains "f" if f(input.instance.tags.deadline) == "x"`)},
		"expires_at and age": {"c.rego": src(pkg,
			`terminate contains "exp" if { time.parse_rfc3339_ns(input.instance.expires_at) < `+timeNowNs+` }`,
			`exempt contains "young" if { input.instance.tags.env == "prod"; input.instance.age_seconds < 40*3600 }`)},
		"partial object": {"c.rego": src(pkg,
			`deadlines[k] := v if { some k, v in input.instance.tags; k == "deadline"; time.parse_rfc3339_ns(v) > `+timeNowNs+` }`,
			`terminate contains "obj" if not deadlines.deadline`,
			`exempt contains "obj" if { input.instance.tags.env == "prod"; deadlines.deadline }`)},
		"template string": {"c.rego": src(pkg,
			`terminate contains "tmpl" if { s := $"{input.now}"; `+deadlineNs+` < time.parse_rfc3339_ns(s) }`)},
		"comprehensions": {"c.rego": src(pkg,
			`terminate contains "comp" if { count({n | n := `+timeNowNs+`; n > `+deadlineNs+`}) > 0 }`,
			`exempt contains "comp" if { input.instance.tags.env == "prod"; [1 | `+timeNowNs+` < `+deadlineNs+` + 72000000000000] != [] }`)},
		"import alias": {"c.rego": src(pkg, "import input.now as clock",
			`terminate contains "imp" if { `+deadlineNs+` < time.parse_rfc3339_ns(clock) }`)},
		"walk over input": {"c.rego": src(pkg,
			`terminate contains "walk" if { walk(input, [["now"], n]); `+deadlineNs+` < time.parse_rfc3339_ns(n) }`)},
		"object.get over input": {"c.rego": src(pkg,
			`terminate contains "og" if { object.get(input, "now", "") > input.instance.tags.deadline }`)},
		"function given input": {"c.rego": src(pkg,
			`age_h(i) := (time.parse_rfc3339_ns(i.now) - time.parse_rfc3339_ns(i.instance.created_at)) / 3600000000000`,
			`terminate contains "age" if age_h(input) > 50`,
			`exempt contains "age" if { input.instance.tags.env == "prod"; age_h(input) > 60 }`)},
	} {
		t.Run(name, func(t *testing.T) {
			if e := sameAsPlainOverTime(t, files); e.cache == nil {
				t.Errorf("cache off: %s", e.set.guards.off)
			}
		})
	}
}
