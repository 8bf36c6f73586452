package policy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testNow is the now of every test evaluation.
var testNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// writePolicies writes files (name -> contents) into a new temporary directory.
func writePolicies(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadPolicies loads files as a policy set from a directory.
func loadPolicies(t *testing.T, files map[string]string) *Engine {
	t.Helper()
	e, err := Load(context.Background(), Options{Dir: writePolicies(t, files)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return e
}

// src joins lines into a Rego source file.
func src(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// evaluateOne evaluates a single instance and returns its decision.
func evaluateOne(t *testing.T, e *Engine, params map[string]any, in Instance) Decision {
	t.Helper()
	ds, err := e.Evaluate(context.Background(), testNow, params, []Instance{in})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if len(ds) != 1 {
		t.Fatalf("Evaluate gave %d decisions, want 1", len(ds))
	}
	return ds[0]
}

// instance is a running instance created age ago, with tags.
func instance(id string, age time.Duration, tags map[string]string) Instance {
	return Instance{
		ID:         id,
		Name:       "node-" + id,
		Status:     "RUNNING",
		ChargeType: "POSTPAID",
		CreatedAt:  testNow.Add(-age),
		Tags:       tags,
	}
}

// policiesOf returns the policy of each reason.
func policiesOf(rs []Reason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Policy)
	}
	return out
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
