package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// unconfirmedRun is the sample run plus one termination the API accepted that did not take.
func unconfirmedRun(t *testing.T) *Run {
	t.Helper()
	r := sampleRun(t)
	r.Instances = append(r.Instances, Instance{
		ID: "932237369560662602", Name: "stuck-runner", Zone: "SIN-B", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
		Action: ActionUnconfirmed, Reasons: reasons("reaper.expiry", "reaper-expires-at 2026-11-20 is in the past"),
		MarkedAt: at(-30 * time.Hour), DueAt: at(-6 * time.Hour), RequestID: "A1B2C3D4-0003",
		Error: "the API accepted the termination but the instance is still RUNNING (1 in a row); not called again before 2026-11-26T14:00:32Z",
	})
	r.InventorySize = len(r.Instances)
	r.Finalize(samplePricing)
	return r
}

// An unconfirmed termination is its own action in every format: a candidate, never counted as
// terminated, never in the savings, never given a recycle deadline.
func TestUnconfirmedInEveryFormat(t *testing.T) {
	before, r := sampleRun(t), unconfirmedRun(t)
	if r.Summary.ByAction[ActionUnconfirmed] != 1 || r.Summary.ByAction[ActionTerminated] != before.Summary.ByAction[ActionTerminated] {
		t.Errorf("by_action %v", r.Summary.ByAction)
	}
	if r.Summary.Candidates != before.Summary.Candidates+1 {
		t.Errorf("candidates %d, want %d", r.Summary.Candidates, before.Summary.Candidates+1)
	}
	if r.Savings.TerminatedMonthly != before.Savings.TerminatedMonthly {
		t.Errorf("terminated_monthly %v, want %v: an unconfirmed termination saves nothing", r.Savings.TerminatedMonthly, before.Savings.TerminatedMonthly)
	}
	stuck := r.Instances[len(r.Instances)-1]
	if stuck.RecycleDeadline != nil {
		t.Errorf("recycle_deadline %v for an unconfirmed termination", stuck.RecycleDeadline)
	}
	if errs := loadSchema(t).validateDoc(t, renderJSON(t, r)); len(errs) != 0 {
		t.Errorf("report.json violates the schema:\n%s", strings.Join(errs, "\n"))
	}

	md := renderMarkdown(t, r)
	for _, want := range []string{"| stuck-runner | 932237369560662602 |", "**unconfirmed**", "| unconfirmed | 1 |", "1 termination accepted by the API did not take (unconfirmed)."} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	html := renderHTML(t, r)
	for _, want := range []string{`data-action="unconfirmed"`, "a-unconfirmed", "1 unconfirmed"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if last := rows[len(rows)-1]; last[0] != stuck.ID || last[6] != ActionUnconfirmed {
		t.Errorf("csv row %v", last)
	}
	if !IsOpenCandidate(ActionUnconfirmed) {
		t.Error("an unconfirmed instance still exists and waits: it is an open candidate for diff")
	}
}
