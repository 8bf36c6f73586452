package policy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

func TestInputValueIsTheJSONDocument(t *testing.T) {
	expires := time.Date(2027, 1, 2, 3, 4, 5, 600, time.UTC)
	months, renew := 12, true
	full := Instance{
		ID: "932237369560662463", Name: "ci-runner-1", Hostname: "ci-runner-1", Zone: "HKG-A", Type: "S9I",
		Status: "RUNNING", ChargeType: "PREPAID", InternetChargeType: "ByBandwidth",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		ExpiresAt: &expires, AutoRenew: &renew, PeriodMonths: &months,
		ResourceGroup: ResourceGroup{ID: "rg-1", Name: "Default Resource Group"},
		Tags:          map[string]string{"owner": "ci", "": "empty key", "ünï": "cödé"},
		TagList:       []Tag{{"owner", "ci"}, {"ünï", "cödé"}, {"owner", "cd"}, {" Reaper-Keep", " yes "}, {"reaper-keep", "no"}, {"reaper-", ""}},
		PublicIPs:     []string{"203.0.113.10"}, PrivateIPs: []string{"10.0.0.1", "10.0.0.2"},
		Traffic: &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: 1, OutP95Bps: 2, InAvgBps: 3, OutAvgBps: 4},
	}
	empty := Instance{ID: "1"}
	for name, in := range map[string]Instance{"full": full, "empty": empty} {
		t.Run(name, func(t *testing.T) {
			doc := map[string]any{"now": "2026-11-26T08:00:00Z", "params": map[string]any{"a": 1}, "instance": in}
			raw, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ast.ValueFromReader(bytesReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			inst := want.(ast.Object).Get(ast.StringTerm("instance")).Value.(ast.Object)
			if in.Tags == nil { // the engine gives empty collections where JSON gives null
				fixEmpty(t, want)
			}
			// derived: reaper-owned keys, trimmed and in lower case, to the set of their values
			reaper := ast.NewObject()
			if in.TagList != nil {
				reaper.Insert(ast.StringTerm("reaper-keep"), ast.SetTerm(ast.StringTerm("yes"), ast.StringTerm("no")))
				reaper.Insert(ast.StringTerm("reaper-"), ast.SetTerm(ast.StringTerm("")))
			}
			inst.Insert(ast.StringTerm("reaper_tags"), ast.NewTerm(reaper))
			if in.CreatedAt.IsZero() { // unknown, not the year 1
				inst.Insert(ast.StringTerm("created_at"), ast.NullTerm())
			} else { // derived from now and created_at
				inst.Insert(ast.StringTerm("age_seconds"), ast.IntNumberTerm(28356955))
			}
			params := ast.MustInterfaceToValue(map[string]any{"a": 1})
			got := inputValue(testShared(t, "2026-11-26T08:00:00Z"), ast.NewTerm(params), &in, instanceFields)
			if got.Compare(want) != 0 {
				t.Errorf("input document mismatch:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestInputTimesAreUTC(t *testing.T) {
	in := Instance{CreatedAt: time.Date(2026, 1, 2, 10, 4, 5, 0, time.FixedZone("HKT", 8*3600))}
	doc := inputValue(testShared(t, "2026-11-26T08:00:00Z"), ast.NullTerm(), &in, instanceFields).(ast.Object)
	got := doc.Get(ast.StringTerm("instance")).Value.(ast.Object).Get(ast.StringTerm("created_at"))
	if want := ast.StringTerm("2026-01-02T02:04:05Z"); !got.Equal(want) {
		t.Errorf("created_at = %v, want %v", got, want)
	}
}

// testShared is what Evaluate gives every worker, at now.
func testShared(t *testing.T, now string) shared {
	t.Helper()
	at, err := time.Parse(time.RFC3339, now)
	if err != nil {
		t.Fatal(err)
	}
	return shared{time: at, now: ast.StringTerm(now)}
}

// TestAgeIsDerivedFromNowAndCreatedAt: age_seconds is the engine's, from now and created_at;
// without created_at it is absent, so that no rule on age can fire (issue 11).
func TestAgeIsDerivedFromNowAndCreatedAt(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 500, time.UTC)
	tests := []struct {
		name    string
		created time.Time
		want    *ast.Term // nil: absent
	}{
		{"one day", now.Add(-24 * time.Hour), ast.IntNumberTerm(86400)},
		{"just under a second", now.Add(-999 * time.Millisecond), ast.IntNumberTerm(0)},
		{"exactly a second", now.Add(-time.Second), ast.IntNumberTerm(1)},
		{"created after now", now.Add(time.Hour), ast.IntNumberTerm(0)},
		{"beyond time.Duration", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), ast.InternedTerm(now.Unix() - time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())},
		{"unknown", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Instance{ID: "1", CreatedAt: tt.created}
			doc := inputValue(shared{time: now, now: ast.StringTerm(formatTime(now))}, ast.NullTerm(), &in, instanceFields).(ast.Object)
			got := doc.Get(ast.StringTerm("instance")).Value.(ast.Object).Get(ast.StringTerm("age_seconds"))
			if (got == nil) != (tt.want == nil) || got != nil && !got.Equal(tt.want) {
				t.Errorf("age_seconds = %v, want %v", got, tt.want)
			}
		})
	}
}

func fixEmpty(t *testing.T, doc ast.Value) {
	t.Helper()
	inst := doc.(ast.Object).Get(ast.StringTerm("instance")).Value.(ast.Object)
	inst.Insert(ast.StringTerm("tags"), ast.ObjectTerm())
	inst.Insert(ast.StringTerm("tag_list"), ast.ArrayTerm())
	inst.Insert(ast.StringTerm("public_ips"), ast.ArrayTerm())
	inst.Insert(ast.StringTerm("private_ips"), ast.ArrayTerm())
}

func TestInputFieldsOnlyWhatPoliciesRead(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"constant fields", src("package reaper.a",
			`terminate contains "x" if input.instance.tags.owner == input.instance.name`,
			`warn contains "y" if input.params.x == input.now`),
			[]string{"name", "tags"}},
		{"dynamic field", src("package reaper.a",
			`terminate contains "x" if { some k in ["name", "zone"]; input.instance[k] == "a" }`),
			allFieldNames()},
		{"whole instance", src("package reaper.a",
			`terminate contains "x" if { i := input.instance; i.zone == "a" }`),
			allFieldNames()},
		{"whole input", src("package reaper.a",
			`terminate contains "x" if { d := input; d.instance.zone == "a" }`),
			allFieldNames()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := loadPolicies(t, map[string]string{"a.rego": tt.src})
			var got []string
			for _, f := range e.set.fields {
				got = append(got, f.name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("instance fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func allFieldNames() []string {
	var out []string
	for _, f := range instanceFields {
		out = append(out, f.name)
	}
	return out
}

func TestBundledPoliciesReadFewFields(t *testing.T) {
	var got []string
	for _, f := range loadBundled(t).set.fields {
		got = append(got, f.name)
	}
	want := []string{"status", "age_seconds", "tags", "tag_list", "reaper_tags", "traffic"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields the bundled policies read (-want +got):\n%s", diff)
	}
}
