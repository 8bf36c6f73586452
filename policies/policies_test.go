package policies

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultParams(t *testing.T) {
	got := DefaultParams()
	want := map[string]any{
		"idle":   map[string]any{"min_age": "7d", "window": "72h", "max_p95_bps": json.Number("100000"), "refresh": "6h"},
		"tags":   map[string]any{"required": []any{}, "grace": "72h"},
		"failed": map[string]any{"after": "6h"},
		"snooze": map[string]any{"max": "30d"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DefaultParams() mismatch (-want +got):\n%s", diff)
	}
	got["idle"].(map[string]any)["min_age"] = "1h"
	if again := DefaultParams()["idle"].(map[string]any)["min_age"]; again != "7d" {
		t.Errorf("DefaultParams() after a caller changed a copy: min_age = %v, want 7d", again)
	}
}

func TestFSHoldsEveryPolicyAndItsTest(t *testing.T) {
	for _, name := range []string{"expiry", "idle", "tags", "failed", "keep", "snooze", "lib"} {
		for _, file := range []string{name + ".rego", name + "_test.rego"} {
			if _, err := fs.Stat(FS, file); err != nil {
				t.Errorf("FS lacks %s: %v", file, err)
			}
		}
	}
}
