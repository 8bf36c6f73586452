// Package inert renders untrusted text (instance names, tag values, policy reasons, API and
// report text) so that a terminal shows it and does nothing else: control characters, bidi and
// other invisible format characters, line separators and invalid UTF-8 become visible escapes
// (\x1b, \n, \u202e). Every table, summary and text report reaper prints goes through Text.
package inert

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s with every rune a terminal could act on, or that a reader cannot see, replaced
// by a visible Go-style escape: C0 controls and DEL as \xNN (tab, newline and carriage return as
// \t, \n, \r), C1 controls and Unicode format characters (bidi overrides and isolates, zero-width
// characters, the BOM) and line and paragraph separators as \uNNNN, and each byte of invalid
// UTF-8 as \xNN. Other text, backslashes included, is returned unchanged, so ordinary names read
// as they are.
func Text(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafe(r):
			b.WriteString(s[i : i+size])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	return b.String()
}

// Safe reports whether Text would return s unchanged.
func Safe(s string) bool { return firstUnsafe(s) < 0 }

// firstUnsafe is the byte offset of the first rune Text escapes, or -1.
func firstUnsafe(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
		if unsafe(r) {
			return i
		}
	}
	return -1
}

// unsafe reports whether r is a control, format (Cf: bidi controls, zero-width characters) or
// line/paragraph separator character.
func unsafe(r rune) bool {
	if r < 0x20 || r == 0x7f {
		return true
	}
	if r < 0x80 {
		return false
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
