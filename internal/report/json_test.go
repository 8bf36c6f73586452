package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONNeverNull(t *testing.T) {
	r := &Run{RunID: "r", Instances: []Instance{{ID: "1", Action: ActionKept}}} // not finalized: nil slices
	doc := string(renderJSON(t, r))
	for _, want := range []string{
		`"schema_version": 2`, `"policies": []`, `"reasons": []`, `"exemptions": []`, `"warnings": []`,
		`"tags": {}`, `"by_action": {}`, `"marked_at": null`, `"blocked": null`, `"id": "1"`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report.json lacks %s:\n%s", want, doc)
		}
	}
	var top map[string]any
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["error"]; ok {
		t.Errorf("run-level error: present, want omitted when empty")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := sampleRun(t)
	got, err := ReadJSON(bytes.NewReader(renderJSON(t, want)))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestReadJSONRejects(t *testing.T) {
	tests := map[string]string{
		"newer schema":   `{"schema_version": 3, "run_id": "x"}`,
		"missing schema": `{"run_id": "x"}`,
		"not json":       `<html>`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadJSON(strings.NewReader(doc)); err == nil {
				t.Errorf("ReadJSON(%s): got nil error, want one", doc)
			}
		})
	}
}

func TestJSONKeepsInstanceOrderAndIDsAsStrings(t *testing.T) {
	r := sampleRun(t)
	var doc struct {
		Instances []map[string]any `json:"instances"`
	}
	if err := json.Unmarshal(renderJSON(t, r), &doc); err != nil {
		t.Fatal(err)
	}
	for i, in := range doc.Instances {
		id, ok := in["id"].(string)
		if !ok || id != r.Instances[i].ID {
			t.Errorf("instance %d id: got %#v, want string %q", i, in["id"], r.Instances[i].ID)
		}
	}
}
