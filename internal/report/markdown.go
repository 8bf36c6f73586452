package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/reaper-bmc/reaper/internal/inert"
)

// WriteMarkdown writes report.md: a summary of the run (mode, result, why it was blocked, counts by
// action, policy and zone, savings), the table of candidates (would_terminate, terminated, marked,
// blocked, failed) with their reasons and due times, and the instances that carry warnings. Every
// value from the fleet is escaped, so a name cannot break the tables, inject markup or send a
// terminal escape (`report show --format text` prints this), and cut to mdCellWidth characters.
func WriteMarkdown(w io.Writer, r *Run) error { return writeMarkdown(w, r, pageExtras{}) }

// WriteStoredMarkdown is WriteMarkdown for a run stored in dir, with the trend table of at most
// trendRuns runs ending with r (see Trend), as the report.md the run wrote has it.
func WriteStoredMarkdown(w io.Writer, dir string, r *Run, trendRuns int) error {
	trend, _ := Trend(dir, r, trendRuns)
	return writeMarkdown(w, r, pageExtras{Trend: trend, TrendRuns: trendRuns})
}

// writeMarkdown is WriteMarkdown with the trend over past runs, as a table after the header.
func writeMarkdown(w io.Writer, r *Run, x pageExtras) error {
	bw := bufio.NewWriter(w)
	m := mdWriter{w: bw}
	m.header(r)
	m.trend(x.Trend)
	m.counts(r)
	m.candidates(r)
	m.warnings(r)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write markdown report: %w", err)
	}
	return nil
}

type mdWriter struct{ w *bufio.Writer }

func (m mdWriter) f(format string, args ...any) { fmt.Fprintf(m.w, format, args...) }

func (m mdWriter) header(r *Run) {
	m.f("# reaper report %s\n\n", md(r.RunID))
	m.f("%s\n\n", md(headline(r)))
	m.f("| | |\n|---|---|\n")
	m.f("| Command | %s |\n", md(r.Command))
	if r.PlanRunID != "" {
		m.f("| Plan of run | %s |\n", md(r.PlanRunID))
	}
	m.f("| Mode | **%s** |\n", md(modeLabel(r)))
	m.f("| Result | **%s** |\n", md(r.Result))
	if r.Blocked != nil {
		m.f("| Blocked by | %s: %s |\n", md(r.Blocked.Limit), md(blockText(r.Blocked)))
	}
	if r.Error != "" {
		m.f("| Error | %s |\n", md(r.Error))
	}
	m.f("| Started | %s |\n", md(fmtTime(&r.StartedAt)))
	m.f("| Finished | %s (took %s) |\n", md(fmtTime(&r.FinishedAt)), took(r))
	m.f("| Inventory | %d instances |\n", r.InventorySize)
	m.f("| Candidates | %d |\n", r.Summary.Candidates)
	if line := r.TrafficPendingText(); line != "" {
		m.f("| Traffic | %s |\n", md(strings.TrimPrefix(line, "traffic: ")))
	}
	m.f("| Estimated monthly savings | %s |\n", md(savingsText(r)))
	m.f("| Policies | %s |\n", md(strings.Join(r.Policies, ", ")))
	m.f("| Config digest | %s |\n", md(r.ConfigDigest))
	m.f("| Policy digest | %s |\n\n", md(r.PolicyDigest))
	if r.ApplyCommand != "" {
		m.f("To terminate what this plan lists after review, run:\n\n```\n%s\n```\n\n", r.ApplyCommand)
	}
}

func (m mdWriter) counts(r *Run) {
	m.f("## Counts by action\n\n| Action | Instances |\n|---|---:|\n")
	for _, a := range Actions {
		m.f("| %s | %d |\n", md(a), r.Summary.ByAction[a])
	}
	for _, a := range sortedKeys(r.Summary.ByAction) {
		if actionRank(a) == len(Actions) {
			m.f("| %s | %d |\n", md(a), r.Summary.ByAction[a])
		}
	}
	m.f("\n")
	m.countList("Candidates by policy", r.Summary.ByPolicy)
	m.countList("Candidates by zone", r.Summary.ByZone)
}

func (m mdWriter) countList(title string, counts map[string]int) {
	m.f("## %s\n\n", title)
	if len(counts) == 0 {
		m.f("None.\n\n")
		return
	}
	for _, k := range sortedKeys(counts) {
		name := k
		if name == "" {
			name = "(none)"
		}
		m.f("- %s: %d\n", md(name), counts[k])
	}
	m.f("\n")
}

