package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func getReadyz(addr string) (int, string) {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyzBeforeFirstCycle: with a schedule whose first cycle is an hour away, /readyz is ready
// once the config is loaded and one DescribeInstances of pageSize 1 succeeded, and says why in
// the body; with the API down it is not ready and names the failure.
func TestReadyzBeforeFirstCycle(t *testing.T) {
	sim, up := startSim(t, []zensim.FleetInstance{healthyInstance("1")})
	down := "http://" + freePort(t) // nothing listens there
	tests := []struct {
		name, url string
		code      int
		body      string
	}{
		{"api up", up, http.StatusOK, "ready: config loaded and the API answered"},
		{"api down", down, http.StatusServiceUnavailable, "config loaded, but the API check failed: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetCalls()
			addr := freePort(t)
			path, _ := writeConfig(t, tt.url, testSecret, fmt.Sprintf(
				"schedule: \"@every 1h\"\nmetrics: {listen: %q}\n", addr))
			d := startDaemon(t, path, nil, newFakeSchedule(t, "@every 1h").clock)
			var code int
			var body string
			eventually(t, "/readyz to answer", 30*time.Second, func() bool {
				code, body = getReadyz(addr)
				return code != 0 && !strings.Contains(body, "checking the API")
			})
			if code != tt.code || !strings.HasPrefix(body, tt.body) {
				t.Fatalf("/readyz = %d %q, want %d starting %q\n%s", code, body, tt.code, tt.body, d.stderr.String())
			}
			if tt.url == up {
				calls := sim.Calls()
				if len(calls) != 1 || calls[0].Action != "DescribeInstances" || !strings.Contains(string(calls[0].Body), `"pageSize":1}`) {
					t.Errorf("simulator saw %d calls (%v), want one DescribeInstances with pageSize 1", len(calls), calls)
				}
			}
			if m := scrape(t, addr); !strings.Contains(m, `reaper_build_info{commit="none",go_version="go1.`) {
				t.Errorf("/metrics lacks reaper_build_info")
			}
		})
	}
}
