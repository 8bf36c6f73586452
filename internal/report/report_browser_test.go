package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser: $CHROMIUM, else /usr/bin/chromium. Without one the browser tests
// skip, except in CI (CI=true), which installs it: there a missing browser is a failure.
func chromiumPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (set CHROMIUM): %v", path, err)
		}
		msg := fmt.Sprintf("chromium not found at %s (set CHROMIUM to run the browser tests): %v", path, err)
		noteSkip(t, msg)
		t.Skip(msg)
	}
	return path
}

// skipFileEnv names the file where a test that skips for want of a component says so. `make test`
// sets it and prints a banner on stderr at the end when the file is not empty, so a skipped
// browser test cannot pass unseen in a long, green test run.
const skipFileEnv = "REAPER_SKIP_FILE"

// noteSkip appends "package test: why" to $REAPER_SKIP_FILE, if it is set.
func noteSkip(t testing.TB, why string) {
	t.Helper()
	path := os.Getenv(skipFileEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Errorf("record the skip in %s: %v", path, err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "internal/report %s: %s\n", t.Name(), why); err != nil {
		t.Errorf("record the skip in %s: %v", path, err)
	}
}

// browserPage is one headless tab with the report open.
type browserPage struct {
	ctx        context.Context
	dialogs    atomic.Int32
	exceptions atomic.Int32
}

// openReport renders r as report.html into a temporary directory and opens it in a fresh headless
// browser over file://, counting JavaScript dialogs (an injected alert) and uncaught exceptions.
func openReport(t *testing.T, r *Run, opts ...func(context.Context) error) *browserPage {
	t.Helper()
	chromiumPath(t)
	runDir, err := Write(t.TempDir(), r, []string{FormatHTML})
	if err != nil {
		t.Fatalf("write report: %v", err)
	}
	return openHTML(t, filepath.Join(runDir, FileName(FormatHTML)), "#instances tbody tr.instance", opts...)
}

// openHTML opens the HTML file at path in a fresh headless browser and waits until the element
// ready (a CSS selector) is there.
func openHTML(t testing.TB, path, ready string, opts ...func(context.Context) error) *browserPage {
	t.Helper()
	exe := chromiumPath(t)
	// A test's browser gets 90 s; a benchmark's runs all its iterations in it, on a machine that
	// may be busy: it gets what make bench-report's -timeout leaves.
	timeout := 90 * time.Second
	if _, ok := t.(*testing.B); ok {
		timeout = 15 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	tabCtx := startChromium(t, ctx, exe)

	p := &browserPage{ctx: tabCtx}
	dialogs := chromedp.Events(tabCtx, page.JavascriptDialogOpening)
	exceptions := chromedp.Events(tabCtx, runtime.ExceptionThrown)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			p.dialogs.Add(1)
			_, _ = chromedp.Call(tabCtx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			p.exceptions.Add(1)
			t.Logf("javascript exception: %+v", ev.ExceptionDetails)
		}
	}()
	for _, o := range opts {
		if err := o(tabCtx); err != nil {
			t.Fatalf("prepare browser: %v", err)
		}
	}
	u := url.URL{Scheme: "file", Path: path}
	if err := chromedp.Do(tabCtx,
		chromedp.Navigate(u.String()),
		chromedp.WaitReady(chromedp.CSS(ready)),
	); err != nil {
		t.Fatalf("open %s: %v", u.String(), err)
	}
	return p
}

func (p *browserPage) eval(t testing.TB, js string) []string {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](js))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

const (
	jsVisibleIDs = `Array.from(document.querySelectorAll('#instances tbody tr.instance'))` +
		`.filter(r => r.offsetParent !== null).map(r => r.dataset.id)`
	jsFirstColumn = `Array.from(document.querySelectorAll('#instances tbody tr.instance'))` +
		`.map(r => r.cells[0].querySelector('.name').textContent)`
)

