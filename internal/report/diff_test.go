package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	a := &Run{RunID: "a", StartedAt: t0, Instances: []Instance{
		{ID: "1", Action: ActionMarked},         // still a candidate
		{ID: "2", Action: ActionWouldTerminate}, // terminated in b
		{ID: "3", Action: ActionMarked},         // exempt in b: resolved
		{ID: "4", Action: ActionBlocked},        // gone from b: resolved
		{ID: "5", Action: ActionKept},           // marked in b: new
		{ID: "6", Action: ActionTerminated},     // terminated in both: not "since"
		{ID: "7", Action: ActionFailed},         // failed again: still a candidate
	}}
	b := &Run{RunID: "b", StartedAt: t0.Add(30 * time.Minute), Instances: []Instance{
		{ID: "1", Action: ActionWouldTerminate},
		{ID: "2", Action: ActionTerminated, RequestID: "req-2"},
		{ID: "3", Action: ActionExempt},
		{ID: "5", Action: ActionMarked, Reasons: reasons("reaper.idle", "idle")},
		{ID: "6", Action: ActionTerminated},
		{ID: "7", Action: ActionFailed},
		{ID: "8", Action: ActionMarked}, // new instance, new candidate
		{ID: "9", Action: ActionKept},   // new instance, no candidate
	}}
	got := Diff(a, b)
	ids := func(cs []Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Instance.ID+":"+c.Before+">"+c.After)
		}
		return out
	}
	want := map[string][]string{
		"new":        {"5:kept>marked", "8:>marked"},
		"resolved":   {"3:marked>exempt", "4:blocked>"},
		"terminated": {"2:would_terminate>terminated"},
	}
	gotMap := map[string][]string{"new": ids(got.NewCandidates), "resolved": ids(got.ResolvedCandidates), "terminated": ids(got.TerminatedSince)}
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	if got.StillCandidates != 2 {
		t.Errorf("still candidates: got %d, want 2", got.StillCandidates)
	}

	var buf bytes.Buffer
	if err := WriteDiff(&buf, got); err != nil {
		t.Fatalf("WriteDiff: %v", err)
	}
	text := buf.String()
	for _, w := range []string{
		"from a (2026-11-26 08:00 UTC)", "new candidates: 2", "+ 8 \"\" [ ] (new) -> marked", "reaper.idle: idle",
		"resolved candidates: 2", "- 4 \"\" [ ] blocked -> (gone)", "terminated since: 1", "request req-2", "still candidates: 2",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("diff text lacks %q:\n%s", w, text)
		}
	}
}

func TestWriteDiffStripsControlCharacters(t *testing.T) {
	a := &Run{RunID: "a"}
	b := &Run{RunID: "b", Instances: []Instance{{ID: "1", Name: "evil\x1b[2J\nname", Action: ActionMarked, Reasons: reasons("p", "r\x1b]0;title\x07\u202e")}}}
	var buf bytes.Buffer
	if err := WriteDiff(&buf, Diff(a, b)); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07\u202e") {
		t.Errorf("diff text contains control characters: %q", buf.String())
	}
}
