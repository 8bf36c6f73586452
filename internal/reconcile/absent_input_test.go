package reconcile

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// TestAbsentAutoRenewIsNullInPolicyInput: an API answer without autoRenew says nothing about
// it, so a policy sees null, never false ("absent is never zero"). A custom policy that
// terminates instances "no longer renewing" must not fire on an answer that left the field out.
func TestAbsentAutoRenewIsNullInPolicyInput(t *testing.T) {
	fsys := fstest.MapFS{"renew.rego": {Data: []byte(`package reaper.renew

terminate contains "auto-renew is off" if input.instance.auto_renew == false

warn contains "auto-renew unknown" if is_null(input.instance.auto_renew)
`)}}
	engine, err := policy.Load(context.Background(), policy.Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	tests := []struct {
		name          string
		renew         *bool
		terminate     bool
		unknownWarned bool
	}{
		{"absent", nil, false, true},
		{"false", &off, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := PolicyInput(zen.Instance{ID: "1", Status: zen.StatusRunning, AutoRenew: tt.renew}, nil)
			ds, err := engine.Evaluate(context.Background(), time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), nil, []policy.Instance{in})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ds[0].Terminate) > 0; got != tt.terminate {
				t.Errorf("terminate = %v (%v), want %v", got, ds[0].Terminate, tt.terminate)
			}
			if got := len(ds[0].Warn) > 0; got != tt.unknownWarned {
				t.Errorf("warned unknown = %v (%v), want %v", got, ds[0].Warn, tt.unknownWarned)
			}
		})
	}
}
