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
