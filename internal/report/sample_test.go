package report

import (
	"maps"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// t0 is the start of every sample run.
var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

func reasons(pairs ...string) []Reason {
	var out []Reason
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Reason{Policy: pairs[i], Reason: pairs[i+1]})
	}
	return out
}

// samplePricing prices every type in the samples but "S10".
var samplePricing = map[string]float64{"S9I": 499, "M6C": 1249.5, "L12G": 3890, "S5": 189}

// sampleRun returns an acting run that uses every action at least once, finalized with samplePricing.
func sampleRun(t testing.TB) *Run {
	t.Helper()
	r := &Run{
		RunID: "20261126T080000Z-3f9a1c", Command: reconcile.CommandRun, StartedAt: t0, FinishedAt: t0.Add(42 * time.Second),
		DryRun: false, Result: ResultFailed, Error: "1 termination failed with an unexpected error",
		ConfigDigest: "sha256:9f2c4e1b0a7d33c5e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7",
		PolicyDigest: "sha256:1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809",
		Policies:     []string{"reaper.expiry", "reaper.failed", "reaper.idle", "reaper.keep", "reaper.tags"},
		Instances: []Instance{
			{ID: "932237369560662463", Name: "ci-runner-14", Zone: "HKG-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"owner": "ci", "reaper-ttl": "72h"}), Action: ActionTerminated,
				Reasons:  reasons("reaper.expiry", "reaper-ttl 72h is shorter than the age (5d 3h)"),
				MarkedAt: at(-26 * time.Hour), DueAt: at(-2 * time.Hour), RequestID: "A1B2C3D4-0001", TerminatedAt: at(30 * time.Second)},
			{ID: "932237369560662470", Name: "build-cache-old", Zone: "FRA-A", Type: "M6C", Status: "STOPPED", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"owner": "platform"}), Action: ActionTerminated,
				Reasons:  reasons("reaper.idle", "p95 traffic 1.2 kbps in / 0.8 kbps out over 72h, under 100 kbps", "reaper.tags", "required tag team missing for 9d"),
				MarkedAt: at(-30 * time.Hour), DueAt: at(-6 * time.Hour), RequestID: "A1B2C3D4-0002", TerminatedAt: at(31 * time.Second),
				Traffic: &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: 1200, OutP95Bps: 800, InAvgBps: 400, OutAvgBps: 300}},
			{ID: "932237369560662481", Name: "gpu-batch-07", Zone: "SIN-B", Type: "L12G", Status: "RUNNING", ChargeType: "POSTPAID",
				Action: ActionFailed, Reasons: reasons("reaper.expiry", "reaper-expires-at 2026-11-20 is in the past"),
				MarkedAt: at(-48 * time.Hour), DueAt: at(-24 * time.Hour), Error: "INTERNAL_SERVER_ERROR after 4 attempts (request 77E1-0009)"},
			{ID: "932237369560662490", Name: "load-test-3", Zone: "HKG-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"owner": "qa"}), Action: ActionMarked,
				Reasons:  reasons("reaper.idle", "p95 traffic 40 bps in / 12 bps out over 72h, under 100 kbps"),
				MarkedAt: at(-3 * time.Hour), DueAt: at(21 * time.Hour),
				Marks:   []Mark{{Policy: "reaper.idle", MarkedAt: *at(-3 * time.Hour), DueAt: *at(21 * time.Hour)}},
				Traffic: &Traffic{WindowSeconds: 259200, Samples: 860, Complete: true, InP95Bps: 40, OutP95Bps: 12, InAvgBps: 10, OutAvgBps: 5}},
			{ID: "932237369560662502", Name: "failed-provision-a", Zone: "LAX-A", Type: "S10", Status: "CREATE_FAILED", ChargeType: "POSTPAID",
				Action: ActionMarked, Reasons: reasons("reaper.failed", "CREATE_FAILED for 2h, limit 6h"),
				MarkedAt: at(-2 * time.Hour), DueAt: at(4 * time.Hour)},
			{ID: "932237369560662511", Name: "db-primary", Zone: "FRA-A", Type: "L12G", Status: "RUNNING", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"reaper-protect": "true", "owner": "dba"}), Action: ActionProtected, SkipReason: "protected by tag reaper-protect=true"},
			{ID: "932237369560662523", Name: "edge-cache-sin", Zone: "SIN-B", Type: "S5", Status: "RUNNING", ChargeType: "PREPAID",
				Action: ActionSkipped, SkipReason: "subscription", Reasons: reasons("reaper.tags", "required tag team missing for 4d")},
			{ID: "932237369560662530", Name: "analytics-2", Zone: "HKG-A", Type: "M6C", Status: "RUNNING", ChargeType: "POSTPAID",
				Action: ActionSkipped, SkipReason: "commitment"},
			{ID: "932237369560662547", Name: "demo-env", Zone: "LAX-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"reaper-keep": "true", "reaper-expires-at": "2026-11-01"}), Action: ActionExempt,
				Reasons:    reasons("reaper.expiry", "reaper-expires-at 2026-11-01 is in the past"),
				Exemptions: reasons("reaper.keep", "tag reaper-keep is true")},
			{ID: "932237369560662555", Name: "web-1", Zone: "HKG-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"owner": "web", "reaper-ttl": "forever"}), Action: ActionKept,
				Warnings: reasons("reaper.expiry", "tag reaper-ttl \"forever\" is not a duration; ignored")},
			{ID: "932237369560662561", Name: "web-2", Zone: "FRA-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
				Tags: tagsOf(map[string]string{"owner": "web"}), Action: ActionKept,
				Traffic: &Traffic{WindowSeconds: 259200, Samples: 410, Complete: false, InP95Bps: 20, OutP95Bps: 10}},
			{ID: "932237369560662579", Name: "installing-box", Zone: "SIN-B", Type: "S5", Status: "INSTALLING", ChargeType: "POSTPAID",
				Action: ActionSkipped, SkipReason: "INSTALLING"},
			{ID: "932237369560662584", Name: "staging-api", Zone: "LAX-A", Type: "M6C", Status: "RUNNING", ChargeType: "POSTPAID",
				Action: ActionWouldTerminate, Reasons: reasons("reaper.expiry", "reaper-expires-at 2026-11-25T00:00:00Z is in the past"),
				MarkedAt: at(-25 * time.Hour), DueAt: at(-1 * time.Hour)},
			{ID: "932237369560662590", Name: "spot-worker-9", Zone: "HKG-A", Type: "S10", Status: "RUNNING", ChargeType: "POSTPAID",
				Action: ActionBlocked, Reasons: reasons("reaper.idle", "p95 traffic 0 bps both ways over 72h"),
				MarkedAt: at(-50 * time.Hour), DueAt: at(-26 * time.Hour)},
		},
	}
	r.InventorySize = len(r.Instances)
	r.Finalize(samplePricing)
	return r
}

