package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

func renderHTML(t testing.TB, r *Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return b.String()
}

// htmlElement is one element of a parsed page: its name, attributes and direct text.
type htmlElement struct {
	Name  string
	Attrs map[string]string
	Text  string
}

func (e htmlElement) signature() string {
	names := make([]string, 0, len(e.Attrs))
	for k := range e.Attrs {
		names = append(names, k)
	}
	slices.Sort(names)
	return e.Name + "[" + strings.Join(names, ",") + "]"
}

func (e htmlElement) hasClass(c string) bool {
	return slices.Contains(strings.Fields(e.Attrs["class"]), c)
}

var (
	styleBlock  = regexp.MustCompile(`(?s)<style>.*?</style>`)
	scriptBlock = regexp.MustCompile(`(?s)<script>.*?</script>`)
)

// parseHTML checks that the page is well-formed and returns its elements in document order. The
// page is written to be well-formed XML outside its one <style> and one <script> block (the
// renderer's own constant CSS and JS, which are replaced by empty elements first), so a strict XML
// decoder verifies that every element is closed and nothing from the fleet opened a new one.
func parseHTML(t testing.TB, doc string) []htmlElement {
	t.Helper()
	lower := strings.ToLower(doc)
	if n := strings.Count(lower, "<script"); n != 1 {
		t.Fatalf("<script occurs %d times, want exactly 1 (the report's own)", n)
	}
	if n := strings.Count(lower, "<style"); n != 1 {
		t.Fatalf("<style occurs %d times, want exactly 1 (the report's own)", n)
	}
	doc = styleBlock.ReplaceAllString(doc, "<style></style>")
	doc = scriptBlock.ReplaceAllString(doc, "<script></script>")
	dec := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(doc, "<!DOCTYPE html>")))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	var (
		out   []htmlElement
		stack []int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("page is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := htmlElement{Name: tok.Name.Local, Attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.Attrs[a.Name.Local] = a.Value
			}
			out = append(out, e)
			stack = append(stack, len(out)-1)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				out[stack[len(stack)-1]].Text += string(tok)
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("page ends with %d unclosed elements", len(stack))
	}
	return out
}

func find(elements []htmlElement, match func(htmlElement) bool) []htmlElement {
	var out []htmlElement
	for _, e := range elements {
		if match(e) {
			out = append(out, e)
		}
	}
	return out
}

func TestHTMLIsSelfContained(t *testing.T) {
	doc := renderHTML(t, sampleRun(t))
	elements := parseHTML(t, doc)

	csp := find(elements, func(e htmlElement) bool {
		return e.Name == "meta" && e.Attrs["http-equiv"] == "Content-Security-Policy"
	})
	if len(csp) != 1 || !strings.HasPrefix(csp[0].Attrs["content"], "default-src 'none'; ") {
		t.Errorf("CSP meta: got %v, want one with default-src 'none'", csp)
	}
	for _, e := range elements {
		for _, attr := range []string{"src", "href", "action", "srcset", "poster", "data"} {
			v, ok := e.Attrs[attr]
			if ok && !strings.HasPrefix(v, "#") {
				t.Errorf("<%s %s=%q> refers to an external resource", e.Name, attr, v)
			}
		}
		if e.Name == "link" || e.Name == "iframe" || e.Name == "img" || e.Name == "object" {
			t.Errorf("unexpected <%s> in a self-contained report", e.Name)
		}
	}
	for _, s := range []string{"http://", "https://", "@import", "url("} {
		if strings.Contains(doc, s) {
			t.Errorf("page contains %q: no external resources allowed", s)
		}
	}
}

