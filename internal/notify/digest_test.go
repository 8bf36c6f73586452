package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestSendDigestPayloads posts a digest with hostile fleet text to a real webhook in both formats
// and checks what arrived: the facts, and the fleet text escaped for the medium.
func TestSendDigestPayloads(t *testing.T) {
	for _, format := range []string{FormatGeneric, FormatSlack} {
		t.Run(format, func(t *testing.T) {
			rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) {})
			n := newNotifier(t, rc.url(), format, &sleeps{}, nil)
			d := hostileDigest()
			d.Marked[0].Name = "<!channel> <https://evil.test|click>"
			d.Owner = "<!here>"
			if err := n.SendDigest(context.Background(), d); err != nil {
				t.Fatalf("SendDigest: %v", err)
			}
			if rc.calls() != 1 {
				t.Fatalf("webhook got %d posts, want 1", rc.calls())
			}
			bodies := []string{string(rc.bodies[0])}
			var doc map[string]any
			if err := json.Unmarshal([]byte(bodies[0]), &doc); err != nil {
				t.Fatalf("payload is not JSON: %v", err)
			}
			body := bodies[0]
			for _, want := range []string{"101", "102", "103", "reaper-snooze-until", "reaper-keep"} {
				if !strings.Contains(body, want) {
					t.Errorf("payload lacks %q: %s", want, body)
				}
			}
			switch format {
			case FormatGeneric:
				if doc["kind"] != KindOwnerDigest || doc["owner"] != "<!here>" {
					t.Errorf("kind %v owner %v", doc["kind"], doc["owner"])
				}
				if len(doc["terminated"].([]any)) != 1 || !strings.Contains(body, `"recycle_deadline":"2026-12-11T07:00:00Z"`) {
					t.Errorf("terminated entry lacks its recycle deadline: %s", body)
				}
			case FormatSlack:
				if strings.Contains(body, "<!channel>") || strings.Contains(body, "<https://evil") || strings.Contains(body, "<!here>") {
					t.Errorf("slack payload holds a live mention or link: %s", body)
				}
			}
		})
	}
}
