package plan

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

const dg = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

func sample(t *testing.T) (*Plan, []byte) {
	t.Helper()
	dueAt := t0.Add(-time.Hour)
	due := func(in *zen.Instance, a reconcile.Action, at time.Time, r policy.Reason) reconcile.Entry {
		e := reconcile.Entry{Instance: in, Action: a}
		e.SetDueAt(&at)
		e.SetTerminate([]policy.Reason{r})
		return e
	}
	res := &reconcile.Result{RunID: "20261203T100000Z-abcd", InventorySize: 5, Entries: []reconcile.Entry{
		due(&zen.Instance{ID: "2", Name: "b", Status: zen.StatusRunning}, reconcile.ActionWouldTerminate, dueAt,
			policy.Reason{Policy: "reaper.expiry", Reason: "expired <2026-12-01>"}),
		due(&zen.Instance{ID: "1", Name: "a", Status: zen.StatusStopped}, reconcile.ActionBlocked, dueAt,
			policy.Reason{Policy: "reaper.idle", Reason: "idle"}),
		{Instance: &zen.Instance{ID: "3"}, Action: reconcile.ActionMarked},
		{Instance: &zen.Instance{ID: "4"}, Action: reconcile.ActionKept},
	}}
	p := Build(res, Meta{Now: t0.Add(500 * time.Millisecond), TTL: 24 * time.Hour, Endpoint: "http://127.0.0.1:1", ConfigDigest: dg, PolicyDigest: dg})
	b, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

func TestBuildAndRoundTrip(t *testing.T) {
	p, b := sample(t)
	if len(p.Items) != 2 || p.Items[0].ID != "1" || p.Items[1].ID != "2" {
		t.Fatalf("items = %+v, want the due (would_terminate, blocked) sorted by ID", p.Items)
	}
	if !p.CreatedAt.Equal(t0) || !p.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("created %s expires %s", p.CreatedAt, p.ExpiresAt)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, b)
	}
	if got.Digest != p.Digest || len(got.Items) != 2 || got.Items[1].Reasons[0].Reason != "expired <2026-12-01>" {
		t.Errorf("round trip: %+v", got)
	}
	if !bytes.Contains(b, []byte("expired <2026-12-01>")) {
		t.Errorf("reasons are HTML-escaped in the file:\n%s", b)
	}
	// Reformatting is not an edit.
	var compact bytes.Buffer
	for _, l := range strings.Split(string(b), "\n") {
		compact.WriteString(strings.TrimSpace(l))
	}
	if _, err := Parse(compact.Bytes()); err != nil {
		t.Errorf("reformatted plan refused: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	_, b := sample(t)
	s := string(b)
	cases := []struct {
		name, file, want string
	}{
		{"one byte of an ID", strings.Replace(s, `"id": "2"`, `"id": "3"`, 1), "was edited"},
		{"a reason", strings.Replace(s, "idle", "idlf", 1), "was edited"},
		{"inventory size", strings.Replace(s, `"inventory_size": 5`, `"inventory_size": 6`, 1), "was edited"},
		{"the digest", strings.Replace(s, `"digest": "sha256:`, `"digest": "sha256:0`, 1), "digest"},
		{"unknown field", strings.Replace(s, `"plan_version": 1,`, `"plan_version": 1, "force": true,`, 1), `unknown field "force"`},
		{"wrong version", strings.Replace(s, `"plan_version": 1,`, `"plan_version": 2,`, 1), "plan_version 2 is not supported"},
		{"no version", strings.Replace(s, `"plan_version": 1,`, ``, 1), "no plan_version"},
		{"missing member", strings.Replace(s, `"endpoint": "http://127.0.0.1:1",`, ``, 1), "no endpoint"},
		{"trailing data", s + "{}", "not a plan file"},
		{"not JSON", "hello", "not a plan file"},
		{"float size", strings.Replace(s, `"inventory_size": 5`, `"inventory_size": 5e0`, 1), "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.file == s {
				t.Fatal("the case did not change the file")
			}
			_, err := Parse([]byte(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	p, _ := sample(t)
	ok := Expect{Now: t0.Add(time.Hour), Endpoint: p.Endpoint, ConfigDigest: dg, PolicyDigest: dg}
	other := "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	if err := p.Check(ok); err != nil {
		t.Fatalf("Check: %v", err)
	}
	cases := []struct {
		name string
		edit func(*Expect)
		want string
	}{
		{"expired", func(e *Expect) { e.Now = t0.Add(24 * time.Hour) }, "expired"},
		{"future", func(e *Expect) { e.Now = t0.Add(-time.Hour) }, "in the future"},
		{"endpoint", func(e *Expect) { e.Endpoint = "https://console.zenlayer.com" }, "endpoint"},
		{"config", func(e *Expect) { e.ConfigDigest = other }, "config digest"},
		{"policy", func(e *Expect) { e.PolicyDigest = other }, "policy digest"},
	}
	for _, c := range cases {
		e := ok
		c.edit(&e)
		if err := p.Check(e); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Check = %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

func TestSelect(t *testing.T) {
	p, _ := sample(t)
	ids := func(items []Item) string {
		var s []string
		for _, it := range items {
			s = append(s, it.ID)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		only, exclude []string
		want, err     string
	}{
		{nil, nil, "1,2", ""},
		{[]string{"2"}, nil, "2", ""},
		{nil, []string{"2"}, "1", ""},
		{[]string{"1", "2"}, []string{"1"}, "2", ""},
		{[]string{"9"}, nil, "", "--only: instance 9 is not in plan"},
		{nil, []string{"9"}, "", "--exclude: instance 9 is not in plan"},
	} {
		got, err := p.Select(c.only, c.exclude)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Select(%v, %v) error = %v, want %q", c.only, c.exclude, err, c.err)
			}
			continue
		}
		if err != nil || ids(got) != c.want {
			t.Errorf("Select(%v, %v) = %s, %v; want %s", c.only, c.exclude, ids(got), err, c.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	base := zen.Instance{ID: "1", Name: "a", Zone: "z", Type: "t", Status: zen.StatusRunning, ChargeType: zen.ChargeType("POSTPAID"),
		TagList: []zen.Tag{{Key: "env", Value: "ci"}, {Key: "owner", Value: "x"}}}
	fp := Fingerprint(base)
	same := base
	same.TagList = []zen.Tag{{Key: "owner", Value: "x"}, {Key: "reaper-terminate-after", Value: "2026-12-10T08:00:00Z"}, {Key: "env", Value: "ci"}, {Key: "reaper-reason", Value: "idle"}}
	same.PublicIPs = []string{"192.0.2.1"}
	if Fingerprint(same) != fp {
		t.Error("tag order, mark tags or IPs changed the fingerprint")
	}
	for name, edit := range map[string]func(*zen.Instance){
		"status":      func(in *zen.Instance) { in.Status = zen.StatusStopped },
		"charge type": func(in *zen.Instance) { in.ChargeType = zen.ChargeType("PREPAID") },
		"tag value": func(in *zen.Instance) {
			in.TagList = []zen.Tag{{Key: "env", Value: "prod"}, {Key: "owner", Value: "x"}}
		},
		"tag added": func(in *zen.Instance) {
			in.TagList = append(append([]zen.Tag{}, in.TagList...), zen.Tag{Key: "reaper-keep", Value: "true"})
		},
		"zone": func(in *zen.Instance) { in.Zone = "y" },
		"type": func(in *zen.Instance) { in.Type = "u" },
		"name": func(in *zen.Instance) { in.Name = "b" },
	} {
		in := base
		edit(&in)
		if Fingerprint(in) == fp {
			t.Errorf("%s did not change the fingerprint", name)
		}
	}
}

// A repeated key's values in another order give the policy another input.instance.tags (its first
// value) and tag_list: the fingerprint must change, as it must for a change in any value of a
// repeated key. Distinct keys in another order change nothing the policy keys on (TestFingerprint).
func TestFingerprintRepeatedKeys(t *testing.T) {
	mk := func(tags ...string) zen.Instance {
		in := zen.Instance{ID: "1", Name: "a", Zone: "z", Type: "t", Status: zen.StatusRunning}
		for i := 0; i < len(tags); i += 2 {
			in.TagList = append(in.TagList, zen.Tag{Key: tags[i], Value: tags[i+1]})
		}
		return in
	}
	base := mk("env", "dev", "owner", "x", "env", "prod")
	fp := Fingerprint(base)
	for _, c := range []struct {
		name string
		in   zen.Instance
		same bool
	}{
		{"distinct keys moved", mk("owner", "x", "env", "dev", "env", "prod"), true},
		{"mark tag between the repeats", mk("env", "dev", "reaper-reason", "idle", "owner", "x", "env", "prod"), true},
		// Mark keys spelt otherwise are no policy input either (reconcile.IsMarkTag), and the mark
		// step replaces them with the canonical keys between an approve cycle's plan and its apply.
		{"mark keys spelt otherwise", mk("env", "dev", " Reaper-Reason", "idle", "owner", "x", "REAPER-TERMINATE-AFTER ", "2026-12-10T08:00:00Z", "env", "prod"), true},
		{"repeated key's values swapped (first value now prod)", mk("env", "prod", "owner", "x", "env", "dev"), false},
		{"second value changed", mk("env", "dev", "owner", "x", "env", "qa"), false},
		{"second value dropped", mk("env", "dev", "owner", "x"), false},
		{"value repeated", mk("env", "dev", "owner", "x", "env", "prod", "env", "prod"), false},
		{"empty second value", mk("env", "dev", "owner", "x", "env", ""), false},
		{"case near miss", mk("env", "dev", "owner", "x", "Env", "prod"), false},
	} {
		if got := Fingerprint(c.in) == fp; got != c.same {
			t.Errorf("%s: same fingerprint = %v, want %v", c.name, got, c.same)
		}
	}
}

func TestCanonical(t *testing.T) {
	got, err := Canonical(map[string]any{"b": []any{1, "<x>"}, "a": map[string]any{"d": 1, "c": "\u2028"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"c":"\u2028","d":1},"b":[1,"<x>"]}`; string(got) != want {
		t.Errorf("Canonical = %s, want %s", got, want)
	}
}

func TestConfigDigest(t *testing.T) {
	s := reconcile.Settings{Mode: reconcile.ModeDryRun, GracePeriod: time.Hour, MaxTerminationsPerRun: 3, Params: map[string]any{"x": 1}}
	a, err := ConfigDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	s.Mode, s.CallTimeout = reconcile.ModeApprove, time.Minute
	if b, _ := ConfigDigest(s); b != a {
		t.Error("mode or call timeout changed the config digest")
	}
	s.GracePeriod = 2 * time.Hour
	if b, _ := ConfigDigest(s); b == a {
		t.Error("grace period did not change the config digest")
	}
	s.GracePeriod = time.Hour
	s.Protect.Tags = map[string]string{"keep": "1"}
	if b, _ := ConfigDigest(s); b == a {
		t.Error("protect tags did not change the config digest")
	}
}
