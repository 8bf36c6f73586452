package zensim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type trafficResult struct {
	DataList []struct {
		InternetRX int64  `json:"internetRX"`
		InternetTX int64  `json:"internetTX"`
		Time       string `json:"time"`
	} `json:"dataList"`
	In95, InAvg, InMax, InMin, InTotal      int64
	Out95, OutAvg, OutMax, OutMin, OutTotal int64
	In95Time, Out95Time                     *string
	MaxBandwidth95ValueMbps                 float64
	Unit, TotalUnit                         string
}

func (r trafficResult) times() []string {
	out := []string{}
	for _, p := range r.DataList {
		out = append(out, p.Time)
	}
	return out
}

func trafficBody(id string, start, end time.Time) map[string]string {
	return map[string]string{"instanceId": id, "startTime": formatWireTime(start), "endTime": formatWireTime(end)}
}

func (h *harness) traffic(id string, start, end time.Time) trafficResult {
	h.t.Helper()
	var out trafficResult
	h.ok("DescribeInstanceTraffic", trafficBody(id, start, end), &out)
	return out
}

func steady(in, out int64) func(*SimInstance) {
	return func(s *SimInstance) { s.Traffic = TrafficProfile{InBps: in, OutBps: out} }
}

func TestTrafficKnownProfile(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", steady(144056, 2000)))
	got := h.traffic("1", t0.Add(-time.Hour), t0)
	if len(got.DataList) != 12 {
		t.Fatalf("%d points, want 12", len(got.DataList))
	}
	if got.DataList[0].Time != "2026-11-26T07:05:00Z" || got.DataList[11].Time != "2026-11-26T08:00:00Z" {
		t.Fatalf("points from %s to %s, want 07:05 to 08:00", got.DataList[0].Time, got.DataList[11].Time)
	}
	want := trafficResult{
		In95: 144056, InAvg: 144056, InMax: 144056, InMin: 144056, InTotal: 12 * 144056 * 300 / 8,
		Out95: 2000, OutAvg: 2000, OutMax: 2000, OutMin: 2000, OutTotal: 12 * 2000 * 300 / 8,
		In95Time: ptr("2026-11-26T08:00:00Z"), Out95Time: ptr("2026-11-26T08:00:00Z"), // ties: the last of the equal samples
		MaxBandwidth95ValueMbps: 0.14, Unit: "bps", TotalUnit: "B",
	}
	got.DataList = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("summary (-want +got):\n%s", diff)
	}
}

