package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// diffRuns is two runs with every kind of transition: costs known, unknown and mixed, an
// instance new and one gone, and a name that tries to break Markdown.
func diffRuns() (a, b *Run) {
	a = &Run{RunID: "20261126T080000Z-aaaaaa", StartedAt: t0, Currency: "USD", Instances: []Instance{
		{ID: "1", Name: "web|1 *x*", Action: ActionKept, MonthlyCost: cost("100.10"), CostSource: CostBill},
		{ID: "3", Action: ActionMarked, MonthlyCost: cost("1500"), CostSource: CostOverride},
		{ID: "4", Action: ActionWouldTerminate, MonthlyCost: cost("83.26"), CostSource: CostBill},
		{ID: "5", Action: ActionWouldTerminate, CostSource: CostUnknown},
		{ID: "7", Action: ActionMarked, MonthlyCost: cost("40"), CostSource: CostBill},
		{ID: "9", Action: ActionKept, CostSource: CostUnknown},
	}}
	b = &Run{RunID: "20261126T083000Z-bbbbbb", StartedAt: t0.Add(30 * time.Minute), Currency: "USD", Instances: []Instance{
		{ID: "1", Name: "web|1 *x*", Zone: "SEL-A", Type: "M6C", Action: ActionMarked, MonthlyCost: cost("100.10"), CostSource: CostBill,
			Reasons: []Reason{{Policy: "reaper.idle", Reason: "idle 72h"}}},
		{ID: "3", Action: ActionWouldTerminate, MonthlyCost: cost("1500"), CostSource: CostOverride},
		{ID: "4", Action: ActionTerminated, MonthlyCost: cost("83.26"), CostSource: CostBill, RequestID: "req-4"},
		{ID: "5", Action: ActionTerminated, CostSource: CostUnknown},
		{ID: "8", Action: ActionKept, MonthlyCost: cost("0.004999"), CostSource: CostList},
		{ID: "9", Action: ActionExempt, CostSource: CostUnknown},
	}}
	return a, b
}

// TestDiffJSON pins the JSON of a diff: transitions counted in lifecycle order, each with the
// known monthly cost summed exactly (null when none is known) and unknown costs counted apart,
// the currency, and the instances of each list.
func TestDiffJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDiffJSON(&buf, Diff(diffRuns())); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		DiffVersion int    `json:"diff_version"`
		Currency    string `json:"currency"`
		Changed     int    `json:"changed"`
		Transitions []struct {
			Before, After *string
			Count         int
			MonthlyCost   json.RawMessage `json:"monthly_cost"`
			UnknownCost   int             `json:"unknown_cost"`
		}
		NewCandidates   []map[string]any `json:"new_candidates"`
		TerminatedSince []map[string]any `json:"terminated_since"`
		Resolved        []map[string]any `json:"resolved_candidates"`
		StillCandidates *int             `json:"still_candidates"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	var got []string
	for _, tr := range doc.Transitions {
		got = append(got, fmt.Sprintf("%s -> %s: %d, %s + %d unknown", str(tr.Before), str(tr.After), tr.Count, tr.MonthlyCost, tr.UnknownCost))
	}
	want := []string{
		"null -> kept: 1, 0.004999 + 0 unknown",
		"kept -> exempt: 1, null + 1 unknown",
		"kept -> marked: 1, 100.100000 + 0 unknown",
		"marked -> would_terminate: 1, 1500.000000 + 0 unknown",
		"marked -> null: 1, 40.000000 + 0 unknown",
		"would_terminate -> terminated: 2, 83.260000 + 1 unknown",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("transitions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if doc.DiffVersion != DiffVersion || doc.Currency != "USD" || doc.Changed != 7 || doc.StillCandidates == nil || *doc.StillCandidates != 1 {
		t.Errorf("header: version %d, currency %q, changed %d, still %v", doc.DiffVersion, doc.Currency, doc.Changed, doc.StillCandidates)
	}
	if len(doc.NewCandidates) != 1 || doc.NewCandidates[0]["id"] != "1" || doc.NewCandidates[0]["before"] != "kept" ||
		doc.NewCandidates[0]["cost_source"] != "bill" {
		t.Errorf("new candidates: %v", doc.NewCandidates)
	}
	if len(doc.TerminatedSince) != 2 || doc.TerminatedSince[0]["request_id"] != "req-4" || doc.TerminatedSince[1]["monthly_cost"] != nil {
		t.Errorf("terminated since: %v (want 4 with its request, 5 with a null cost)", doc.TerminatedSince)
	}
	if len(doc.Resolved) != 1 || doc.Resolved[0]["after"] != nil {
		t.Errorf("resolved: %v (want 7, gone: after null)", doc.Resolved)
	}
	if !strings.Contains(buf.String(), `"monthly_cost": 83.260000`) {
		t.Errorf("amounts are not exact six-decimal numbers:\n%s", buf.String())
	}
}

// TestDiffMarkdown: the same numbers as a table, fleet values escaped.
func TestDiffMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDiffMarkdown(&buf, Diff(diffRuns())); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"# reaper diff\n",
		"7 instances changed; monthly costs in USD.",
		"| Before | After | Instances | Monthly cost | Unknown cost |",
		"| (new) | kept | 1 | 0.00 | 0 |",
		"| kept | exempt | 1 | unknown | 1 |",
		"| marked | would\\_terminate | 1 | 1,500.00 | 0 |",
		"| marked | (gone) | 1 | 40.00 | 0 |",
		"| would\\_terminate | terminated | 2 | 83.26 | 1 |",
		"## New candidates (1)",
		"| web\\|1 \\*x\\* | 1 | SEL-A | M6C | kept | marked | 100.10 | reaper.idle: idle 72h |",
		"## Terminated since (2)",
		"|  | 5 |  |  | would\\_terminate | terminated | unknown |  |",
		"## Resolved candidates (1)",
		"Still candidates: 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown has no %q:\n%s", want, out)
		}
	}
}
