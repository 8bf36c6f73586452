package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// The report schema keeps its own copy of the action and result names: report.json is a document
// read back by `reaper report` (schema version 1 included), and this package is a leaf that
// imports no domain package (docs/ARCHITECTURE.md). These tests pin the copy to reconcile's vocabulary:
// they fail when a word is added, removed or reordered on one side only.

func TestActionsFollowReconcile(t *testing.T) {
	var want []string
	for _, a := range reconcile.Actions() {
		want = append(want, string(a))
	}
	if !slices.Equal(Actions, want) {
		t.Errorf("report.Actions = %v, reconcile.Actions() = %v (same words, same order)", Actions, want)
	}
	for _, a := range reconcile.Actions() {
		if got, want := IsCandidate(string(a)), a.IsCandidate(); got != want {
			t.Errorf("IsCandidate(%q) = %v, reconcile says %v", a, got, want)
		}
	}
}

func TestResultsFollowReconcile(t *testing.T) {
	got := []string{ResultOK, ResultBlocked, ResultAborted, ResultFailed}
	var want []string
	for _, s := range reconcile.Statuses() {
		want = append(want, string(s))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("report results = %v, reconcile statuses = %v", got, want)
	}
}

// TestSchemaDocumentFollowsReconcile: the enums of docs/report.schema.json, the document users
// validate report.json against, are reconcile's words.
func TestSchemaDocumentFollowsReconcile(t *testing.T) {
	b, err := os.ReadFile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties struct {
			Command, Result, Mode struct{ Enum []string }
		}
		Defs struct {
			Action struct{ Enum []string }
			Block  struct {
				Properties struct{ Limit struct{ Enum []string } }
			}
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var actions, statuses []string
	for _, a := range reconcile.Actions() {
		actions = append(actions, string(a))
	}
	for _, s := range reconcile.Statuses() {
		statuses = append(statuses, string(s))
	}
	for _, tt := range []struct {
		name      string
		got, want []string
	}{
		{"command", doc.Properties.Command.Enum, reconcile.Commands()},
		{"result", doc.Properties.Result.Enum, statuses},
		{"action", doc.Defs.Action.Enum, actions},
		{"block.limit", doc.Defs.Block.Properties.Limit.Enum, reconcile.Limits()},
		{"mode", doc.Properties.Mode.Enum, reconcile.Modes()},
	} {
		got, want := slices.Sorted(slices.Values(tt.got)), slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got, want) {
			t.Errorf("schema enum of %s = %v, reconcile has %v", tt.name, got, want)
		}
	}
}

// vocabularyRun has one instance per reconcile action.
func vocabularyRun() *Run {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	r := &Run{RunID: "20261126T080000Z-vocab", Command: reconcile.CommandRun, StartedAt: t0, FinishedAt: t0.Add(time.Second),
		Result: string(reconcile.StatusOK)}
	for i, a := range reconcile.Actions() {
		r.Instances = append(r.Instances, Instance{ID: string(rune('a' + i)), Name: "vm", Zone: "z", Action: string(a)})
	}
	r.InventorySize = len(r.Instances)
	r.Finalize(nil)
	return r
}

// TestEveryFormatRendersTheVocabulary renders a run with one instance per action in every format:
// each action is counted, listed and styled, and nothing else is.
func TestEveryFormatRendersTheVocabulary(t *testing.T) {
	r := vocabularyRun()
	actions := make(map[string]bool)
	for _, a := range reconcile.Actions() {
		actions[string(a)] = true
	}

	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Summary struct {
				ByAction map[string]int `json:"by_action"`
			} `json:"summary"`
			Instances []struct {
				Action string `json:"action"`
			} `json:"instances"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		for a, n := range doc.Summary.ByAction {
			if !actions[a] || n != 1 {
				t.Errorf("by_action[%q] = %d, want 1 for each reconcile action and no other key", a, n)
			}
		}
		if len(doc.Summary.ByAction) != len(actions) {
			t.Errorf("by_action has %d keys, reconcile has %d actions", len(doc.Summary.ByAction), len(actions))
		}
		for _, in := range doc.Instances {
			if !actions[in.Action] {
				t.Errorf("instance action %q is not a reconcile action", in.Action)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(rows[0], "action")
		if col < 0 {
			t.Fatalf("no action column in %v", rows[0])
		}
		seen := map[string]bool{}
		for _, row := range rows[1:] {
			if !actions[row[col]] {
				t.Errorf("csv action %q is not a reconcile action", row[col])
			}
			seen[row[col]] = true
		}
		if len(seen) != len(actions) {
			t.Errorf("csv shows %d actions, reconcile has %d", len(seen), len(actions))
		}
	})

	t.Run("markdown", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteMarkdown(&buf, r); err != nil {
			t.Fatal(err)
		}
		section := strings.SplitN(buf.String(), "## Counts by action", 2)
		if len(section) != 2 {
			t.Fatal("no counts by action in the markdown")
		}
		var rows []string
		for _, l := range strings.Split(strings.SplitN(section[1], "\n## ", 2)[0], "\n") {
			if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| Action ") {
				rows = append(rows, l)
			}
		}
		if len(rows) != len(actions) {
			t.Errorf("counts by action has %d rows, reconcile has %d actions:\n%s", len(rows), len(actions), strings.Join(rows, "\n"))
		}
		for _, a := range reconcile.Actions() {
			if !slices.Contains(rows, "| "+md(string(a))+" | 1 |") {
				t.Errorf("no row for %q in the counts by action", a)
			}
		}
	})

	t.Run("html", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		for _, a := range reconcile.Actions() {
			if !strings.Contains(page, ".a-"+string(a)) {
				t.Errorf("the page's style has no rule for action %q (.a-%s)", a, a)
			}
			if !strings.Contains(page, `data-action="`+string(a)+`"`) {
				t.Errorf("the legend or the table has no entry for action %q", a)
			}
		}
		if strings.Contains(page, `class="badge a-unknown`) {
			t.Error("an action is shown as unknown")
		}
	})
}

// TestHeadlineNamesTheMode: a cycle that could not terminate says why in its headline: a dry run
// (the dry-run mode, --dry-run), a plan, named with the mode it plans for (a plan acts in no mode),
// or the mark or approve mode.
func TestHeadlineNamesTheMode(t *testing.T) {
	tests := []struct{ mode, command, want string }{
		{"", "run", "Dry run: "},
		{"", "plan", "Dry run: "}, // a report from before modes
		{"dry-run", "run", "Dry run: "},
		{"enforce", "run", "Dry run: "}, // --dry-run
		{"enforce", "plan", "Plan (enforce mode, acts on nothing): "},
		{"mark", "plan", "Plan (mark mode, acts on nothing): "},
		{"approve", "plan", "Plan (approve mode, acts on nothing): "},
		{"dry-run", "plan", "Plan (dry-run mode, acts on nothing): "},
		{"mark", "run", "Mark mode (marks, never terminates): "},
		{"approve", "run", "Approve mode (terminations only through reaper apply): "},
	}
	for _, tt := range tests {
		r := &Run{Mode: tt.mode, Command: tt.command, DryRun: true, Result: ResultOK}
		r.Finalize(nil)
		if got := headline(r); !strings.HasPrefix(got, tt.want) {
			t.Errorf("mode %q %s: headline %q, want it to start with %q", tt.mode, tt.command, got, tt.want)
		}
	}
}
