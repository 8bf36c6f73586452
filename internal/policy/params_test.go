package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMergeParams(t *testing.T) {
	defaults := func() map[string]any {
		return map[string]any{
			"idle":   map[string]any{"min_age": "7d", "window": "72h", "max_p95_bps": 100000},
			"tags":   map[string]any{"required": []any{}, "grace": "72h"},
			"failed": map[string]any{"after": "6h"},
		}
	}
	tests := []struct {
		name     string
		override map[string]any
		want     map[string]any
	}{
		{"nil override", nil, defaults()},
		{"leaf in a nested object", map[string]any{"idle": map[string]any{"min_age": "14d"}}, map[string]any{
			"idle":   map[string]any{"min_age": "14d", "window": "72h", "max_p95_bps": 100000},
			"tags":   map[string]any{"required": []any{}, "grace": "72h"},
			"failed": map[string]any{"after": "6h"},
		}},
		{"lists replace", map[string]any{"tags": map[string]any{"required": []any{"owner"}}}, map[string]any{
			"idle":   map[string]any{"min_age": "7d", "window": "72h", "max_p95_bps": 100000},
			"tags":   map[string]any{"required": []any{"owner"}, "grace": "72h"},
			"failed": map[string]any{"after": "6h"},
		}},
		{"a scalar replaces an object", map[string]any{"failed": "off"}, map[string]any{
			"idle":   map[string]any{"min_age": "7d", "window": "72h", "max_p95_bps": 100000},
			"tags":   map[string]any{"required": []any{}, "grace": "72h"},
			"failed": "off",
		}},
		{"an object replaces a scalar, null replaces", map[string]any{"idle": nil, "new": map[string]any{"x": 1}}, map[string]any{
			"idle":   nil,
			"tags":   map[string]any{"required": []any{}, "grace": "72h"},
			"failed": map[string]any{"after": "6h"},
			"new":    map[string]any{"x": 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := defaults()
			got := MergeParams(d, tt.override)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MergeParams mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(defaults(), d); diff != "" {
				t.Errorf("MergeParams modified defaults (-before +after):\n%s", diff)
			}
		})
	}
}

func TestMergeParamsSharesNothing(t *testing.T) {
	defaults := map[string]any{"tags": map[string]any{"required": []any{"a"}}}
	override := map[string]any{"idle": map[string]any{"x": []any{"b"}}}
	got := MergeParams(defaults, override)
	got["tags"].(map[string]any)["required"].([]any)[0] = "changed"
	got["idle"].(map[string]any)["x"].([]any)[0] = "changed"
	if v := defaults["tags"].(map[string]any)["required"].([]any)[0]; v != "a" {
		t.Errorf("changing the result changed defaults: %v", v)
	}
	if v := override["idle"].(map[string]any)["x"].([]any)[0]; v != "b" {
		t.Errorf("changing the result changed override: %v", v)
	}
}
