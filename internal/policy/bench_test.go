package policy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

var benchNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// syntheticFleet returns n instances with a realistic mix: most plain and busy, some with
// expiry or ttl tags (a few malformed), kept, failed, idle, or lacking traffic data.
func syntheticFleet(n int) []Instance {
	r := rand.New(rand.NewPCG(1, 2))
	fleet := make([]Instance, n)
	for i := range fleet {
		age := time.Duration(r.IntN(60*24)) * time.Hour
		in := Instance{
			ID:                 strconv.Itoa(900000000000000000 + i),
			Name:               fmt.Sprintf("node-%d", i),
			Hostname:           fmt.Sprintf("node-%d", i),
			Zone:               []string{"HKG-A", "SIN-A", "FRA-A", "LAX-A"}[i%4],
			Type:               "S9I",
			Status:             "RUNNING",
			ChargeType:         "POSTPAID",
			InternetChargeType: "ByBandwidth",
			CreatedAt:          benchNow.Add(-age),
			ResourceGroup:      ResourceGroup{ID: "rg-1", Name: "Default Resource Group"},
			Tags:               map[string]string{"owner": "team-" + strconv.Itoa(i%37), "env": "prod", "app": "svc"},
			PublicIPs:          []string{"203.0.113." + strconv.Itoa(i%250)},
			PrivateIPs:         []string{"10.0." + strconv.Itoa(i%250) + ".1"},
		}
		switch i % 20 {
		case 0:
			in.Tags["reaper-expires-at"] = benchNow.Add(time.Duration(r.IntN(200)-100) * time.Hour).Format(time.RFC3339)
		case 1:
			in.Tags["reaper-expires-at"] = "2026-11-" + fmt.Sprintf("%02d", 1+r.IntN(30))
		case 2:
			in.Tags["reaper-ttl"] = []string{"72h", "7d", "2w", "30d"}[r.IntN(4)]
		case 3:
			in.Tags["reaper-ttl"] = "soon"
		case 4:
			in.Tags["reaper-keep"] = "true"
		case 5:
			in.Status = "CREATE_FAILED"
		}
		if i%3 != 0 {
			bps := int64(r.IntN(2_000_000))
			in.Traffic = &Traffic{WindowSeconds: 259200, Samples: 864, Complete: i%10 != 1,
				InP95Bps: bps, OutP95Bps: bps / 2, InAvgBps: bps / 3, OutAvgBps: bps / 4}
		}
		fleet[i] = in
	}
	return fleet
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the bytes of heap in use until stop is called and returns the peak.
func peakHeap() (stop func() uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			if v := samples[0].Value.Uint64() + samples[1].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// BenchmarkEvaluate is a warm daemon: the fleet was evaluated twice before, and each call is
// a cycle 30 minutes after the previous one, with the same fields (the decision cache serves
// every time-free decision; instances whose time guards hold are evaluated).
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b, "warm") }

// BenchmarkEvaluateCold is a first cycle (and a one-shot plan): an empty decision cache on
// every call; each instance is evaluated and noted.
func BenchmarkEvaluateCold(b *testing.B) { benchEvaluate(b, "cold") }

// BenchmarkEvaluateSecond is a second cycle: each instance is evaluated again, with its time
// guards, and the cache learns what it may keep.
func BenchmarkEvaluateSecond(b *testing.B) { benchEvaluate(b, "second") }

// BenchmarkEvaluateRestarted is the first cycle of a new process (a restarted daemon, a one-shot
// plan) whose cache was imported from the state (ExportCache after two cycles, ImportCache
// untimed, reported as import-ms): the time-free decisions are served, and the instances whose
// guards hold are evaluated without the remembered values a warm daemon has.
func BenchmarkEvaluateRestarted(b *testing.B) { benchEvaluate(b, "restarted") }

// BenchmarkEvaluateNoCache evaluates every instance on every call, without the decision cache.
func BenchmarkEvaluateNoCache(b *testing.B) { benchEvaluate(b, "off") }

