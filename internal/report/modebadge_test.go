package report

import (
	"strings"
	"testing"
)

// TestHTMLBadgeNamesTheMode: the page's badge is the run's mode, with what it means in its
// title; a mark or approve run is not called a dry run, and a report without a mode keeps the old
// words.
func TestHTMLBadgeNamesTheMode(t *testing.T) {
	tests := []struct {
		mode, command string
		dry           bool
		badge, means  string
	}{
		{"dry-run", "run", true, "DRY RUN", "Dry run"},
		{"mark", "run", true, "MARK", "never terminates"},
		{"approve", "run", true, "APPROVE", "reaper apply"},
		{"enforce", "run", false, "ENFORCE", "terminates them once due"},
		{"enforce", "plan", true, "ENFORCE · PLAN", "plan"},
		{"", "run", true, "DRY RUN", "Dry run"},
		{"", "run", false, "ACTING", "Acting"},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+tt.command, func(t *testing.T) {
			r := sampleRun(t)
			r.Mode, r.Command, r.DryRun = tt.mode, tt.command, tt.dry
			pills := find(parseHTML(t, renderHTML(t, r)), func(e htmlElement) bool { return e.hasClass("pill") && e.Attrs["title"] != "" })
			if len(pills) == 0 {
				t.Fatal("no mode badge")
			}
			if tt.mode == "mark" || tt.mode == "approve" {
				if page := renderHTML(t, r); strings.Contains(page, "dry run: reaper did not terminate") {
					t.Errorf("a %s run's page calls it a dry run", tt.mode)
				}
			}
			p := pills[0]
			if p.Text != tt.badge || !strings.Contains(p.Attrs["title"], tt.means) {
				t.Errorf("badge %q (title %q), want %q meaning %q", p.Text, p.Attrs["title"], tt.badge, tt.means)
			}
			if tt.mode != "" && tt.mode != "dry-run" && tt.command == "run" {
				if strings.Contains(p.Attrs["title"], "Dry run") {
					t.Errorf("a %s run's badge says dry run: %q", tt.mode, p.Attrs["title"])
				}
			}
		})
	}
}
