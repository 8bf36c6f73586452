package inert

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain":          {"ci-runner-1", "ci-runner-1"},
		"unicode stays":  {"düsseldorf-東京-✓", "düsseldorf-東京-✓"},
		"backslash":      {`C:\x1b`, `C:\x1b`},
		"esc csi":        {"evil\x1b[31mred\x1b[0m", `evil\x1b[31mred\x1b[0m`},
		"osc title":      {"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		"osc 8 link":     {"\x1b]8;;http://x\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;http://x\x1b\click\x1b]8;;\x1b\`},
		"bel nul":        {"a\x07b\x00c", `a\x07b\x00c`},
		"whitespace":     {"a\tb\nc\rd", `a\tb\nc\rd`},
		"del":            {"a\x7fb", `a\x7fb`},
		"c1 csi":         {"a\u009b31m", `a\u009b31m`},
		"rlo":            {"invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		"isolates":       {"\u2066x\u2069", `\u2066x\u2069`},
		"zero width":     {"pr\u200bod", `pr\u200bod`},
		"bom":            {"\ufeffname", `\ufeffname`},
		"line separator": {"a\u2028b\u2029c", `a\u2028b\u2029c`},
		"invalid utf8":   {"a\xffb\xc3", `a\xffb\xc3`},
		"tag chars":      {"a\U000e0041", `a\U000e0041`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q): got %q, want %q", tc.in, got, tc.want)
			}
			if got, want := Safe(tc.in), tc.in == tc.want; got != want {
				t.Errorf("Safe(%q): got %v, want %v", tc.in, got, want)
			}
		})
	}
}

// FuzzText checks that Text's output is always inert: valid UTF-8 with no rune a terminal acts on.
func FuzzText(f *testing.F) {
	for _, s := range []string{"ok", "\x1b[2J", "\u202e", "\xff", "a\nb", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q: invalid UTF-8", s, out)
		}
		if !Safe(out) {
			t.Fatalf("Text(%q) = %q: still unsafe", s, out)
		}
		if Safe(s) && out != s {
			t.Fatalf("Text(%q) = %q: changed safe text", s, out)
		}
		if strings.ContainsAny(out, "\x1b\x07\x00\n\r") {
			t.Fatalf("Text(%q) = %q: control left", s, out)
		}
	})
}
