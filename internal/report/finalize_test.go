package report

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFinalizeSummary(t *testing.T) {
	r := sampleRun(t)
	want := Summary{
		Candidates: 7,
		ByAction: map[string]int{
			ActionTerminated: 2, ActionWouldTerminate: 1, ActionMarked: 2, ActionBlocked: 1, ActionSkipped: 3,
			ActionProtected: 1, ActionExempt: 1, ActionKept: 2, ActionFailed: 1, ActionUnconfirmed: 0,
		},
		// build-cache-old has two policies and counts once for each; skipped and exempt instances
		// with terminate reasons are not candidates.
		ByPolicy: map[string]int{"reaper.expiry": 3, "reaper.idle": 3, "reaper.tags": 1, "reaper.failed": 1},
		ByZone:   map[string]int{"HKG-A": 3, "FRA-A": 1, "SIN-B": 1, "LAX-A": 2},
	}
	if diff := cmp.Diff(want, r.Summary); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
	if r.SchemaVersion != SchemaVersion {
		t.Errorf("schema version: got %d, want %d", r.SchemaVersion, SchemaVersion)
	}
}

func TestFinalizeCountsEveryActionEvenWhenZero(t *testing.T) {
	r := &Run{}
	r.Finalize(nil)
	for _, a := range Actions {
		if n, ok := r.Summary.ByAction[a]; !ok || n != 0 {
			t.Errorf("by_action[%s]: got %d (present %v), want 0 present", a, n, ok)
		}
	}
	if r.Instances == nil || r.Policies == nil {
		t.Errorf("instances/policies: got nil, want empty slices")
	}
}

func TestFinalizeSavings(t *testing.T) {
	instances := func() []Instance {
		return []Instance{
			{ID: "1", Type: "S9I", Action: ActionWouldTerminate},
			{ID: "2", Type: "M6C", Action: ActionTerminated},
			{ID: "3", Type: "S9I", Action: ActionMarked},      // not counted
			{ID: "4", Type: "L12G", Action: ActionFailed},     // not counted
			{ID: "6", Type: "M6C", Action: ActionUnconfirmed}, // not counted: accepted, did not take
		}
	}
	tests := []struct {
		name         string
		pricing      map[string]float64
		extra        []Instance
		want         Savings
		noteContains string
	}{
		{name: "no pricing", pricing: nil, want: Savings{MissingPrices: 2}, noteContains: "no pricing configured"},
		{
			name:    "complete pricing",
			pricing: map[string]float64{"S9I": 499, "M6C": 1249.5},
			want:    Savings{Available: true, WouldTerminateMonthly: 499, TerminatedMonthly: 1249.5},
		},
		{
			name:         "missing types give a lower bound",
			pricing:      map[string]float64{"S9I": 499},
			extra:        []Instance{{ID: "5", Type: "S10", Action: ActionWouldTerminate}},
			want:         Savings{WouldTerminateMonthly: 499, MissingPrices: 2},
			noteContains: "2 instances have no price for types M6C, S10",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Run{Instances: append(instances(), tt.extra...)}
			r.Finalize(tt.pricing)
			got := r.Savings
			if !strings.Contains(got.Note, tt.noteContains) || got.Note == "" {
				t.Errorf("note: got %q, want it to contain %q", got.Note, tt.noteContains)
			}
			got.Note = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("savings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinalizeInstanceFields(t *testing.T) {
	term := t0.Add(time.Minute)
	preset := t0.Add(time.Hour)
	r := &Run{Instances: []Instance{
		{ID: "postpaid", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID", Action: ActionTerminated, TerminatedAt: &term},
		{ID: "create-failed", Type: "S9I", Status: "CREATE_FAILED", ChargeType: "POSTPAID", Action: ActionTerminated, TerminatedAt: &term},
		{ID: "prepaid", Type: "S9I", Status: "RUNNING", ChargeType: "PREPAID", Action: ActionTerminated, TerminatedAt: &term},
		{ID: "kept", Type: "unpriced", Action: ActionKept},
		// The deadline is derived only by Finalize: a caller's is replaced, so it cannot give a
		// PREPAID or CREATE_FAILED instance a recycle bin it never enters.
		{ID: "preset", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID", Action: ActionTerminated, TerminatedAt: &term, RecycleDeadline: &preset},
		{ID: "preset-prepaid", Type: "S9I", Status: "RUNNING", ChargeType: "PREPAID", Action: ActionTerminated, TerminatedAt: &term, RecycleDeadline: &preset},
		{ID: "preset-create-failed", Type: "S9I", Status: "CREATE_FAILED", ChargeType: "POSTPAID", Action: ActionTerminated, TerminatedAt: &term, RecycleDeadline: &preset},
		{ID: "unknown-charge", Type: "S9I", Status: "RUNNING", ChargeType: "", Action: ActionTerminated, TerminatedAt: &term},
		{ID: "unconfirmed", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID", Action: ActionUnconfirmed, TerminatedAt: &term},
	}}
	r.Finalize(map[string]float64{"S9I": 10})
	wantDeadline := map[string]*time.Time{"postpaid": ptr(term.Add(24 * time.Hour)), "create-failed": nil, "prepaid": nil,
		"preset": ptr(term.Add(24 * time.Hour)), "preset-prepaid": nil, "preset-create-failed": nil, "unknown-charge": nil, "unconfirmed": nil, "kept": nil}
	for _, in := range r.Instances {
		if diff := cmp.Diff(wantDeadline[in.ID], in.RecycleDeadline); diff != "" {
			t.Errorf("%s recycle deadline (-want +got):\n%s", in.ID, diff)
		}
		if in.Reasons == nil || in.Exemptions == nil || in.Warnings == nil {
			t.Errorf("%s: reasons, exemptions and warnings must not be nil after Finalize", in.ID)
		}
	}
	if p := r.Instances[0].MonthlyPrice; p == nil || *p != 10 {
		t.Errorf("monthly price: got %v, want 10", p)
	}
	if p := r.Instances[3].MonthlyPrice; p != nil {
		t.Errorf("monthly price of an unpriced type: got %v, want nil", *p)
	}
}

func TestFinalizeIsRepeatable(t *testing.T) {
	r := sampleRun(t)
	first := r.Summary
	r.Finalize(samplePricing)
	if diff := cmp.Diff(first, r.Summary); diff != "" {
		t.Errorf("second Finalize changed the summary (-first +second):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }
