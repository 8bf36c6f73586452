package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyEvalDerivesAge is from issue 11: `policy eval --now T` used to trust the document's
// age_seconds. The engine derives the age from --now and created_at, whatever the document says,
// and an instance without created_at has no age at all (no rule on age fires).
func TestPolicyEvalDerivesAge(t *testing.T) {
	tests := []struct {
		name, doc, now string
		candidate      bool
	}{
		{"document says young, created_at says old", `"created_at":"2026-01-01T00:00:00Z","age_seconds":1`, "2026-11-26T08:00:00Z", true},
		{"document says old, created_at says young", `"created_at":"2026-11-26T00:00:00Z","age_seconds":99999999`, "2026-11-26T08:00:00Z", false},
		{"now before the ttl", `"created_at":"2026-01-01T00:00:00Z"`, "2026-01-07T23:59:59Z", false},
		{"now at the ttl", `"created_at":"2026-01-01T00:00:00Z"`, "2026-01-08T00:00:00Z", true},
		{"no created_at, huge document age", `"age_seconds":99999999`, "2026-11-26T08:00:00Z", false},
		{"null created_at", `"created_at":null`, "2026-11-26T08:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := filepath.Join(t.TempDir(), "instance.json")
			body := `{"id":"1","name":"ci","status":"RUNNING","charge_type":"POSTPAID",` + tt.doc + `,"tags":{"reaper-ttl":"7d"}}`
			if err := os.WriteFile(doc, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			r := reaper(t, "policy", "eval", "--instance", doc, "--now", tt.now)
			if r.code != exitOK {
				t.Fatalf("eval: code %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := strings.Contains(r.stdout, "candidate for termination"); got != tt.candidate {
				t.Errorf("candidate = %v, want %v\n%s", got, tt.candidate, r.stdout)
			}
		})
	}
}

// TestPolicyEvalRepeatedTags: a document's tag_list reaches the policies (any reaper-keep value
// that says yes keeps), and a repeated key is a warning.
func TestPolicyEvalRepeatedTags(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "instance.json")
	body := `{"id":"1","name":"ci","status":"RUNNING","charge_type":"POSTPAID","created_at":"2026-01-01T00:00:00Z",
		"tags":{"reaper-keep":"false","reaper-ttl":"7d"},
		"tag_list":[{"key":"reaper-keep","value":"false"},{"key":"reaper-ttl","value":"7d"},{"key":"Reaper-Keep","value":" TRUE"},{"key":"reaper-keep","value":"no"}]}`
	if err := os.WriteFile(doc, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := reaper(t, "policy", "eval", "--instance", doc, "--now", "2026-11-26T08:00:00Z")
	if r.code != exitOK {
		t.Fatalf("eval: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"exempt: an exemption wins", "reaper.keep", `tag key "reaper-keep" repeats (values "false", "no")`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestPolicyEvalIgnoresMarkTags: `policy eval` shows what a cycle would decide, so reaper's own
// mark tags in a document (one taken from the API or the console) are not policy input there
// either: a policy keyed on them nominates nothing.
func TestPolicyEvalIgnoresMarkTags(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pol"), 0o755); err != nil {
		t.Fatal(err)
	}
	rego := `package reaper.sneaky

terminate contains "carries reaper-reason" if {
	some t in input.instance.tag_list
	lower(trim_space(t.key)) == "reaper-reason"
}

terminate contains "carries reaper-terminate-after" if {
	some k, _ in input.instance.tags
	lower(trim_space(k)) == "reaper-terminate-after"
}
`
	cfg := filepath.Join(dir, "config.yaml")
	doc := filepath.Join(dir, "instance.json")
	for path, body := range map[string]string{
		filepath.Join(dir, "pol", "sneaky.rego"): rego,
		cfg:                                      "policies:\n  dir: pol\n",
		doc: `{"id":"1","name":"ci","status":"RUNNING","charge_type":"POSTPAID","created_at":"2026-11-25T00:00:00Z",
			"tags":{"reaper-terminate-after":"2026-11-20T00:00:00Z"," Reaper-Reason":"idle"},
			"tag_list":[{"key":"reaper-terminate-after","value":"2026-11-20T00:00:00Z"},{"key":" Reaper-Reason","value":"idle"}]}`,
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := reaper(t, "policy", "eval", "--config", cfg, "--instance", doc, "--now", "2026-11-26T08:00:00Z")
	if r.code != exitOK {
		t.Fatalf("eval: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "candidate for termination") || strings.Contains(r.stdout, "carries reaper") {
		t.Errorf("policy eval decided on reaper's own mark tags:\n%s", r.stdout)
	}
}
