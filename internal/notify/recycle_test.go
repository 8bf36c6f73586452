package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A terminated instance carries its own recycle deadline, and only when it has one.
func TestRecycleDeadlinePerInstance(t *testing.T) {
	deadline := at.Add(24 * time.Hour)
	e := Event{Kind: KindTerminated, RunID: "r", Title: "reaper terminated 2 instances", Instances: []EventInstance{
		{ID: "1", Name: "postpaid", Action: "terminated", RequestID: "T1", RecycleDeadline: &deadline},
		{ID: "2", Name: "prepaid", Action: "terminated", RequestID: "T2"},
	}}
	for _, format := range []string{FormatGeneric, FormatSlack} {
		t.Run(format, func(t *testing.T) {
			rc := newReceiver(t, statuses())
			if err := newNotifier(t, rc.url(), format, &sleeps{}, nil).Send(context.Background(), e); err != nil {
				t.Fatalf("Send: %v", err)
			}
			body := rc.bodies[0]
			if format == FormatSlack {
				var msg slackMessage
				if err := json.Unmarshal(body, &msg); err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(msg.Blocks[1].Text.Text, "\n")
				if !strings.Contains(lines[0], "(recycle bin until 2026-11-27 08:00 UTC)") || strings.Contains(lines[1], "recycle bin") {
					t.Errorf("slack lines %q: want a deadline on the first only", lines)
				}
				return
			}
			var p struct {
				Instances []map[string]any `json:"instances"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if got := p.Instances[0]["recycle_deadline"]; got != "2026-11-27T08:00:00Z" {
				t.Errorf("first recycle_deadline %v", got)
			}
			if _, has := p.Instances[1]["recycle_deadline"]; has {
				t.Errorf("second instance has a recycle_deadline: %v", p.Instances[1])
			}
		})
	}
}
