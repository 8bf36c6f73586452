package zensim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"time"
)

// Traffic query limits (zenlayer-bmc-api.md §6).
const (
	TrafficStep      = 5 * time.Minute
	MaxTrafficRange  = 24 * time.Hour
	TrafficRetention = 30 * 24 * time.Hour
)

type trafficRequest struct {
	InstanceID string `json:"instanceId"`
	StartTime  string `json:"startTime"`
	EndTime    string `json:"endTime"`
}

type trafficPoint struct {
	InternetRX int64  `json:"internetRX"`
	InternetTX int64  `json:"internetTX"`
	Time       string `json:"time"`
	// null sends both figures as null (TrafficProfile.GapsAsNull).
	null bool
}

// MarshalJSON writes the point, with null figures when it has none.
func (p trafficPoint) MarshalJSON() ([]byte, error) {
	if p.null {
		return fmt.Appendf(nil, `{"internetRX":null,"internetTX":null,"time":%q}`, p.Time), nil
	}
	type plain trafficPoint
	return json.Marshal(plain(p))
}

type trafficResponse struct {
	RequestID               string         `json:"requestId"`
	DataList                []trafficPoint `json:"dataList"`
	In95                    int64          `json:"in95"`
	In95Time                *string        `json:"in95Time"`
	InAvg                   int64          `json:"inAvg"`
	InMax                   int64          `json:"inMax"`
	InMin                   int64          `json:"inMin"`
	InTotal                 int64          `json:"inTotal"`
	Out95                   int64          `json:"out95"`
	Out95Time               *string        `json:"out95Time"`
	OutAvg                  int64          `json:"outAvg"`
	OutMax                  int64          `json:"outMax"`
	OutMin                  int64          `json:"outMin"`
	OutTotal                int64          `json:"outTotal"`
	MaxBandwidth95ValueMbps float64        `json:"maxBandwidth95ValueMbps"`
	Unit                    string         `json:"unit"`
	TotalUnit               string         `json:"totalUnit"`
}

func (s *Server) describeInstanceTraffic(req *request) (any, *apiError) {
	var in trafficRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	start, end, e := in.window(req.now)
	if e != nil {
		return nil, e
	}
	inst, e := s.lookupLocked(in.InstanceID)
	if e != nil {
		return nil, e
	}
	all := s.samples(inst, start, end, req.now)
	resp := trafficResponse{RequestID: req.requestID, DataList: all, Unit: "bps", TotalUnit: "B"}
	// The summary covers the points that have figures.
	points := make([]trafficPoint, 0, len(all))
	for _, p := range all {
		if !p.null {
			points = append(points, p)
		}
	}
	rx := make([]int64, len(points))
	tx := make([]int64, len(points))
	for i, p := range points {
		rx[i], tx[i] = p.InternetRX, p.InternetTX
	}
	var in95, out95 int
	resp.In95, in95, resp.InAvg, resp.InMax, resp.InMin, resp.InTotal = summarize(rx)
	resp.Out95, out95, resp.OutAvg, resp.OutMax, resp.OutMin, resp.OutTotal = summarize(tx)
	if len(points) > 0 {
		resp.In95Time = &points[in95].Time
		resp.Out95Time = &points[out95].Time
	}
	resp.MaxBandwidth95ValueMbps = math.Round(float64(max(resp.In95, resp.Out95))/1e4) / 100
	return resp, nil
}

// window validates the request and returns its range.
func (in trafficRequest) window(now time.Time) (start, end time.Time, e *apiError) {
	switch {
	case in.InstanceID == "":
		return start, end, missingParameter("instanceId")
	case in.StartTime == "":
		return start, end, missingParameter("startTime")
	case in.EndTime == "":
		return start, end, missingParameter("endTime")
	}
	start, ok1 := parseWireTime(in.StartTime)
	end, ok2 := parseWireTime(in.EndTime)
	switch {
	case !ok1:
		return start, end, invalidParameter("startTime must be UTC YYYY-MM-DDTHH:mm:ssZ")
	case !ok2:
		return start, end, invalidParameter("endTime must be UTC YYYY-MM-DDTHH:mm:ssZ")
	case !end.After(start):
		return start, end, invalidParameter("endTime must be after startTime")
	case end.Sub(start) > MaxTrafficRange:
		return start, end, invalidParameter("the time range must not exceed 24 hours")
	case start.After(now):
		return start, end, invalidParameter("startTime must not be in the future")
	case start.Before(now.Add(-TrafficRetention)):
		return start, end, invalidParameter("only the last 30 days can be queried")
	}
	return start, end, nil
}

func parseWireTime(v string) (time.Time, bool) {
	t, err := time.Parse(wireTimeLayout, v)
	if err != nil || formatWireTime(t) != v {
		return time.Time{}, false
	}
	return t, true
}

// samples returns the 5-minute points in (start, end], aligned to the clock, none after now, none
// before the instance was created and none inside the profile's gap (or, with GapsAsNull, the
// gap's points with null figures).
func (s *Server) samples(inst *SimInstance, start, end, now time.Time) []trafficPoint {
	p := inst.Traffic
	last := end
	if now.Before(last) {
		last = now
	}
	idh := fnv.New64a()
	idh.Write([]byte(inst.ID))
	key := mix(mix(uint64(s.opts.Seed)) ^ idh.Sum64())
	points := []trafficPoint{}
	for t := start.Truncate(TrafficStep).Add(TrafficStep); !t.After(last); t = t.Add(TrafficStep) {
		if t.Before(inst.CreatedAt) {
			continue
		}
		if p.inGap(t) {
			if p.GapsAsNull {
				points = append(points, trafficPoint{Time: formatWireTime(t), null: true})
			}
			continue
		}
		tk := mix(key ^ uint64(t.Unix()))
		points = append(points, trafficPoint{
			InternetRX: jittered(p.InBps, p.Jitter, mix(tk^1)),
			InternetTX: jittered(p.OutBps, p.Jitter, mix(tk^2)),
			Time:       formatWireTime(t),
		})
	}
	return points
}

// jittered returns base×(1+jitter×u) for u in [-1, 1) taken from h, never negative.
func jittered(base int64, jitter float64, h uint64) int64 {
	u := float64(h>>11)/float64(1<<53)*2 - 1
	v := math.Round(float64(base) * (1 + jitter*u))
	if v < 0 {
		return 0
	}
	return int64(v)
}

// mix is the splitmix64 finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// summarize returns the 95th percentile (the value at index ceil(0.95n)-1 of the ascending order,
// ties kept in time order) and its index in vals, the mean (floor), max, min, and the bytes moved
// (Σbps × 300 s / 8).
func summarize(vals []int64) (p95 int64, p95Index int, avg, hi, lo, total int64) {
	n := len(vals)
	if n == 0 {
		return 0, 0, 0, 0, 0, 0
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] < vals[order[b]] })
	k := (95*n+99)/100 - 1 // ceil(0.95n)-1 in integers
	p95Index = order[k]
	var sum int64
	for _, v := range vals {
		sum += v
	}
	secs := int64(TrafficStep / time.Second)
	return vals[p95Index], p95Index, sum / int64(n), vals[order[n-1]], vals[order[0]], sum * secs / 8
}