func (m mdWriter) candidates(r *Run) {
	m.f("## Candidates\n\n")
	var rows []Instance
	for _, i := range displayOrder(r, func(in *Instance) bool { return IsCandidate(in.Action) }) {
		rows = append(rows, r.Row(i))
	}
	if len(rows) == 0 {
		m.f("No candidates: no instance is marked or due for termination.\n\n")
		return
	}
	m.f("| Instance | ID | Zone | Type | Action | Reasons | Marked | Due | Notes |\n")
	m.f("|---|---|---|---|---|---|---|---|---|\n")
	for _, in := range rows {
		m.f("| %s | %s | %s | %s | **%s** | %s | %s | %s | %s |\n",
			md(in.Name), md(in.ID), md(in.Zone), md(in.Type), md(in.Action),
			md(joinReasons(in.Reasons)), md(fmtTime(in.MarkedAt)), md(dueText(in, r)), md(notes(in)))
	}
	m.f("\n")
}

func (m mdWriter) warnings(r *Run) {
	var lines []string
	for _, i := range displayOrder(r, func(in *Instance) bool { return len(in.Warnings) > 0 }) {
		in := r.Row(i)
		for _, w := range in.Warnings {
			lines = append(lines, fmt.Sprintf("- %s (%s): %s: %s", md(in.Name), md(in.ID), md(w.Policy), md(w.Reason)))
		}
	}
	if len(lines) == 0 {
		return
	}
	m.f("## Warnings\n\n%s\n\n", strings.Join(lines, "\n"))
}

func dueText(in Instance, r *Run) string {
	if in.DueAt == nil {
		return ""
	}
	if rel := relative(in.DueAt, r.StartedAt); rel != "" {
		return fmtTime(in.DueAt) + " (" + rel + ")"
	}
	return fmtTime(in.DueAt)
}

// notes collects what a reader needs beside the reasons: request ID, error, where a terminated
// instance went, exemptions and the skip reason.
func notes(in Instance) string {
	var parts []string
	if in.RequestID != "" {
		parts = append(parts, "request "+in.RequestID)
	}
	if in.Error != "" {
		parts = append(parts, "error: "+in.Error)
	}
	if n := terminationNote(in); n != "" {
		parts = append(parts, n)
	}
	if in.SkipReason != "" {
		parts = append(parts, "skipped: "+in.SkipReason)
	}
	if len(in.Exemptions) > 0 {
		parts = append(parts, "exempt: "+joinReasons(in.Exemptions))
	}
	if in.TrafficStatus == TrafficPending {
		parts = append(parts, "traffic: pending")
	}
	return strings.Join(parts, "; ")
}

func savingsText(r *Run) string {
	s := r.Savings
	amount := s.WouldTerminateMonthly + s.TerminatedMonthly
	if !s.Available {
		if amount > 0 {
			return fmt.Sprintf("estimate unavailable (at least %s per month): %s", fmtMoney(amount), s.Note)
		}
		return "estimate unavailable: " + s.Note
	}
	if isDryRun(r) {
		return fmtMoney(s.WouldTerminateMonthly) + " per month if the candidates were terminated"
	}
	return fmtMoney(s.TerminatedMonthly) + " per month saved by this run's terminations"
}

// mdCellWidth is the most characters a Markdown cell or list value shows; a longer value is cut
// to mdCellWidth-1 characters and "…". The JSON, CSV and HTML reports keep the full text.
const mdCellWidth = 200

// md renders text for a Markdown table cell or list item: newlines and tabs become spaces, control,
// bidi and other invisible characters become visible escapes (inert.Text), the result is cut to
// mdCellWidth characters, and then characters that start markup (emphasis, code, links, HTML,
// entities, math, table pipes) get a backslash and "://" and "www." are broken up so they do not
// become links.
func md(s string) string {
	s = strings.Map(func(c rune) rune {
		if c == '\n' || c == '\r' || c == '\t' {
			return ' '
		}
		return c
	}, s)
	s = cut(inert.Text(s), mdCellWidth)
	var b strings.Builder
	for i, c := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<>|~&$", c),
			c == ':' && strings.HasPrefix(s[i:], "://"),
			c == '.' && strings.HasSuffix(strings.ToLower(s[:i]), "www"):
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// cut shortens s to n characters, the last being "…", when it is longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// trend writes the numbers of the HTML report's trend chart, oldest run first.
func (m mdWriter) trend(points []TrendPoint) {
	if len(points) == 0 {
		return
	}
	m.f("## Trend (last %d %s)\n\n", len(points), plural(len(points), "run", "runs"))
	m.f("| Run | Started | Inventory | Candidates | Terminated | Cumulative realized savings |\n|---|---|---:|---:|---:|---:|\n")
	for _, p := range points {
		m.f("| %s | %s | %d | %d | %d | %s |\n", md(p.RunID), md(fmtTime(&p.StartedAt)), p.Inventory, p.Candidates,
			p.Terminated, md(trendSavingsText(p)))
	}
	m.f("\n")
}
