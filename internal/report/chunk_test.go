package report

import (
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// chunkSizes parses a rendered page and returns how many tr.instance rows each div.chunk holds, in
// page order. It fails the test on a row outside a chunk's table body, on a chunk that is not
// exactly one table with the column widths (colgroup) and a body, and on rows in the header table.
func chunkSizes(t *testing.T, doc string) []int {
	t.Helper()
	doc = styleBlock.ReplaceAllString(doc, "<style></style>")
	doc = scriptBlock.ReplaceAllString(doc, "<script></script>")
	dec := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(doc, "<!DOCTYPE html>")))
	dec.Strict = true
	var stack []string // element.class of the open elements
	var sizes []int
	cols := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse page: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			class := ""
			for _, a := range tok.Attr {
				if a.Name.Local == "class" {
					class = a.Value
				}
			}
			name := tok.Name.Local + "." + class
			switch {
			case name == "div.chunk":
				sizes = append(sizes, 0)
			case tok.Name.Local == "colgroup":
				cols++
			case name == "tr.instance":
				if n := len(stack); n < 3 || stack[n-1] != "tbody." || stack[n-2] != "table.rows-body" || stack[n-3] != "div.chunk" {
					t.Fatalf("a row outside div.chunk > table.rows-body > tbody: in %v", stack)
				}
				sizes[len(sizes)-1]++
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if cols != len(sizes)+1 {
		t.Errorf("%d colgroups for %d chunks and the header: each table must have the column widths", cols, len(sizes))
	}
	return sizes
}

// TestHTMLChunks: the rows are in chunks of chunkRows, in the page's order, every chunk full but
// the last; a page without rows has one empty chunk, so the header has its table below it.
func TestHTMLChunks(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want []int
	}{
		{0, []int{0}},
		{1, []int{1}},
		{chunkRows, []int{chunkRows}},
		{chunkRows + 1, []int{chunkRows, 1}},
		{2*chunkRows + 50, []int{chunkRows, chunkRows, 50}},
	} {
		r := bigRun(t, tt.n, 1)
		doc := renderHTML(t, r)
		if got := chunkSizes(t, doc); !slices.Equal(got, tt.want) {
			t.Errorf("%d rows: chunks of %v, want %v", tt.n, got, tt.want)
		}
		if got := strings.Count(doc, `<tr class="instance"`); got != tt.n {
			t.Errorf("%d rows: %d tr.instance", tt.n, got)
		}
	}
}

// TestHTMLChunksAtScale: the 100,000-instance page, cut by the row budget or not, is in chunks.
func TestHTMLChunksAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 100,000-instance report")
	}
	sizes := chunkSizes(t, renderHTML(t, bigRun(t, 100_000, 40)))
	if len(sizes) < 10 {
		t.Fatalf("%d chunks, want the 2,600 rows in chunks of %d", len(sizes), chunkRows)
	}
	for i, n := range sizes {
		if n > chunkRows || n == 0 || (n != chunkRows && i != len(sizes)-1) {
			t.Errorf("chunk %d of %d has %d rows", i, len(sizes), n)
		}
	}
}