func TestTrafficPlainNumbersOnTheWire(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", steady(1000, 2000)))
	_, raw := h.call("DescribeInstanceTraffic", trafficBody("1", t0.Add(-10*time.Minute), t0))
	for _, want := range []string{`"internetRX":1000`, `"internetTX":2000`, `"in95":1000`, `"outTotal":150000`, `"unit":"bps"`, `"totalUnit":"B"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("body lacks %s: %s", want, raw)
		}
	}
}

func TestTrafficDocExampleAlignment(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", steady(1, 1)))
	start := time.Date(2026, 11, 26, 6, 50, 36, 0, time.UTC)
	got := h.traffic("1", start, start.Add(20*time.Minute))
	want := []string{"2026-11-26T06:55:00Z", "2026-11-26T07:00:00Z", "2026-11-26T07:05:00Z", "2026-11-26T07:10:00Z"}
	if diff := cmp.Diff(want, got.times()); diff != "" {
		t.Fatalf("times (-want +got):\n%s", diff)
	}
}

func TestSummarize(t *testing.T) {
	// The doc example: 4 points, Σ=451112, max 144056, inAvg 112778, inTotal 16916700.
	p95, idx, avg, hi, lo, total := summarize([]int64{100000, 144056, 107056, 100000})
	if p95 != 144056 || idx != 1 || avg != 112778 || hi != 144056 || lo != 100000 || total != 16916700 {
		t.Fatalf("got p95 %d@%d avg %d max %d min %d total %d", p95, idx, avg, hi, lo, total)
	}
	var twenty []int64
	for i := 20; i >= 1; i-- {
		twenty = append(twenty, int64(i))
	}
	if p95, idx, _, _, _, _ := summarize(twenty); p95 != 19 || idx != 1 {
		t.Fatalf("20 values: p95 %d at %d, want 19 at 1", p95, idx)
	}
	var day []int64
	for i := range 288 {
		day = append(day, int64(i))
	}
	if p95, _, _, _, _, _ := summarize(day); p95 != 273 {
		t.Fatalf("288 values: p95 %d, want 273 (index ceil(0.95n)-1)", p95)
	}
	if p95, idx, _, _, _, _ := summarize([]int64{5, 5, 5}); p95 != 5 || idx != 2 {
		t.Fatalf("ties: p95 %d at %d, want index 2 (ties keep time order)", p95, idx)
	}
	if p95, _, avg, hi, lo, total := summarize(nil); p95|avg|hi|lo|total != 0 {
		t.Fatal("empty series must summarize to zeros")
	}
}

func TestTrafficJitterDeterministic(t *testing.T) {
	profile := func(s *SimInstance) { s.Traffic = TrafficProfile{InBps: 1_000_000, OutBps: 500_000, Jitter: 0.4} }
	query := func(seed int64) trafficResult {
		h := newHarness(t, func(o *Options) { o.Seed = seed })
		h.load(inst("1", profile))
		return h.traffic("1", t0.Add(-24*time.Hour), t0)
	}
	a, b, c := query(7), query(7), query(8)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different answers:\n%s", diff)
	}
	if cmp.Equal(a.DataList, c.DataList) {
		t.Fatal("different seeds gave identical samples")
	}
	distinct := map[int64]bool{}
	for _, p := range a.DataList {
		if p.InternetRX < 600_000 || p.InternetRX > 1_400_000 || p.InternetTX < 300_000 || p.InternetTX > 700_000 {
			t.Fatalf("sample %+v outside base×(1±0.4)", p)
		}
		distinct[p.InternetRX] = true
	}
	if len(a.DataList) != 288 || len(distinct) < 200 {
		t.Fatalf("%d points with %d distinct values, want 288 jittered points", len(a.DataList), len(distinct))
	}
}

func TestTrafficGapsYoungAndFuture(t *testing.T) {
	h := newHarness(t)
	gapFrom, gapTo := t0.Add(-50*time.Minute), t0.Add(-30*time.Minute)
	h.load(
		inst("gap", steady(10, 10), func(s *SimInstance) { s.Traffic.GapsFrom, s.Traffic.GapsTo = &gapFrom, &gapTo }),
		inst("off", steady(10, 10), func(s *SimInstance) { s.Traffic.GapsFrom = &gapFrom }),
		inst("young", steady(10, 10), func(s *SimInstance) { s.CreatedAt = t0.Add(-12 * time.Minute) }),
		inst("plain", steady(10, 10)),
	)
	times := func(id string, start, end time.Time) []string { return h.traffic(id, start, end).times() }
	hour := []string{}
	for m := 5; m <= 60; m += 5 {
		hour = append(hour, formatWireTime(t0.Add(-time.Hour+time.Duration(m)*time.Minute)))
	}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"gap removes [from, to)", times("gap", t0.Add(-time.Hour), t0), append(append([]string{}, hour[:1]...), hour[5:]...)},
		{"open gap: machine off", times("off", t0.Add(-time.Hour), t0), hour[:1]},
		{"young: nothing before creation", times("young", t0.Add(-time.Hour), t0), hour[9:]},
		{"nothing in the future", times("plain", t0.Add(-30*time.Minute), t0.Add(2*time.Hour)), hour[6:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Fatalf("times (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no points: zero summary, null times", func(t *testing.T) {
		got := h.traffic("off", t0.Add(-20*time.Minute), t0)
		if len(got.DataList) != 0 || got.In95 != 0 || got.In95Time != nil || got.Unit != "bps" {
			t.Fatalf("got %+v", got)
		}
	})
}

func TestTrafficLimits(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", steady(10, 10), func(s *SimInstance) { s.CreatedAt = t0.Add(-400 * 24 * time.Hour) }))
	month := TrafficRetention
	t.Run("exactly 24h", func(t *testing.T) {
		if n := len(h.traffic("1", t0.Add(-24*time.Hour), t0).DataList); n != 288 {
			t.Fatalf("%d points, want 288", n)
		}
	})
	t.Run("start exactly 30 days ago", func(t *testing.T) {
		if n := len(h.traffic("1", t0.Add(-month), t0.Add(-month+time.Hour)).DataList); n != 12 {
			t.Fatalf("%d points, want 12", n)
		}
	})
	raw := func(id, start, end string) map[string]string {
		return map[string]string{"instanceId": id, "startTime": start, "endTime": end}
	}
	w := formatWireTime
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantCode   string
	}{
		{"longer than 24h", trafficBody("1", t0.Add(-24*time.Hour-time.Second), t0), 400, "INVALID_PARAMETER"},
		{"empty range", trafficBody("1", t0, t0), 400, "INVALID_PARAMETER"},
		{"reversed", trafficBody("1", t0, t0.Add(-time.Hour)), 400, "INVALID_PARAMETER"},
		{"older than 30 days", trafficBody("1", t0.Add(-month-time.Second), t0.Add(-month+time.Hour)), 400, "INVALID_PARAMETER"},
		{"start in the future", trafficBody("1", t0.Add(time.Second), t0.Add(time.Hour)), 400, "INVALID_PARAMETER"},
		{"space separated time", raw("1", "2026-11-26 07:00:00", w(t0)), 400, "INVALID_PARAMETER"},
		{"offset time", raw("1", "2026-11-26T15:00:00+08:00", w(t0)), 400, "INVALID_PARAMETER"},
		{"fractional seconds", raw("1", "2026-11-26T07:00:00.5Z", w(t0)), 400, "INVALID_PARAMETER"},
		{"missing instanceId", raw("", w(t0.Add(-time.Hour)), w(t0)), 400, "MISSING_PARAMETER"},
		{"missing startTime", raw("1", "", w(t0)), 400, "MISSING_PARAMETER"},
		{"missing endTime", raw("1", w(t0.Add(-time.Hour)), ""), 400, "MISSING_PARAMETER"},
		{"unknown instance", trafficBody("2", t0.Add(-time.Hour), t0), 404, "INVALID_INSTANCE_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.fail("DescribeInstanceTraffic", tt.body, tt.wantStatus, tt.wantCode)
		})
	}
}

func TestTrafficMbpsRounding(t *testing.T) {
	for _, tt := range []struct {
		in, out int64
		want    float64
	}{{144056, 0, 0.14}, {0, 99_995_000, 100}, {1_234_567, 5_000, 1.23}, {0, 0, 0}} {
		t.Run(fmt.Sprint(tt.in, tt.out), func(t *testing.T) {
			h := newHarness(t)
			h.load(inst("1", steady(tt.in, tt.out)))
			if got := h.traffic("1", t0.Add(-time.Hour), t0).MaxBandwidth95ValueMbps; got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTrafficRejectsBadRequestStatus(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	status, raw := h.call("DescribeInstanceTraffic", []byte(`{"instanceId":"1","startTime":5}`))
	checkError(t, status, raw, http.StatusBadRequest, "INVALID_PARAMETER")
}

// TestTrafficGapsAsNull: with GapsAsNull the gap's samples are sent with null figures, and the
// summary covers only the samples that have figures.
func TestTrafficGapsAsNull(t *testing.T) {
	h := newHarness(t)
	gapFrom, gapTo := t0.Add(-30*time.Minute), t0.Add(-10*time.Minute)
	h.load(inst("1", steady(1000, 2000), func(s *SimInstance) {
		s.Traffic.GapsFrom, s.Traffic.GapsTo, s.Traffic.GapsAsNull = &gapFrom, &gapTo, true
	}))
	_, raw := h.call("DescribeInstanceTraffic", trafficBody("1", t0.Add(-time.Hour), t0))
	for _, at := range []string{"07:30", "07:35", "07:40", "07:45"} {
		want := `{"internetRX":null,"internetTX":null,"time":"2026-11-26T` + at + `:00Z"}`
		if !strings.Contains(string(raw), want) {
			t.Errorf("body lacks %s: %s", want, raw)
		}
	}
	if n := strings.Count(string(raw), `"internetRX":null`); n != 4 {
		t.Errorf("%d null points, want 4: %s", n, raw)
	}
	got := h.traffic("1", t0.Add(-time.Hour), t0)
	if len(got.DataList) != 12 || got.InAvg != 1000 || got.InMin != 1000 || got.InTotal != 8*1000*300/8 {
		t.Errorf("%d points, inAvg %d, inMin %d, inTotal %d; want 12 points and a summary of the 8 with figures",
			len(got.DataList), got.InAvg, got.InMin, got.InTotal)
	}
}
