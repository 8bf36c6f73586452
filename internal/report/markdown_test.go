package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

func renderMarkdown(t *testing.T, r *Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	return b.String()
}

// markdownSection returns the lines under the heading "## title", up to the next heading.
func markdownSection(doc, title string) []string {
	_, rest, ok := strings.Cut(doc, "\n## "+title+"\n")
	if !ok {
		return nil
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return strings.Split(strings.TrimSpace(rest), "\n")
}

// tableRows returns the data rows of the Markdown table in lines, split into cells on unescaped
// pipes.
func tableRows(lines []string) [][]string {
	var rows [][]string
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		cells := splitCells(l)
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		return nil
	}
	return rows[2:] // header and separator
}

func splitCells(line string) []string {
	var cells []string
	var cur strings.Builder
	escaped := false
	for _, c := range strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|") {
		switch {
		case escaped:
			cur.WriteRune(c)
			escaped = false
		case c == '\\':
			cur.WriteRune(c)
			escaped = true
		case c == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func TestMarkdownSummary(t *testing.T) {
	r := sampleRun(t)
	r.Result, r.Error = ResultBlocked, ""
	r.Blocked = &Block{Limit: reconcile.LimitPerRun, Value: 10, Observed: 14, Due: 14, Message: "14 instances are due, more than max_terminations_per_run (10)"}
	doc := renderMarkdown(t, r)
	for _, want := range []string{
		"# reaper report 20261126T080000Z-3f9a1c",
		"A safety limit blocked the cycle: 14 instances are due, more than max\\_terminations\\_per\\_run (10). Nothing was terminated.",
		"| Mode | **acting** |",
		"| Result | **blocked** |",
		"| Blocked by | max\\_terminations\\_per\\_run: 14 instances are due",
		"| Inventory | 14 instances |",
		"| Estimated monthly savings | 1,748.50 per month saved by this run's terminations |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report.md lacks %q:\n%s", want, doc)
		}
	}
	counts := map[string]string{}
	for _, row := range tableRows(markdownSection(doc, "Counts by action")) {
		counts[strings.ReplaceAll(row[0], `\_`, "_")] = row[1]
	}
	for a, n := range map[string]string{ActionTerminated: "2", ActionSkipped: "3", ActionBlocked: "1", ActionKept: "2"} {
		if counts[a] != n {
			t.Errorf("count of %s: got %q, want %s", a, counts[a], n)
		}
	}
	if got := markdownSection(doc, "Warnings"); len(got) != 1 || !strings.Contains(got[0], "web-1") {
		t.Errorf("warnings section: got %q, want one line about web-1", got)
	}
}

func TestMarkdownCandidates(t *testing.T) {
	r := sampleRun(t)
	rows := tableRows(markdownSection(renderMarkdown(t, r), "Candidates"))
	if len(rows) != r.Summary.Candidates {
		t.Fatalf("candidate rows: got %d, want %d", len(rows), r.Summary.Candidates)
	}
	// Most urgent first: the failed one leads; terminated rows say where the instance went.
	if !strings.Contains(rows[0][0], "gpu-batch-07") || !strings.Contains(rows[0][8], "INTERNAL\\_SERVER\\_ERROR") {
		t.Errorf("first candidate row: got %q, want gpu-batch-07 with its error", rows[0])
	}
	var sawRecycle bool
	for _, row := range rows {
		if len(row) != 9 {
			t.Errorf("row has %d cells, want 9: %q", len(row), row)
		}
		if strings.Contains(row[8], "in the recycle bin until 2026-11-27 08:00 UTC; after that, it is gone") {
			sawRecycle = true
		}
	}
	if !sawRecycle {
		t.Errorf("no candidate row names the recycle-bin deadline")
	}

	r.Instances, r.InventorySize = nil, 0
	r.Finalize(nil)
	if got := markdownSection(renderMarkdown(t, r), "Candidates"); len(got) != 1 || !strings.HasPrefix(got[0], "No candidates") {
		t.Errorf("empty candidates section: got %q", got)
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"},
		{"[x](http://evil)", `\[x\](http\://evil)`},
		{"<script>alert(1)</script>", `\<script\>alert(1)\</script\>`},
		{"line1\nline2", "line1 line2"},
		{"www.evil.example", `www\.evil.example`},
		{"$x$ ~y~ &amp;", `\$x\$ \~y\~ \&amp;`},
		{"back\\slash", `back\\slash`},
		{"ctrl\x1b[31m", `ctrl\\x1b\[31m`},
		{"rlo\u202e", `rlo\\u202e`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := md(tt.in); got != tt.want {
				t.Errorf("md(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	r := evilRun(t, "x|y</td>*")
	rows := tableRows(markdownSection(renderMarkdown(t, r), "Candidates"))
	for _, row := range rows {
		if len(row) != 9 {
			t.Errorf("a pipe in fleet data split a row: %d cells in %q", len(row), row)
		}
	}
}
