package zen

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchFleetSize and benchLatency are the inventory size and per-request server latency the client
// must handle in under 2 s and 200 MB.
const (
	benchFleetSize = 100_000
	benchLatency   = 50 * time.Millisecond
)

// benchServer serves synthetic DescribeInstances pages of a fleet of n instances, each answer
// delayed by latency. It is deliberately tiny and independent of zensim.
func benchServer(b *testing.B, n int, latency time.Duration) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			PageNum  int `json:"pageNum"`
			PageSize int `json:"pageSize"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.PageNum < 1 || req.PageSize < 1 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		time.Sleep(latency) // simulated server latency, not a wait for a schedule
		start := min((req.PageNum-1)*req.PageSize, n)
		end := min(start+req.PageSize, n)
		bp := benchBodies.Get().(*[]byte)
		defer benchBodies.Put(bp)
		body := (*bp)[:0]
		body = append(body, `{"requestId":"TBENCH","response":{"requestId":"TBENCH","totalCount":`...)
		body = strconv.AppendInt(body, int64(n), 10)
		body = append(body, `,"dataSet":[`...)
		for i := start; i < end; i++ {
			if i > start {
				body = append(body, ',')
			}
			body = appendBenchInstance(body, i)
		}
		body = append(body, "]}}"...)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
		*bp = body
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchBodies recycles the server's page buffers, so the server's garbage does not swamp the
// client's in the measurements.
var benchBodies = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

var benchZones = []string{"HKG-A", "SEL-A", "FRA-A", "LAX-A"}

// appendBenchInstance writes one realistic InstanceInfo (about 650 bytes).
func appendBenchInstance(b []byte, i int) []byte {
	id := strconv.Itoa(900000000000000000 + i)
	zone := benchZones[i%len(benchZones)]
	b = append(b, `{"instanceId":"`...)
	b = append(b, id...)
	b = append(b, `","zoneId":"`...)
	b = append(b, zone...)
	b = append(b, `","instanceName":"ci-runner-`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","hostname":"ci-runner-`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","instanceTypeId":"S9I","instanceType":{"instanceTypeId":"S9I","cpuCoreCount":8,"memorySize":64},`+
		`"imageId":"img-ubuntu-2404","imageName":"Ubuntu 24.04","instanceChargeType":"POSTPAID","period":null,`+
		`"internetChargeType":"ByBandwidth","bandwidthOutMbps":100,"primaryPublicIpAddress":"203.0.113.10",`+
		`"publicIpAddresses":["203.0.113.10"],"privateIpAddresses":["10.0.0.10"],`+
		`"createTime":"2026-01-02T03:04:05Z","expiredTime":null,"resourceGroupId":"rg-1",`+
		`"resourceGroupName":"Default Resource Group","instanceStatus":"RUNNING","autoRenew":false,`+
		`"trafficPackageSize":0,"nic":{"wanName":"eth0","lanName":"eth1"},"keyId":"key-1",`+
		`"tags":{"tags":[{"key":"owner","value":"ci"},{"key":"reaper-ttl","value":"72h"}]}}`...)
	return b
}

// BenchmarkListInstances100k lists 100,000 instances (100 pages) from a server that answers each
// page after 50 ms, with the default page concurrency and a 1000 rps limiter. Besides ns/op and
// B/op it reports the peak live heap while listing, the heap in use and the memory obtained from
// the OS once the listing is held (server included: it runs in the same process).
func BenchmarkListInstances100k(b *testing.B) {
	srv := benchServer(b, benchFleetSize, benchLatency)
	c, err := New(WithEndpoint(srv.URL), WithAccessKey(testKeyID, testSecret), WithRequestsPerSecond(1000))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { samplePeakHeap(stop, &peak) })
	var held []Instance
	b.ReportAllocs()
	for b.Loop() {
		held = nil
		list, err := c.ListInstances(ctx, Filter{})
		if err != nil {
			b.Fatal(err)
		}
		if len(list) != benchFleetSize {
			b.Fatalf("listed %d instances, want %d", len(list), benchFleetSize)
		}
		held = list
	}
	close(stop)
	wg.Wait()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const mb = 1 << 20
	b.ReportMetric(float64(peak.Load())/mb, "peak-heap-MB")
	b.ReportMetric(float64(ms.HeapInuse)/mb, "heap-inuse-MB")
	b.ReportMetric(float64(ms.Sys)/mb, "sys-MB")
	runtime.KeepAlive(held)
}

// samplePeakHeap records the largest live heap (objects, in bytes) seen every millisecond.
func samplePeakHeap(stop <-chan struct{}, peak *atomic.Uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}
}
