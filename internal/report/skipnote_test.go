package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingBrowserIsReportedToMakeTest: outside CI, a browser test that finds no chromium skips
// and leaves a line in $REAPER_SKIP_FILE, which `make test` turns into a banner on stderr.
func TestMissingBrowserIsReportedToMakeTest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "skipped")
	t.Setenv(skipFileEnv, file)
	t.Setenv("CI", "")
	t.Setenv("CHROMIUM", filepath.Join(t.TempDir(), "no-chromium-here"))
	t.Run("browser", func(t *testing.T) { chromiumPath(t) })
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the skip left no note: %v", err)
	}
	if want := "internal/report TestMissingBrowserIsReportedToMakeTest/browser: chromium not found at "; !strings.HasPrefix(string(got), want) {
		t.Errorf("note %q, want it to start %q", got, want)
	}
}