func benchEvaluate(b *testing.B, mode string) {
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		b.Fatal(err)
	}
	if e.cache == nil {
		b.Fatalf("the bundled set is not cached: %s", e.set.guards.off)
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("fleet=%d", n), func(b *testing.B) {
			fleet := syntheticFleet(n)
			now := benchNow
			if mode == "warm" || mode == "restarted" {
				for range 2 {
					if _, err := e.Evaluate(context.Background(), now, nil, fleet); err != nil {
						b.Fatal(err)
					}
				}
			}
			var blob []byte
			var exported, imported time.Duration
			if mode == "restarted" {
				start := time.Now()
				_, blob, err = e.ExportCache(nil)
				if err != nil {
					b.Fatal(err)
				}
				exported = time.Since(start)
			}
			runtime.GC() // the peak is the measured calls', not the warm-up's garbage
			b.ReportAllocs()
			stop := peakHeap()
			cpu0 := cpuTime(b)
			var untimedCPU time.Duration
			b.ResetTimer()
			for b.Loop() {
				switch mode {
				case "warm":
					now = now.Add(30 * time.Minute)
				case "cold":
					e.cache = newDecisionCache()
				case "second":
					b.StopTimer()
					c0 := cpuTime(b)
					e.cache = newDecisionCache()
					if _, err := e.Evaluate(context.Background(), now, nil, fleet); err != nil {
						b.Fatal(err)
					}
					untimedCPU += cpuTime(b) - c0
					b.StartTimer()
				case "restarted":
					b.StopTimer()
					c0 := cpuTime(b)
					e.cache = newDecisionCache()
					start := time.Now()
					if _, err := e.ImportCache(nil, blob); err != nil {
						b.Fatal(err)
					}
					imported += time.Since(start)
					untimedCPU += cpuTime(b) - c0
					now = now.Add(30 * time.Minute)
					b.StartTimer()
				case "off":
					e.cache = nil
				}
				ds, err := e.Evaluate(context.Background(), now, nil, fleet)
				if err != nil {
					b.Fatal(err)
				}
				if len(ds) != n {
					b.Fatalf("got %d decisions, want %d", len(ds), n)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/instance")
			b.ReportMetric(float64((cpuTime(b)-cpu0-untimedCPU).Nanoseconds())/float64(b.N*n), "cpu-ns/instance")
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
			if mode == "restarted" {
				b.ReportMetric(float64(len(blob))/(1<<20), "blob-MB")
				b.ReportMetric(float64(exported.Milliseconds()), "export-ms")
				b.ReportMetric(float64(imported.Milliseconds())/float64(b.N), "import-ms")
			}
			e.cache = newDecisionCache()
		})
	}
}

// BenchmarkExpiryPlainGo is the lower bound: the expiry rule written in Go, on one goroutine.
func BenchmarkExpiryPlainGo(b *testing.B) {
	fleet := syntheticFleet(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	var hits int
	for b.Loop() {
		hits = 0
		for i := range fleet {
			if plainExpired(benchNow, &fleet[i]) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(fleet)), "ns/instance")
	if hits == 0 {
		b.Fatal("plain expiry matched nothing")
	}
}

func plainExpired(now time.Time, in *Instance) bool {
	if v, ok := in.Tags["reaper-expires-at"]; ok {
		if t, err := time.Parse(time.RFC3339, v); err == nil && !t.After(now) {
			return true
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil && !t.AddDate(0, 0, 1).After(now) {
			return true
		}
	}
	if v, ok := in.Tags["reaper-ttl"]; ok && len(v) > 1 {
		n, err := strconv.Atoi(v[:len(v)-1])
		unit := map[byte]int64{'h': 3600, 'd': 86400, 'w': 604800}[v[len(v)-1]]
		if err == nil && n > 0 && unit > 0 && int64(now.Sub(in.CreatedAt)/time.Second) >= int64(n)*unit {
			return true
		}
	}
	return false
}
