package reconcile

import (
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestGuard(t *testing.T) {
	s := Settings{
		CommitmentRetryAfter: 168 * time.Hour,
		Protect: Protection{
			InstanceIDs:  []string{"p-id"},
			NamePatterns: []string{"db-*"},
			Tags:         map[string]string{"reaper-protect": "true"},
		},
	}
	refusals := map[string]state.Refusal{
		"commit-recent": {InstanceID: "commit-recent", Kind: state.RefusalCommitment, LearnedAt: t0.Add(-time.Hour)},
		"commit-old":    {InstanceID: "commit-old", Kind: state.RefusalCommitment, LearnedAt: t0.Add(-169 * time.Hour)},
		"commit-edge":   {InstanceID: "commit-edge", Kind: state.RefusalCommitment, LearnedAt: t0.Add(-168 * time.Hour)},
		"sub-recent":    {InstanceID: "sub-recent", Kind: state.RefusalSubscription, LearnedAt: t0.Add(-time.Hour)},
	}
	tests := []struct {
		name       string
		in         zen.Instance
		allowSub   bool
		wantAction Action
		wantReason string
	}{
		{"running passes", inst("a"), false, "", ""},
		{"stopped passes", inst("a", withStatus(zen.StatusStopped)), false, "", ""},
		{"create failed passes", inst("a", withStatus(zen.StatusCreateFailed)), false, "", ""},
		{"install failed passes", inst("a", withStatus(zen.StatusInstallFailed)), false, "", ""},
		{"pending", inst("a", withStatus(zen.StatusPending)), false, ActionSkipped, "PENDING"},
		{"creating", inst("a", withStatus(zen.StatusCreating)), false, ActionSkipped, "CREATING"},
		{"installing", inst("a", withStatus(zen.StatusInstalling)), false, ActionSkipped, "INSTALLING"},
		{"booting", inst("a", withStatus(zen.StatusBooting)), false, ActionSkipped, "BOOTING"},
		{"stopping", inst("a", withStatus(zen.StatusStopping)), false, ActionSkipped, "STOPPING"},
		{"recycle", inst("a", withStatus(zen.StatusRecycle)), false, ActionSkipped, "RECYCLE"},
		{"recycling", inst("a", withStatus(zen.StatusRecycling)), false, ActionSkipped, "RECYCLING"},
		{"unknown status", inst("a", withStatus("MIGRATING")), false, ActionSkipped, "MIGRATING"},
		{"empty status", inst("a", withStatus("")), false, ActionSkipped, "UNKNOWN"},
		{"prepaid", inst("a", withCharge(zen.ChargePrepaid)), false, ActionSkipped, SkipSubscription},
		{"prepaid allowed", inst("a", withCharge(zen.ChargePrepaid)), true, "", ""},
		{"unknown charge type", inst("a", withCharge("")), true, ActionSkipped, "charge_type_unknown"},
		{"commitment recent", inst("commit-recent"), false, ActionSkipped, SkipCommitment},
		{"commitment retry due", inst("commit-old"), false, "", ""},
		{"commitment retry at the interval", inst("commit-edge"), false, "", ""},
		{"subscription refusal recent", inst("sub-recent"), true, ActionSkipped, SkipSubscription},
		{"protected id", inst("p-id"), false, ActionProtected, "protect.instance_ids"},
		{"protected name", inst("a", func(in *zen.Instance) { in.Name = "db-main" }), false, ActionProtected, "protect.name_patterns: db-*"},
		{"protected tag", inst("a", withTag("reaper-protect", "true")), false, ActionProtected, "protect.tags: reaper-protect=true"},
		{"protect tag other value", inst("a", withTag("reaper-protect", "false")), false, "", ""},
		{"protection wins over status", inst("p-id", withStatus(zen.StatusCreating)), false, ActionProtected, "protect.instance_ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s
			s.AllowSubscriptionCancel = tt.allowSub
			got := s.guard(tt.in, refusals, t0)
			if got.action != tt.wantAction || got.reason != tt.wantReason {
				t.Errorf("guard = (%q, %q), want (%q, %q)", got.action, got.reason, tt.wantAction, tt.wantReason)
			}
		})
	}
}