func TestHTMLContent(t *testing.T) {
	r := sampleRun(t)
	elements := parseHTML(t, renderHTML(t, r))

	rows := find(elements, func(e htmlElement) bool { return e.Name == "tr" && e.hasClass("instance") })
	if len(rows) != len(r.Instances) {
		t.Fatalf("tr.instance rows: got %d, want %d", len(rows), len(r.Instances))
	}
	for _, id := range []string{"instances", "filter", "action-filter"} {
		if got := find(elements, func(e htmlElement) bool { return e.Attrs["id"] == id }); len(got) != 1 {
			t.Errorf("elements with id %q: got %d, want 1", id, len(got))
		}
	}
	cards := map[string]string{}
	for _, e := range find(elements, func(e htmlElement) bool { return strings.HasPrefix(e.Attrs["data-testid"], "card-") }) {
		cards[e.Attrs["data-testid"]] = e.Name
	}
	for _, c := range []string{"card-inventory", "card-candidates", "card-terminated", "card-safety", "card-savings"} {
		if _, ok := cards[c]; !ok {
			t.Errorf("summary card %s missing", c)
		}
	}
	text := allText(elements)
	for _, want := range []string{
		"ACTING", "1 termination failed with an unexpected error", "2026-11-27 08:00", "after that, it is gone",
		"the first leaves the recycle bin 2026-11-27 08:00 UTC",
		"p95 traffic 1.2 kbps in / 0.8 kbps out", "INTERNAL_SERVER_ERROR after 4 attempts", "A1B2C3D4-0002",
		"1.2 kbps / 800 bps", "partial data", "owner=platform", "1,748.50",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
}

func TestHTMLStates(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Run)
		want []string
		not  []string
	}{
		{
			name: "dry run",
			edit: func(r *Run) { r.DryRun, r.Result, r.Error = true, ResultOK, "" },
			want: []string{"DRY RUN", "dry run: reaper did not terminate anything", "Not blocked"},
			not:  []string{"ACTING"},
		},
		{
			name: "blocked",
			edit: func(r *Run) {
				r.Result, r.Error = ResultBlocked, ""
				r.Blocked = &Block{Limit: reconcile.LimitPerRun, Value: 10, Observed: 14, Due: 14, Message: "14 instances are due, more than max_terminations_per_run (10)"}
			},
			want: []string{"Blocked by max_terminations_per_run.", "14 instances are due, more than max_terminations_per_run (10)", "Nothing was terminated."},
			not:  []string{"Not blocked"},
		},
		{
			name: "aborted",
			edit: func(r *Run) { r.Result, r.Error = ResultAborted, "inventory: totalCount changed between pages" },
			want: []string{"Aborted.", "inventory: totalCount changed between pages", "Nothing was terminated."},
		},
		{
			name: "no pricing",
			edit: func(r *Run) { r.Finalize(nil) },
			want: []string{"estimate unavailable", "no pricing configured"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleRun(t)
			tt.edit(r)
			text := allText(parseHTML(t, renderHTML(t, r)))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("page text lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("page text has %q", n)
				}
			}
		})
	}
}

func TestHTMLEscapesFleetData(t *testing.T) {
	payloads := []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`' onmouseover='alert(1)`,
		`</td></tr></table><h1>pwned</h1>`,
		"javascript:alert(1)",
		"<!--",
		"\x00\x1b[31mred\xff",
	}
	for _, p := range payloads {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			checkEscaped(t, p)
		})
	}
}

// checkEscaped renders a run whose fleet data is payload everywhere and checks that the page is
// well-formed, has exactly the structure of the same page with harmless data, shows the payload as
// text, and (when it could form markup) never contains it raw more often than the harmless page.
func checkEscaped(t testing.TB, payload string) {
	t.Helper()
	if payload == "" || payload == "owner" {
		return // the evil instance's tag map would collapse and change the structure
	}
	const harmless = "harmless-placeholder"
	doc := renderHTML(t, evilRun(t, payload))
	base := renderHTML(t, evilRun(t, harmless))
	got, want := parseHTML(t, doc), parseHTML(t, base)

	if g, w := signatures(got), signatures(want); !slices.Equal(g, w) {
		t.Fatalf("page structure changed by fleet data:\n got %d elements\nwant %d elements", len(g), len(w))
	}
	for _, e := range got {
		for k := range e.Attrs {
			if strings.HasPrefix(k, "on") {
				t.Fatalf("event handler attribute %s on <%s>", k, e.Name)
			}
		}
	}
	row := find(got, func(e htmlElement) bool { return e.Attrs["id"] == "i-932237369560669999" })
	if len(row) != 1 {
		t.Fatalf("evil row: got %d, want 1", len(row))
	}
	names := find(got, func(e htmlElement) bool { return e.hasClass("name") && e.Text == printable(payload) })
	if len(names) != 1 {
		t.Errorf("name cell showing the payload as text: got %d, want 1", len(names))
	}
	if strings.Contains(payload, "<") && strings.Count(doc, payload) > strings.Count(base, payload) {
		t.Errorf("raw payload %q appears in the page", payload)
	}
}

func signatures(elements []htmlElement) []string {
	out := make([]string, len(elements))
	for i, e := range elements {
		out[i] = e.signature()
	}
	slices.Sort(out)
	return out
}

func allText(elements []htmlElement) string {
	var b strings.Builder
	for _, e := range elements {
		b.WriteString(e.Text)
		b.WriteByte(' ')
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func FuzzHTMLEscaping(f *testing.F) {
	for _, s := range []string{`<script>alert(1)</script>`, `"><svg onload=alert(1)>`, "a&b", "名前", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		checkEscaped(t, payload)
	})
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"web-1":           "web-1",
		"a\tb\nc\rd":      "a b c d",
		"esc\x1b[2J":      "esc\ufffd[2J",
		"nul\x00":         "nul\ufffd",
		"c1\u0085":        "c1\ufffd",
		"bad\xffutf8":     "bad\ufffdutf8",
		"nonchar\uffff":   "nonchar\ufffd",
		"名前 <b>&amp;</b>": "名前 <b>&amp;</b>", // escaping is html/template's job
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q): got %q, want %q", in, got, want)
		}
	}
}
