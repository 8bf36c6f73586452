package main

import (
	"strings"

	"github.com/reaper-bmc/reaper/internal/inert"
)

// clip renders s for a table cell (see inert.Clip). Every value from the fleet, the API or a
// report goes through it (or inert.Text) before it reaches the terminal.
func clip(s string, n int) string { return inert.Clip(s, n) }

// inertLines is s with each line rendered by inert.Text: a multi-line message (config errors)
// keeps its lines, and nothing else in it can act on the terminal.
func inertLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = inert.Text(l)
	}
	return strings.Join(lines, "\n")
}
