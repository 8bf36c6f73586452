package report

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// jsChunks is how many rows each chunk shows, and whether the chunk itself is shown.
const jsChunks = `Array.from(document.querySelectorAll('#instances div.chunk')).map(c => ` +
	`(c.hidden ? 'hidden ' : '') + Array.from(c.querySelectorAll('tr.instance')).filter(r => !r.hidden).length)`

// TestBrowserChunks: a report of 2.25 chunks of rows, in Chromium. The chunks are skipped off
// screen (content-visibility) with fixed column widths that line up with the header's; sorting
// orders the rows across chunks and deals them out again; filtering hides the chunks without a
// match; and without JavaScript every row is there to scroll to.
func TestBrowserChunks(t *testing.T) {
	r := bigRun(t, 2*chunkRows+50, 1)
	viewport := func(ctx context.Context) error { return chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)) }
	p := openReport(t, r, viewport)

	t.Run("chunks are skipped off screen and line up", func(t *testing.T) {
		got := p.eval(t, `(() => { const c = document.querySelectorAll('#instances div.chunk'); const s = getComputedStyle(c[1]);`+
			`return [String(c.length), s.contentVisibility, getComputedStyle(c[1].querySelector('table')).tableLayout]; })()`)
		if want := []string{"3", "auto", "fixed"}; !slices.Equal(got, want) {
			t.Errorf("chunks, content-visibility, table-layout: got %v, want %v", got, want)
		}
		// Each column's left edge and width in the header, the first chunk and the last.
		edges := p.eval(t, `(() => { const rows = [document.querySelector('#instances table.rows-head thead tr'),`+
			`document.querySelector('#instances div.chunk tr.instance'), Array.from(document.querySelectorAll('#instances tr.instance')).pop()];`+
			`return rows.map(r => Array.from(r.cells).map(c => { const b = c.getBoundingClientRect(); return Math.round(b.left) + '+' + Math.round(b.width); }).join(' ')); })()`)
		if edges[0] != edges[1] || edges[0] != edges[2] {
			t.Errorf("columns do not line up:\nheader      %s\nfirst chunk %s\nlast chunk  %s", edges[0], edges[1], edges[2])
		}
	})

	t.Run("sorting orders rows across chunks", func(t *testing.T) {
		before := p.eval(t, jsFirstColumn)
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(`#instances th[data-col=instance] button`))); err != nil {
			t.Fatalf("click instance header: %v", err)
		}
		got := p.eval(t, jsFirstColumn)
		want := slices.Clone(before)
		slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		if !slices.Equal(got, want) {
			t.Errorf("sorted by name: got %v..., want %v...", got[:5], want[:5])
		}
		if sizes := p.eval(t, jsChunks); !slices.Equal(sizes, []string{"200", "200", "50"}) {
			t.Errorf("rows per chunk after sorting: %v, want 200 200 50", sizes)
		}
	})

	t.Run("filtering hides the chunks without a match", func(t *testing.T) {
		// Sorted by name, the FRA-A rows come first: all in the first chunk.
		if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.ID("filter"), "worker-fra-a")); err != nil {
			t.Fatalf("type filter: %v", err)
		}
		want := 0
		for _, in := range r.Instances {
			if in.Zone == "FRA-A" {
				want++
			}
		}
		if got := p.eval(t, jsChunks); !slices.Equal(got, []string{strconv.Itoa(want), "hidden 0", "hidden 0"}) {
			t.Errorf("rows per chunk: %v, want %d, hidden, hidden", got, want)
		}
		if got := p.eval(t, jsVisibleIDs); len(got) != want {
			t.Errorf("%d rows visible, want %d", len(got), want)
		}
		// The shown chunk's placeholder height (until it is drawn again) is for its shown rows,
		// not for a full chunk. Chromium reports it as "auto 1234px".
		h := p.eval(t, `[getComputedStyle(document.querySelector('#instances div.chunk')).containIntrinsicBlockSize]`)
		fields := strings.Fields(h[0])
		if px, err := strconv.ParseFloat(strings.TrimSuffix(fields[len(fields)-1], "px"), 64); err != nil || px <= 0 || px > float64(want)*150 {
			t.Errorf("contain-intrinsic-block-size %q for %d rows", h[0], want)
		}
		if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()`)); err != nil {
			t.Fatalf("clear filter: %v", err)
		}
		if got := p.eval(t, jsChunks); !slices.Equal(got, []string{"200", "200", "50"}) {
			t.Errorf("rows per chunk after clearing the filter: %v", got)
		}
		if got := p.eval(t, `[document.getElementById('shown-count').textContent]`); got[0] != "450" {
			t.Errorf("shown count %s, want 450", got[0])
		}
	})
	if n := p.exceptions.Load(); n != 0 {
		t.Errorf("%d JavaScript exceptions", n)
	}

	t.Run("without JavaScript every row is there", func(t *testing.T) {
		p := openReport(t, r, viewport, func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		})
		if got := p.eval(t, jsVisibleIDs); len(got) != len(r.Instances) {
			t.Errorf("%d rows visible, want %d", len(got), len(r.Instances))
		}
		got := p.eval(t, `(() => { const r = Array.from(document.querySelectorAll('#instances tr.instance')).pop(); r.scrollIntoView();`+
			`const b = r.getBoundingClientRect(); return [String(b.height > 20), String(b.top >= 0 && b.bottom <= innerHeight), r.cells[0].querySelector('.name').textContent,`+
			`String(document.documentElement.classList.contains('js')), r.dataset.id]; })()`)
		name := ""
		for _, in := range r.Instances {
			if in.ID == got[len(got)-1] {
				name = in.Name
			}
		}
		if want := []string{"true", "true", name, "false"}; name == "" || !slices.Equal(got[:4], want) {
			t.Errorf("last row after scrolling to it (drawn, in view, name, script ran): %v, want %v", got, want)
		}
	})
}
