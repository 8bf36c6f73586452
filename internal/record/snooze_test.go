package record

import (
	"context"
	"testing"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/policies"
)

// TestSnoozeMaxComesFromTheMergedParams: owner notices quote the snooze limit the policies
// enforce, derived once (the bundled default, or the config's over it), never a copy of the
// default of their own.
func TestSnoozeMaxComesFromTheMergedParams(t *testing.T) {
	e, err := policy.Load(context.Background(), policy.Options{FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	defaults := e.DefaultParams()
	tests := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"bundled default", defaults, "30d"},
		{"config override", policy.MergeParams(defaults, map[string]any{"snooze": map[string]any{"max": "14d"}}), "14d"},
		{"policies without snooze", map[string]any{"idle": map[string]any{}}, ""},
		{"no params", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := snoozeMax(tt.params); got != tt.want {
				t.Errorf("snoozeMax = %q, want %q", got, tt.want)
			}
		})
	}
}
