package report

import (
	"io"
	"testing"
)

// BenchmarkWriteReport100k measures writing each format of a 100,000-instance report (issue 14:
// report writing at 100k within 1 s; JSON and CSV stream).
func BenchmarkWriteReport100k(b *testing.B) {
	r := bigRun(b, 100_000, 12)
	for _, f := range []string{FormatJSON, FormatCSV, FormatHTML} {
		b.Run("format="+f, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := renderers[f](io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