func TestBrowserReport(t *testing.T) {
	payload := `<script>alert(1)</script><img src=x onerror="alert(2)">`
	r := evilRun(t, payload)
	p := openReport(t, r)

	t.Run("one row per instance", func(t *testing.T) {
		got := p.eval(t, jsVisibleIDs)
		if len(got) != len(r.Instances) {
			t.Fatalf("visible rows: got %d, want %d", len(got), len(r.Instances))
		}
		var want []string
		for _, in := range r.Instances {
			want = append(want, in.ID)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("row ids: got %v, want %v", got, want)
		}
	})

	t.Run("script ran and injected markup did not", func(t *testing.T) {
		if got := p.eval(t, `[String(document.documentElement.classList.contains('js'))]`); got[0] != "true" {
			t.Errorf("report script did not run (CSP or error): js class %v", got)
		}
		if n := p.eval(t, `[String(document.querySelectorAll('#instances script, #instances img').length)]`); n[0] != "0" {
			t.Errorf("injected elements in the table: got %s, want 0", n[0])
		}
		row := p.eval(t, `[document.getElementById('i-932237369560669999').cells[0].querySelector('.name').textContent]`)
		if row[0] != payload {
			t.Errorf("instance name text: got %q, want the payload shown as text %q", row[0], payload)
		}
		if n := p.dialogs.Load(); n != 0 {
			t.Errorf("javascript dialogs opened: got %d, want 0", n)
		}
		if n := p.exceptions.Load(); n != 0 {
			t.Errorf("javascript exceptions: got %d, want 0", n)
		}
	})

	t.Run("clicking a header sorts", func(t *testing.T) {
		before := p.eval(t, jsFirstColumn)
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(`#instances th[data-col=instance] button`))); err != nil {
			t.Fatalf("click instance header: %v", err)
		}
		asc := p.eval(t, jsFirstColumn)
		if slices.Equal(before, asc) {
			t.Fatalf("order unchanged after sorting by name: %v", asc)
		}
		want := slices.Clone(before)
		slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		if !slices.Equal(asc, want) {
			t.Errorf("ascending order:\n got %v\nwant %v", asc, want)
		}
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(`#instances th[data-col=instance] button`))); err != nil {
			t.Fatalf("click instance header again: %v", err)
		}
		desc := p.eval(t, jsFirstColumn)
		slices.Reverse(want)
		if !slices.Equal(desc, want) {
			t.Errorf("descending order:\n got %v\nwant %v", desc, want)
		}
	})

	t.Run("due column sorts by time", func(t *testing.T) {
		if err := chromedp.Do(p.ctx, chromedp.Click(chromedp.CSS(`#instances th[data-col=due] button`))); err != nil {
			t.Fatalf("click due header: %v", err)
		}
		keys := p.eval(t, `(() => { const i = document.querySelector('#instances th[data-col=due]').cellIndex; `+
			`return Array.from(document.querySelectorAll('#instances tbody tr.instance')).map(r => r.cells[i].dataset.sort); })()`)
		var due []int64
		for i, k := range keys {
			if k == "" {
				if slices.ContainsFunc(keys[i:], func(s string) bool { return s != "" }) {
					t.Fatalf("rows without a due time must sort last: %v", keys)
				}
				break
			}
			v, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				t.Fatalf("due sort key %q: %v", k, err)
			}
			due = append(due, v)
		}
		if len(due) < 3 || !slices.IsSorted(due) {
			t.Errorf("due times not ascending: %v", due)
		}
	})

	t.Run("text filter hides other rows", func(t *testing.T) {
		if err := chromedp.Do(p.ctx, chromedp.SendKeys(chromedp.ID("filter"), "gpu-batch")); err != nil {
			t.Fatalf("type filter: %v", err)
		}
		if got := p.eval(t, jsVisibleIDs); !slices.Equal(got, []string{"932237369560662481"}) {
			t.Errorf("rows matching gpu-batch: got %v, want [932237369560662481]", got)
		}
		if got := p.eval(t, `[document.getElementById('shown-count').textContent]`); got[0] != "1" {
			t.Errorf("shown count: got %s, want 1", got[0])
		}
		if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()`)); err != nil {
			t.Fatalf("clear filter: %v", err)
		}
	})

	t.Run("action select filters", func(t *testing.T) {
		if err := chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById('action-filter'); s.value = 'marked'; s.dispatchEvent(new Event('change')); })()`)); err != nil {
			t.Fatalf("select marked: %v", err)
		}
		got := p.eval(t, jsVisibleIDs)
		var want []string
		for _, in := range r.Instances {
			if in.Action == ActionMarked {
				want = append(want, in.ID)
			}
		}
		slices.Sort(got)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("marked rows: got %v, want %v", got, want)
		}
	})
}

// TestReportScreenshot saves a full-page PNG of the sample dry-run plan report to the path in
// REAPER_SCREENSHOT (for docs/report.png). REAPER_SCREENSHOT_SAMPLE=acting shows the acting sample
// instead and REAPER_SCREENSHOT_THEME=dark the dark theme.
func TestReportScreenshot(t *testing.T) {
	out := os.Getenv("REAPER_SCREENSHOT")
	if out == "" {
		t.Skip("set REAPER_SCREENSHOT=path.png to save a screenshot of a sample report")
	}
	r := planRun(t)
	if os.Getenv("REAPER_SCREENSHOT_SAMPLE") == "acting" {
		r = sampleRun(t)
	}
	theme := os.Getenv("REAPER_SCREENSHOT_THEME")
	if theme == "" {
		theme = "light"
	}
	p := openReport(t, r, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}},
		})
		return err
	})
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("saved %s (%d bytes)", out, len(png))
}

// startChromium starts a headless Chromium under ctx and returns its first tab. On a loaded
// machine Chromium now and then exits before it prints its DevTools address ("chrome failed to
// start"); that says nothing about a report, so a start is tried up to three times, each with a
// fresh profile. Any other failure, and the third, fails the test.
func startChromium(t testing.TB, ctx context.Context, exe string) context.Context {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(t.TempDir()),
			chromedp.WSURLReadTimeout(60*time.Second),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocOpts...)
		tabCtx, cancelTab := chromedp.NewContext(allocCtx)
		if err = chromedp.Do(tabCtx); err == nil {
			t.Cleanup(cancelAlloc)
			t.Cleanup(cancelTab)
			return tabCtx
		}
		cancelTab()
		cancelAlloc()
		if attempt == 3 || !strings.Contains(err.Error(), "chrome failed to start") || ctx.Err() != nil {
			break
		}
		t.Logf("start chromium, attempt %d: %v", attempt, err)
	}
	t.Fatalf("start chromium: %v", err)
	return nil
}
