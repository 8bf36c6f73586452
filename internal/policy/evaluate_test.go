package policy

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/reaper-bmc/reaper/policies"
)

func loadBundled(t *testing.T) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatalf("Load(bundled): %v", err)
	}
	return e
}

func TestEvaluateBundled(t *testing.T) {
	e := loadBundled(t)
	day := 24 * time.Hour
	idleTraffic := &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: 1200, OutP95Bps: 800}
	tests := []struct {
		name      string
		in        Instance
		params    map[string]any
		terminate []Reason
		exempt    []string
		warn      []string
		candidate bool
	}{
		{name: "plain", in: instance("1", 30*day, map[string]string{"owner": "ci"})},
		{
			name:      "expired date",
			in:        instance("1", day, map[string]string{"reaper-expires-at": "2026-11-25"}),
			terminate: []Reason{{Policy: "reaper.expiry", Reason: "tag reaper-expires-at=2026-11-25 has passed"}},
			candidate: true,
		},
		{
			name:      "ttl reached",
			in:        instance("1", 7*day, map[string]string{"reaper-ttl": "7d"}),
			terminate: []Reason{{Policy: "reaper.expiry", Reason: "age 168h reached tag reaper-ttl=7d"}},
			candidate: true,
		},
		{
			name: "malformed ttl only warns",
			in:   instance("1", 700*day, map[string]string{"reaper-ttl": "forever"}),
			warn: []string{"reaper.expiry"},
		},
		{
			name: "idle",
			in: func() Instance {
				in := instance("1", 8*day, nil)
				in.Traffic = idleTraffic
				return in
			}(),
			terminate: []Reason{{Policy: "reaper.idle", Reason: "p95 in 1200 bps, out 800 bps over 72h (threshold 100000 bps)"}},
			candidate: true,
		},
		{
			name: "idle but kept",
			in: func() Instance {
				in := instance("1", 8*day, map[string]string{"reaper-keep": "true"})
				in.Traffic = idleTraffic
				return in
			}(),
			terminate: []Reason{{Policy: "reaper.idle", Reason: "p95 in 1200 bps, out 800 bps over 72h (threshold 100000 bps)"}},
			exempt:    []string{"reaper.keep"},
		},
		{
			name: "incomplete traffic is never idle",
			in: func() Instance {
				in := instance("1", 80*day, nil)
				tr := *idleTraffic
				tr.Complete = false
				in.Traffic = &tr
				return in
			}(),
		},
		{
			name: "failed build",
			in: func() Instance {
				in := instance("1", 6*time.Hour, nil)
				in.Status = "INSTALL_FAILED"
				return in
			}(),
			terminate: []Reason{{Policy: "reaper.failed", Reason: "status INSTALL_FAILED, created 6h ago (threshold 6h)"}},
			candidate: true,
		},
		{
			name:      "required tag configured",
			in:        instance("1", 3*day, map[string]string{"owner": " "}),
			params:    map[string]any{"tags": map[string]any{"required": []any{"owner"}}},
			terminate: []Reason{{Policy: "reaper.tags", Reason: `required tag "owner" is missing or empty after the 72h grace period`}},
			candidate: true,
		},
		{
			name:   "required tag within grace",
			in:     instance("1", 3*day-time.Second, nil),
			params: map[string]any{"tags": map[string]any{"required": []any{"owner"}}},
		},
		{
			name: "several policies at once",
			in: func() Instance {
				in := instance("1", 10*day, map[string]string{"reaper-ttl": "1d", "reaper-expires-at": "2026-01-01T00:00:00Z", "reaper-keep": "ture"})
				in.Status = "CREATE_FAILED"
				return in
			}(),
			terminate: []Reason{
				{Policy: "reaper.expiry", Reason: "age 240h reached tag reaper-ttl=1d"},
				{Policy: "reaper.expiry", Reason: "tag reaper-expires-at=2026-01-01T00:00:00Z has passed"},
				{Policy: "reaper.failed", Reason: "status CREATE_FAILED, created 240h ago (threshold 6h)"},
			},
			warn:      []string{"reaper.keep"},
			candidate: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := evaluateOne(t, e, tt.params, tt.in)
			if d.Err != nil {
				t.Fatalf("Err = %v", d.Err)
			}
			if d.InstanceID != tt.in.ID {
				t.Errorf("InstanceID = %q, want %q", d.InstanceID, tt.in.ID)
			}
			if diff := cmp.Diff(tt.terminate, d.Terminate, cmp.Comparer(func(a, b []Reason) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
				t.Errorf("Terminate mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(nonNil(tt.exempt), policiesOf(d.Exempt)); diff != "" {
				t.Errorf("Exempt policies mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(nonNil(tt.warn), policiesOf(d.Warn)); diff != "" {
				t.Errorf("Warn policies mismatch (-want +got):\n%s (warnings %v)", diff, d.Warn)
			}
			if got := d.Candidate(); got != tt.candidate {
				t.Errorf("Candidate() = %v, want %v", got, tt.candidate)
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestEvaluateExemptionWinsAndWarningsChangeNothing(t *testing.T) {
	e := loadPolicies(t, map[string]string{
		"a.rego": src("package reaper.a", `terminate contains "old" if input.instance.age_seconds > 10`),
		"b.rego": src("package reaper.b", `terminate contains "named" if input.instance.name == "x"`),
		"k.rego": src("package reaper.k", `exempt contains "pet" if input.instance.tags.pet == "yes"`),
		"w.rego": src("package reaper.w", `warn contains "odd" if input.instance.zone == "odd"`),
	})
	old := instance("1", time.Minute, map[string]string{"pet": "yes"})
	old.Name = "x"
	d := evaluateOne(t, e, nil, old)
	if got := len(d.Terminate); got != 2 {
		t.Errorf("terminate reasons = %v, want 2 (both policies)", d.Terminate)
	}
	if d.Candidate() {
		t.Errorf("Candidate() = true with exemption %v, want false", d.Exempt)
	}

	warned := instance("2", 0, nil)
	warned.Zone = "odd"
	d = evaluateOne(t, e, nil, warned)
	want := Decision{InstanceID: "2", Warn: []Reason{{Policy: "reaper.w", Reason: "odd"}}}
	if diff := cmp.Diff(want, d, cmp.Comparer(errorsEqual)); diff != "" {
		t.Errorf("warn-only decision mismatch (-want +got):\n%s", diff)
	}
	if d.Candidate() {
		t.Error("a warning made the instance a candidate")
	}
}

func errorsEqual(a, b error) bool { return (a == nil) == (b == nil) }

func TestEvaluateObjectReasons(t *testing.T) {
	e := loadPolicies(t, map[string]string{
		"a.rego": src("package reaper.a",
			`terminate contains {"reason": "too old", "age": input.instance.age_seconds, "tags": input.instance.tags} if input.instance.age_seconds > 10`),
	})
	d := evaluateOne(t, e, nil, instance("1", time.Minute, map[string]string{"team": "x"}))
	want := []Reason{{Policy: "reaper.a", Reason: "too old", Details: map[string]any{"age": json.Number("60"), "tags": map[string]any{"team": "x"}}}}
	if diff := cmp.Diff(want, d.Terminate); diff != "" {
		t.Errorf("object reason mismatch (-want +got):\n%s", diff)
	}
}

func TestEvaluateReasonWithoutTextIsAnInstanceError(t *testing.T) {
	e := loadPolicies(t, map[string]string{
		"a.rego": src("package reaper.a",
			`terminate contains input.instance.name if input.instance.zone == "name"`,
			`terminate contains r if { input.instance.zone == "object"; r := {"why": input.instance.name} }`,
			`terminate contains {"reason": input.instance.age_seconds} if input.instance.zone == "number"`,
			`terminate contains input.instance.age_seconds if input.instance.zone == "bare-number"`,
			`terminate contains "fine" if input.instance.zone != "ok"`,
			`warn contains input.instance.hostname if input.instance.zone == "warn"`),
	})
	for _, zone := range []string{"name", "object", "number", "bare-number", "warn"} {
		t.Run(zone, func(t *testing.T) {
			in := instance("1", time.Hour, nil)
			in.Zone = zone
			in.Name = ""
			in.Hostname = " \t"
			d := evaluateOne(t, e, nil, in)
			var reasonErr *ReasonError
			if !errors.As(d.Err, &reasonErr) {
				t.Fatalf("Err = %v, want a *ReasonError", d.Err)
			}
			var evalErr *EvalError
			if !errors.As(d.Err, &evalErr) || evalErr.InstanceID != "1" {
				t.Errorf("Err = %v, want an *EvalError for instance 1", d.Err)
			}
			if reasonErr.Policy != "reaper.a" {
				t.Errorf("ReasonError.Policy = %q, want reaper.a", reasonErr.Policy)
			}
			if d.Candidate() || len(d.Terminate)+len(d.Exempt)+len(d.Warn) != 0 {
				t.Errorf("decision with an error = %+v, want no reasons and no candidate", d)
			}
		})
	}
	ok := instance("2", time.Hour, nil)
	ok.Zone = "ok"
	ok.Name = "named"
	if d := evaluateOne(t, e, nil, ok); d.Err != nil {
		t.Errorf("instance without a bad reason: Err = %v", d.Err)
	}
}

// strictPolicy terminates unless exempted, where the exemption check hits a builtin error for
// a tag that is not a number.
var strictPolicy = map[string]string{
	"a.rego": src("package reaper.a",
		`terminate contains "not exempt" if not exempted`,
		`exempted if to_number(input.instance.tags.limit) > 10`),
}

func TestEvaluateBuiltinErrorNeverTerminates(t *testing.T) {
	e := loadPolicies(t, strictPolicy)
	d := evaluateOne(t, e, nil, instance("1", time.Hour, map[string]string{"limit": "lots"}))
	if d.Err == nil || !strings.Contains(d.Err.Error(), "to_number") {
		t.Errorf("Err = %v, want the to_number builtin error", d.Err)
	}
	if d.Candidate() || len(d.Terminate) != 0 {
		t.Errorf("a builtin error under `not` gave %+v, want no terminate", d)
	}
	if d := evaluateOne(t, e, nil, instance("2", time.Hour, map[string]string{"limit": "3"})); !d.Candidate() {
		t.Errorf("a valid limit of 3 gave %+v, want a candidate", d)
	}

	// The same policy without strict builtin errors would terminate: the test above is
	// only meaningful because of the engine's setting.
	rs, err := rego.New(rego.Query("data.reaper.a.terminate"), rego.Module("a.rego", strictPolicy["a.rego"]),
		rego.Input(map[string]any{"instance": map[string]any{"tags": map[string]any{"limit": "lots"}}}),
	).Eval(context.Background())
	if err != nil || len(rs) != 1 || len(rs[0].Expressions[0].Value.([]any)) != 1 {
		t.Errorf("without strict builtin errors: results %v, error %v; want one terminate reason", rs, err)
	}
}

func TestEvaluateOneBadInstanceDoesNotSpoilOthers(t *testing.T) {
	e := loadPolicies(t, strictPolicy)
	var fleet []Instance
	for i := range 300 {
		limit := "3"
		if i%7 == 0 {
			limit = "bad"
		}
		fleet = append(fleet, instance(strconv.Itoa(i), time.Hour, map[string]string{"limit": limit}))
	}
	ds, err := e.Evaluate(context.Background(), testNow, nil, fleet)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		if bad := i%7 == 0; bad != (d.Err != nil) || bad == d.Candidate() {
			t.Errorf("instance %d: Err = %v, Candidate() = %v", i, d.Err, d.Candidate())
		}
	}
}

func TestEvaluateKeepsInputOrderAndIsDeterministic(t *testing.T) {
	e := loadBundled(t)
	fleet := syntheticFleet(2000)
	first, err := e.Evaluate(context.Background(), testNow, nil, fleet)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range first {
		if d.InstanceID != fleet[i].ID {
			t.Fatalf("decision %d is for %s, want %s", i, d.InstanceID, fleet[i].ID)
		}
	}
	second, err := e.Evaluate(context.Background(), testNow, nil, fleet)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second, cmp.Comparer(errorsEqual)); diff != "" {
		t.Errorf("two evaluations differ (-first +second):\n%s", diff)
	}
	candidates := 0
	for _, d := range first {
		if d.Candidate() {
			candidates++
		}
	}
	if candidates == 0 || candidates == len(first) {
		t.Errorf("%d of %d synthetic instances are candidates, want some but not all", candidates, len(first))
	}
}

func TestEvaluateEmptyFleet(t *testing.T) {
	ds, err := loadBundled(t).Evaluate(context.Background(), testNow, nil, nil)
	if err != nil || len(ds) != 0 {
		t.Errorf("Evaluate(no instances) = %v, %v; want no decisions and no error", ds, err)
	}
}

func TestEvaluateCancelled(t *testing.T) {
	e := loadBundled(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ds, err := e.Evaluate(ctx, testNow, nil, syntheticFleet(10))
	if !errors.Is(err, context.Canceled) || ds != nil {
		t.Errorf("Evaluate(cancelled ctx) = %d decisions, %v; want none and context.Canceled", len(ds), err)
	}
}

func TestEvaluateCancelledMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// print() reaches the logger; the handler cancels ctx at the first instance it sees.
	logger := slog.New(&funcHandler{handle: func(r slog.Record) { cancel() }})
	dir := writePolicies(t, map[string]string{
		"a.rego": src("package reaper.a", "terminate contains \"x\" if {", "\tprint(input.instance.id)", "\tinput.instance.age_seconds > 0", "}"),
	})
	e, err := Load(context.Background(), Options{Dir: dir, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := e.Evaluate(ctx, testNow, nil, syntheticFleet(5000))
	if !errors.Is(err, context.Canceled) || ds != nil {
		t.Errorf("Evaluate cancelled midway = %d decisions, %v; want none and context.Canceled", len(ds), err)
	}
}

func TestEvaluatePrintGoesToDebugLog(t *testing.T) {
	var mu sync.Mutex
	var records []slog.Record
	logger := slog.New(&funcHandler{handle: func(r slog.Record) {
		mu.Lock()
		defer mu.Unlock()
		records = append(records, r)
	}})
	dir := writePolicies(t, map[string]string{
		"a.rego": src("package reaper.a", "warn contains \"x\" if {", `	print("tags", input.instance.tags)`, "\ttrue", "}"),
	})
	e, err := Load(context.Background(), Options{Dir: dir, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	evaluateOne(t, e, nil, instance("42", 0, map[string]string{"a": "b"}))
	var prints []slog.Record
	for _, r := range records {
		if r.Message == "policy print" {
			prints = append(prints, r)
		}
	}
	if len(prints) != 1 {
		t.Fatalf("got %d policy print records, want 1", len(prints))
	}
	r := prints[0]
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	if r.Level != slog.LevelDebug || attrs["instance_id"] != "42" || attrs["message"] != `tags {"a": "b"}` || !strings.HasSuffix(attrs["location"], "a.rego:3") {
		t.Errorf("print record = level %v, attrs %v; want debug, instance 42, the message and a.rego:3", r.Level, attrs)
	}
}

// funcHandler is a slog.Handler that calls handle for every record, at every level.
type funcHandler struct{ handle func(slog.Record) }

func (h *funcHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *funcHandler) Handle(_ context.Context, r slog.Record) error {
	h.handle(r)
	return nil
}
func (h *funcHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *funcHandler) WithGroup(string) slog.Handler      { return h }

func TestEvaluateMergesParamsOverDefaults(t *testing.T) {
	e := loadBundled(t)
	in := instance("1", 4*24*time.Hour, nil)
	if d := evaluateOne(t, e, nil, in); len(d.Terminate) != 0 {
		t.Fatalf("default params: terminate = %v, want none (tags.required is empty)", d.Terminate)
	}
	d := evaluateOne(t, e, map[string]any{"tags": map[string]any{"required": []any{"owner"}}}, in)
	if got := policiesOf(d.Terminate); !cmp.Equal(got, []string{"reaper.tags"}) {
		t.Errorf("with tags.required [owner]: terminate = %v, want reaper.tags (grace from the defaults)", d.Terminate)
	}
	if len(d.Warn) != 0 {
		t.Errorf("with a partial override: warnings %v, want none (the other defaults stay)", d.Warn)
	}
}

func TestEvaluateBadParams(t *testing.T) {
	_, err := loadBundled(t).Evaluate(context.Background(), testNow, map[string]any{"x": make(chan int)}, syntheticFleet(1))
	if err == nil {
		t.Error("Evaluate with params that are not JSON-like succeeded")
	}
}
