package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMarkdownCellsAreCut proves a long value cannot make a 5,000-character Markdown line: every
// cell is cut to mdCellWidth characters with an ellipsis, while the JSON keeps the full text.
func TestMarkdownCellsAreCut(t *testing.T) {
	long := strings.Repeat("very-long-reason ", 300) // 5,100 characters
	r := evilRun(t, "short")
	for i := range r.Instances {
		if r.Instances[i].Name == "short" {
			r.Instances[i].Name = long
			r.Instances[i].Reasons = reasons("reaper.expiry", long)
			r.Instances[i].Error = long
		}
	}
	r.Error = long
	doc := renderMarkdown(t, r)
	for _, line := range strings.Split(doc, "\n") {
		for _, cell := range splitCells(line) {
			if n := utf8.RuneCountInString(strings.TrimSpace(cell)); n > 2*mdCellWidth {
				t.Errorf("a Markdown cell has %d characters, want at most %d (escapes included): %.80q…", n, 2*mdCellWidth, cell)
			}
		}
		if n := utf8.RuneCountInString(line); n > 12*mdCellWidth {
			t.Errorf("a Markdown line has %d characters: %.80q…", n, line)
		}
	}
	if got := md(long); utf8.RuneCountInString(got) != mdCellWidth || !strings.HasSuffix(got, "…") {
		t.Errorf("md(5,100 characters): got %d characters ending %q, want %d ending with …",
			utf8.RuneCountInString(got), got[len(got)-8:], mdCellWidth)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), strings.TrimSpace(long)) {
		t.Error("the JSON report lost the full text")
	}
}

// TestMarkdownIsInert proves that control and bidi characters in fleet data reach the Markdown (and
// `report show --format text`) only as visible escapes.
func TestMarkdownIsInert(t *testing.T) {
	for _, payload := range []string{"evil\x1b[31mred", "\x1b]0;title\x07", "nul\x00", "invoice\u202efdp.exe", "c1\u009b2J", "zw\u200bsp"} {
		doc := renderMarkdown(t, evilRun(t, payload))
		for _, bad := range []string{"\x1b", "\x07", "\x00", "\u202e", "\u009b", "\u200b"} {
			if strings.Contains(doc, bad) {
				t.Errorf("payload %q: the Markdown holds %q raw", payload, bad)
			}
		}
		if payload == "invoice\u202efdp.exe" && !strings.Contains(doc, `invoice\\u202efdp.exe`) {
			t.Errorf("payload %q is not shown as an escape", payload)
		}
	}
}
