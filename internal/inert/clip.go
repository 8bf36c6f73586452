package inert

import "strings"

// Clip renders s for a table cell: one line (runs of white space, newlines included, become one
// space), inert (see Text), at most n runes, the last one an ellipsis when s was cut.
func Clip(s string, n int) string {
	s = Text(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
