package zensim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/clocktest"
)

// BenchmarkDescribeInstancesPage1000 serves 1000-instance pages over a 100k fleet, the inventory
// pattern of reaper (pageSize 1000), in-process with bearer auth: unfiltered, and filtered by zone
// and tag (a full scan per page).
func BenchmarkDescribeInstancesPage1000(b *testing.B) {
	sim := New(Options{Now: clocktest.New(t0).Now, Tokens: []string{testToken}})
	if err := sim.Load(Generate(100_000, 1, t0)); err != nil {
		b.Fatal(err)
	}
	for name, filter := range map[string]string{
		"all":        ``,
		"zone_owner": `"zoneId":"HKG-A","tagKeys":["owner"],`,
	} {
		b.Run(name, func(b *testing.B) {
			page := 0
			for b.Loop() {
				page = page%5 + 1
				body := fmt.Sprintf(`{%s"pageSize":1000,"pageNum":%d}`, filter, page)
				req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testToken)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-ZC-Action", "DescribeInstances")
				req.Header.Set("X-ZC-Version", Version2026)
				rec := httptest.NewRecorder()
				sim.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Body.Len() < 100_000 {
					b.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
				}
				sim.ResetCalls()
			}
		})
	}
}
