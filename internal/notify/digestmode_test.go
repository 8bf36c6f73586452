package notify

import (
	"strings"
	"testing"
	"time"
)

// TestDigestSaysWhatTheModeDoes renders a digest with a mark and a reminder in each mode and checks
// that every rendering tells the owner what the mode will do: mark never terminates, approve waits
// for an operator's `reaper apply`, enforce terminates after the due time.
func TestDigestSaysWhatTheModeDoes(t *testing.T) {
	due := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	base := Digest{Owner: "team-a", RunID: "r1", At: due.Add(-time.Hour), SnoozeMax: "30d",
		Marked:    []DigestItem{{ID: "101", Name: "a", DueAt: &due}},
		Reminders: []DigestItem{{ID: "102", Name: "b", DueAt: &due}}}
	for _, tc := range []struct {
		mode         string
		want, wantNo []string
	}{
		{"mark", []string{"will not terminate", "mark mode", "enforce"}, []string{"terminated only after", "Due soon", "due soon", "for termination"}},
		{"approve", []string{"approv", "reaper apply"}, []string{"terminated only after their due time"}},
		{"enforce", []string{"terminated only after their due time"}, []string{"will not terminate"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			d := base
			d.Mode = tc.mode
			slack, err := slackDigest(d)
			if err != nil {
				t.Fatal(err)
			}
			generic, err := genericDigest(d)
			if err != nil {
				t.Fatal(err)
			}
			html, err := DigestHTML(d)
			if err != nil {
				t.Fatal(err)
			}
			for name, body := range map[string]string{"text": DigestText(d), "slack": string(slack), "generic": string(generic), "html": html} {
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s digest lacks %q:\n%s", name, w, body)
					}
				}
				for _, w := range tc.wantNo {
					if strings.Contains(body, w) {
						t.Errorf("%s digest says %q in %s mode:\n%s", name, w, tc.mode, body)
					}
				}
			}
		})
	}
}

// TestEventPayloadsNameTheMode: a webhook event names the run's mode, and calls a run a dry run
// only when it was one (or, for a report without a mode, when it could not terminate).
func TestEventPayloadsNameTheMode(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		dry     bool
		slack   string
		generic string
	}{
		{"mark", true, "mode mark", `"mode":"mark"`},
		{"approve", true, "mode approve", `"mode":"approve"`},
		{"", true, "dry run", `"dry_run":true`},
		{"", false, "acting", `"dry_run":false`},
	} {
		e := Event{Kind: KindDigest, RunID: "r1", DryRun: tc.dry, Mode: tc.mode, Title: "t"}
		slack, err := slackBody(e)
		if err != nil {
			t.Fatal(err)
		}
		generic, err := genericBody(e)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(slack), tc.slack) || (tc.mode != "" && strings.Contains(string(slack), "dry run")) {
			t.Errorf("mode %q: slack payload lacks %q: %s", tc.mode, tc.slack, slack)
		}
		if !strings.Contains(string(generic), tc.generic) {
			t.Errorf("mode %q: generic payload lacks %q: %s", tc.mode, tc.generic, generic)
		}
	}
}
