package zen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDescribeInstanceTraffic(t *testing.T) {
	asStrings := `{"requestId":"T-s","response":{"requestId":"T-s",
		"dataList":[{"internetRX":"144056","internetTX":"4608","time":"2026-01-02T06:55:00Z"},
		            {"internetRX":"102304","internetTX":null,"time":"2026-01-02T07:00:00Z"}],
		"in95":"144056","out95":"4608","inAvg":"112778","outAvg":"2304","inMax":"144056","outMax":"4608",
		"inTotal":"16916700","outTotal":"569400","unit":"bps","totalUnit":"B","maxBandwidth95ValueMbps":"0.14"}}`
	asNumbers := `{"requestId":"T-n","response":{"requestId":"T-n",
		"dataList":[{"internetRX":144056,"internetTX":4608,"time":"2026-01-02T06:55:00Z"},
		            {"internetRX":102304,"time":"2026-01-02T07:00:00Z"}],
		"in95":144056,"out95":4608,"inAvg":112778,"outAvg":2304,"inMax":144056,"outMax":4608,
		"inTotal":16916700,"outTotal":569400,"maxBandwidth95ValueMbps":0.14}}`
	want := func(reqID string) Traffic {
		return Traffic{
			Points: []TrafficPoint{
				{Time: time.Date(2026, 1, 2, 6, 55, 0, 0, time.UTC), InBps: known(144056), OutBps: known(4608)},
				// internetTX null (or left out) is an absent figure, not 0 bps.
				{Time: time.Date(2026, 1, 2, 7, 0, 0, 0, time.UTC), InBps: known(102304), OutBps: Measure{}},
			},
			In95Bps: known(144056), Out95Bps: known(4608), InAvgBps: known(112778), OutAvgBps: known(2304),
			InMaxBps: known(144056), OutMaxBps: known(4608), InTotal: known(16916700), OutTotal: known(569400),
			RequestID: reqID,
		}
	}
	for name, tc := range map[string]struct{ body, reqID string }{
		"numbers as strings": {asStrings, "T-s"},
		"numbers":            {asNumbers, "T-n"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { fmt.Fprint(w, tc.body) })
			c := newTestClient(t, f)
			start := time.Date(2026, 1, 2, 14, 50, 36, 0, time.FixedZone("HKT", 8*3600))
			got, err := c.DescribeInstanceTraffic(context.Background(), "932237369560662463", start, start.Add(20*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(tc.reqID), got); diff != "" {
				t.Errorf("traffic mismatch (-want +got):\n%s", diff)
			}
			r := f.requests()[0]
			wantBody := `{"instanceId":"932237369560662463","startTime":"2026-01-02T06:50:36Z","endTime":"2026-01-02T07:10:36Z"}`
			if r.Action != "DescribeInstanceTraffic" || string(r.Body) != wantBody {
				t.Errorf("request %s %s, want DescribeInstanceTraffic %s", r.Action, r.Body, wantBody)
			}
		})
	}
}

func TestDescribeInstanceTrafficRejectsBadWindows(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T", nil) })
	c := newTestClient(t, f)
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"longer than 24h", t0, t0.Add(24*time.Hour + time.Second), "longer than 24h"},
		{"reversed", t0, t0.Add(-time.Hour), "is not after start"},
		{"empty", t0, t0, "is not after start"},
		{"within one second", t0.Add(100 * time.Millisecond), t0.Add(900 * time.Millisecond), "is not after start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.DescribeInstanceTraffic(context.Background(), "1", tt.start, tt.end)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := c.DescribeInstanceTraffic(context.Background(), "1", t0, t0.Add(24*time.Hour)); err != nil {
		t.Errorf("exactly 24h: %v, want success", err)
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1 (only the valid window)", n)
	}
}

func TestDescribeInstanceTrafficBadPointTime(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		ok(t, w, "T", map[string]any{"dataList": []any{
			map[string]any{"internetRX": 1, "internetTX": 2, "time": "2026-01-02T06:55:00Z"},
			map[string]any{"internetRX": 1, "internetTX": 2, "time": "soon"},
		}})
	})
	c := newTestClient(t, f)
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	_, err := c.DescribeInstanceTraffic(context.Background(), "77", t0, t0.Add(time.Hour))
	de, ok := errors.AsType[*DecodeError](err)
	if !ok || de.Field != "dataList[1].time" || de.InstanceID != "77" || de.Value != "soon" {
		t.Errorf("err = %v, want a DecodeError for dataList[1].time of 77", err)
	}
}

func known(v int64) Measure { return Measure{Value: v, Valid: true} }

// TestTrafficAbsentIsNotZero: a traffic figure sent as null, "", blank or not at all decodes as
// absent, in a sample and in the summary; 0 and "0" decode as a known zero.
func TestTrafficAbsentIsNotZero(t *testing.T) {
	tests := []struct {
		name, rx string // the internetRX member, "" meaning none
		want     Measure
	}{
		{"null", `"internetRX":null,`, Measure{}},
		{"empty string", `"internetRX":"",`, Measure{}},
		{"blank string", `"internetRX":"  ",`, Measure{}},
		{"missing", ``, Measure{}},
		{"zero", `"internetRX":0,`, known(0)},
		{"zero string", `"internetRX":"0",`, known(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := strings.ReplaceAll(tt.rx, "internetRX", "in95") + strings.ReplaceAll(tt.rx, "internetRX", "inAvg")
			body := `{"requestId":"T","response":{` + sum + `"dataList":[{` + tt.rx + `"internetTX":7,"time":"2026-01-02T06:55:00Z"}]}}`
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { fmt.Fprint(w, body) })
			c := newTestClient(t, f)
			t0 := time.Date(2026, 1, 2, 6, 50, 0, 0, time.UTC)
			got, err := c.DescribeInstanceTraffic(context.Background(), "1", t0, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Points) != 1 {
				t.Fatalf("%d points, want 1", len(got.Points))
			}
			p := got.Points[0]
			if p.InBps != tt.want || p.OutBps != known(7) || p.Complete() != tt.want.Valid {
				t.Errorf("point = %+v (complete %v), want in %+v, out 7", p, p.Complete(), tt.want)
			}
			if got.In95Bps != tt.want || got.InAvgBps != tt.want || got.OutMaxBps.Valid {
				t.Errorf("summary in95 %+v, inAvg %+v, outMax %+v; want %+v, %+v and absent", got.In95Bps, got.InAvgBps, got.OutMaxBps, tt.want, tt.want)
			}
		})
	}
}