// evilRun returns a finalized sample run whose fleet data tries to inject markup everywhere.
func evilRun(t testing.TB, payload string) *Run {
	t.Helper()
	r := sampleRun(t)
	r.Instances = append(r.Instances, Instance{
		ID: "93223736956066" + "9999", Name: payload, Zone: payload, Type: payload, Status: "RUNNING", ChargeType: "POSTPAID",
		Tags:   tagsOf(map[string]string{payload: payload, "owner": payload}),
		Action: ActionWouldTerminate, Reasons: reasons(payload, payload), Exemptions: nil,
		Warnings: reasons("reaper.expiry", payload), SkipReason: payload, RequestID: payload, Error: payload,
		MarkedAt: at(-30 * time.Hour), DueAt: at(-1 * time.Hour),
	})
	r.InventorySize = len(r.Instances)
	r.Finalize(samplePricing)
	return r
}

// planRun returns a realistic dry-run plan, the report a newcomer sees first.
func planRun(t testing.TB) *Run {
	t.Helper()
	r := sampleRun(t)
	r.RunID, r.Command, r.DryRun, r.Result, r.Error = "20261126T080000Z-b71e02", reconcile.CommandPlan, true, ResultOK, ""
	for i := range r.Instances {
		in := &r.Instances[i]
		switch in.Action {
		case ActionTerminated, ActionFailed, ActionBlocked:
			in.Action, in.RequestID, in.Error, in.TerminatedAt, in.RecycleDeadline = ActionWouldTerminate, "", "", nil, nil
		}
		in.MonthlyPrice = nil
	}
	pricing := maps.Clone(samplePricing)
	pricing["S10"] = 329
	r.Finalize(pricing)
	return r
}
