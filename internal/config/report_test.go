package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReportCompressAndTrendRuns: report.compress defaults to false and report.trend_runs to 30;
// both are read when set.
func TestReportCompressAndTrendRuns(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, yaml string
		compress   bool
		trend      int
	}{
		{"defaults", "report:\n  formats: [json, html]\n", false, 30},
		{"set", "report:\n  compress: true\n  trend_runs: 0\n", true, 0},
		{"max", "report:\n  trend_runs: 1000\n", false, 1000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), nil, dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.Report.Compress != tt.compress || c.Report.TrendRuns != tt.trend {
				t.Errorf("compress %v, trend_runs %d; want %v, %d", c.Report.Compress, c.Report.TrendRuns, tt.compress, tt.trend)
			}
		})
	}
}

// TestReportKeyErrors: a bad report.compress, an out-of-range report.trend_runs and a misspelt key
// are errors that name their key.
func TestReportKeyErrors(t *testing.T) {
	dir := t.TempDir()
	got := parseErr(t, string(readFixture(t, "errors/report.yaml")), nil, dir)
	want := []string{
		`report.compress: line 2: must be true or false, got "maybe"`,
		`report.compresss: line 4: unknown key; did you mean "compress"?`,
		`report.trend_runs: must be in [0, 1000], got -1`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(strings.Join(got, "\n"), "secret") {
		t.Error("an error mentions a secret")
	}
}
