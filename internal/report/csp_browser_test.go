package report

import (
	"strconv"
	"testing"
)

// TestBrowserAppliesStyleUnderCSP opens the report in headless Chromium and checks that the
// hash-based Content-Security-Policy lets the page's own style apply (the bars are sized by their
// w0..w100 classes) as well as its script run (TestBrowserReport covers sorting and filtering).
func TestBrowserAppliesStyleUnderCSP(t *testing.T) {
	p := openReport(t, sampleRun(t))
	got := p.eval(t, `[getComputedStyle(document.querySelector('.bar')).height,`+
		`String(document.querySelector('.bar.w100').getBoundingClientRect().width),`+
		`String(document.querySelector('.bar.w100').parentElement.getBoundingClientRect().width),`+
		`String(document.documentElement.classList.contains('js'))]`)
	if got[0] != "8px" {
		t.Errorf("bar height: got %q, want 8px from report.css (the style was blocked?)", got[0])
	}
	bar, _ := strconv.ParseFloat(got[1], 64)
	cell, _ := strconv.ParseFloat(got[2], 64)
	if bar < cell*0.8 || bar == 0 {
		t.Errorf("a w100 bar is %v px in a %v px cell: its width class did not apply", bar, cell)
	}
	if got[3] != "true" {
		t.Error("the report's script did not run under the CSP")
	}
}
