package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// pendingRun has one instance with traffic pending, one with figures, one that needed none.
func pendingRun() *Run {
	r := &Run{RunID: "r1", Command: "plan", StartedAt: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC),
		FinishedAt: time.Date(2026, 11, 26, 8, 1, 0, 0, time.UTC), DryRun: true, Result: ResultOK,
		Instances: []Instance{
			{ID: "p", Action: ActionKept, TrafficStatus: TrafficPending},
			{ID: "f", Action: ActionKept, Traffic: &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: 5}},
			{ID: "n", Action: ActionKept},
			// A candidate of another policy whose traffic is pending: its row says so too.
			{ID: "c", Action: ActionWouldTerminate, TrafficStatus: TrafficPending,
				Reasons: []Reason{{Policy: "reaper.expiry", Reason: "expired"}}},
		}}
	r.Finalize(nil)
	return r
}

// TestTrafficPendingInEveryFormat: an instance whose traffic was not fetched shows "pending" in
// the JSON (traffic null, traffic_status pending, counted in the summary), the CSV, the Markdown
// and the HTML.
func TestTrafficPendingInEveryFormat(t *testing.T) {
	r := pendingRun()
	if r.Summary.TrafficPending != 2 {
		t.Fatalf("summary traffic_pending %d, want 2", r.Summary.TrafficPending)
	}

	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct {
			TrafficPending int `json:"traffic_pending"`
		} `json:"summary"`
		Instances []map[string]any `json:"instances"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.TrafficPending != 2 {
		t.Errorf("json summary.traffic_pending %d, want 2", doc.Summary.TrafficPending)
	}
	p := doc.Instances[0]
	if p["traffic_status"] != "pending" || p["traffic"] != nil {
		t.Errorf("json pending instance: traffic_status %v traffic %v, want pending and null", p["traffic_status"], p["traffic"])
	}
	if _, ok := doc.Instances[1]["traffic_status"]; ok {
		t.Errorf("json fetched instance has a traffic_status, want none")
	}
	if errs := loadSchema(t).validateDoc(t, buf.Bytes()); len(errs) > 0 {
		t.Errorf("report.json violates the schema:\n%s", strings.Join(errs, "\n"))
	}

	buf.Reset()
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := len(CSVHeader) - 1
	if CSVHeader[col] != "traffic" {
		t.Fatalf("last csv column %q, want traffic", CSVHeader[col])
	}
	for i, want := range []string{"pending", "complete", "", "pending"} {
		if got := rows[i+1][col]; got != want {
			t.Errorf("csv row %s traffic %q, want %q", rows[i+1][0], got, want)
		}
	}

	buf.Reset()
	if err := WriteMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"| Traffic | pending for 2 instances", "traffic: pending"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	buf.Reset()
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{`data-testid="card-traffic"`, "Traffic pending", `data-sort="-1" class="r small nowrap">pending`} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

// TestNoTrafficPendingNoNoise: without pending traffic, no format mentions it.
func TestNoTrafficPendingNoNoise(t *testing.T) {
	r := pendingRun()
	r.Instances[0].TrafficStatus, r.Instances[3].TrafficStatus = "", ""
	r.Finalize(nil)
	var md, html bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "pending") || strings.Contains(html.String(), "card-traffic") || r.TrafficPendingText() != "" {
		t.Errorf("a run without pending traffic mentions it")
	}
}
