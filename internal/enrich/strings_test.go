package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// stringTrafficHandler answers DescribeInstanceTraffic the way the BMC doc example prints it:
// every number a JSON string. Points fall every 5 minutes in (startTime, endTime].
func stringTrafficHandler(in, out int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-ZC-Action"); got != "DescribeInstanceTraffic" {
			http.Error(w, "unexpected action "+got, http.StatusBadRequest)
			return
		}
		var req struct{ InstanceID, StartTime, EndTime string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		start, err1 := time.Parse(time.RFC3339, req.StartTime)
		end, err2 := time.Parse(time.RFC3339, req.EndTime)
		if err1 != nil || err2 != nil {
			http.Error(w, "bad time", http.StatusBadRequest)
			return
		}
		var points []string
		for _, p := range flatPoints(start, end, in, out) {
			points = append(points, fmt.Sprintf(`{"internetRX":"%d","internetTX":"%d","time":"%s"}`,
				p.InBps.Value, p.OutBps.Value, p.Time.Format(time.RFC3339)))
		}
		fmt.Fprintf(w, `{"requestId":"req-1","response":{"requestId":"req-1","dataList":[%s],`+
			`"in95":"%d","out95":"%d","inAvg":"%d","outAvg":"%d","inMax":"%d","outMax":"%d",`+
			`"inTotal":"1","outTotal":"1","maxBandwidth95ValueMbps":"0.01","unit":"bps","totalUnit":"B"}}`,
			strings.Join(points, ","), in, out, in, out, in, out)
	}
}

func TestEnrichNumbersAsStrings(t *testing.T) {
	srv := httptest.NewServer(stringTrafficHandler(1500, 2500))
	t.Cleanup(srv.Close)
	client, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey("AK", "secret"),
		zen.WithClock(func() time.Time { return t0 }), zen.WithRequestsPerSecond(math.Inf(1)))
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	got, calls, err := New(Options{API: client}).Enrich(context.Background(), t0, nil,
		[]zen.Instance{inst("s", zen.StatusRunning, 30*day)})
	if err != nil {
		t.Fatalf("Enrich: %v", err)
	}
	tr := got["s"]
	if calls != 3 || tr == nil {
		t.Fatalf("got %d calls and traffic %v, want 3 calls and traffic", calls, tr)
	}
	if tr.InP95Bps != 1500 || tr.OutP95Bps != 2500 || tr.InAvgBps != 1500 || tr.OutAvgBps != 2500 ||
		tr.Samples != 864 || !tr.Complete {
		t.Errorf("got %+v, want p95 and avg 1500/2500 over 864 complete samples", *tr)
	}
}
