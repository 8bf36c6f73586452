package main

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/lmittmann/tint"
)

// TestLogsAreInert logs a hostile message, string, error and grouped value through the logger of
// every format (the colour one writes ESC raw by design) and checks that none reaches the output
// raw.
func TestLogsAreInert(t *testing.T) {
	for _, tc := range []struct {
		format string
		tty    bool
	}{{"json", false}, {"text", false}, {"auto", true}, {"text", true}} {
		t.Run(tc.format+map[bool]string{true: " tty"}[tc.tty], func(t *testing.T) {
			var b bytes.Buffer
			log := slog.New(newInertHandler(logHandler(&b, tc.format, slog.LevelDebug, tc.tty)))
			log = log.With("with", hostile).WithGroup("g")
			log.Warn("msg "+hostile, "name", hostile, "error", errors.New("api said "+hostile),
				"literal", `typed \x1b[2J by hand`, "err", tint.Err(errors.New("e "+hostile)),
				slog.Group("inner", "tag", hostile), hostile, "key")
			out := b.String()
			for _, bad := range rawForbidden {
				if i := strings.Index(out, bad); i >= 0 {
					t.Errorf("log holds %q raw: …%q…", bad, out[max(0, i-30):min(len(out), i+30)])
				}
			}
			if !strings.Contains(out, "pwned") {
				t.Errorf("the hostile text was dropped instead of escaped: %q", out)
			}
		})
	}
}
