package policyref

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/policies"
)

// benchFleetSize is the fleet of BenchmarkPolicyVsPlainGo: REAPER_BENCH_POLICY_SIZE, or 100,000.
func benchFleetSize(b *testing.B) int {
	s := os.Getenv("REAPER_BENCH_POLICY_SIZE")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("REAPER_BENCH_POLICY_SIZE=%q is not a positive number", s)
	}
	return n
}

// BenchmarkPolicyVsPlainGo sets the policy engine beside the plain-Go reference, for the same
// decisions about the same fleet (the simulator's: zensim.Generate, seed 1, with traffic figures,
// as fleetAt gives it, without the comparison's tricky tags) under the default params, per
// instance: wall time, CPU time, allocations and bytes allocated.
//
//   - impl=plain-go: the reference, on as many goroutines as the engine uses.
//   - impl=engine-warm: a daemon's cycle: the same Engine evaluated the fleet twice before (so its
//     decision cache knows every instance), each call 30 minutes after the previous one.
//   - impl=engine-cold: a first cycle, as every one-shot `reaper plan`: a new Engine (loaded
//     outside the timer) per call.
//
// After the timed calls each engine variant's last decisions are compared with the reference's
// at the same time; the benchmark fails when one differs.
func BenchmarkPolicyVsPlainGo(b *testing.B) {
	ctx := context.Background()
	n := benchFleetSize(b)
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	fleet := fleetAt(n, 1, t0, false)
	load := func(b *testing.B) *policy.Engine {
		e, err := policy.Load(ctx, policy.Options{FS: policies.FS})
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	defaults := load(b).DefaultParams()

	for _, impl := range []string{"plain-go", "engine-warm", "engine-cold"} {
		b.Run(fmt.Sprintf("impl=%s/fleet=%d", impl, n), func(b *testing.B) {
			now := t0
			var engine *policy.Engine
			if impl == "engine-warm" {
				engine = load(b)
				for range 2 {
					if _, err := engine.Evaluate(ctx, now, nil, fleet); err != nil {
						b.Fatal(err)
					}
					now = now.Add(30 * time.Minute)
				}
			}
			runtime.GC()
			var m meter
			var last []policy.Decision
			for b.Loop() {
				var err error
				switch impl {
				case "plain-go":
					m.start()
					last, err = referenceEvaluate(now, defaults, fleet)
					m.stop()
				case "engine-warm":
					now = now.Add(30 * time.Minute)
					m.start()
					last, err = engine.Evaluate(ctx, now, nil, fleet)
					m.stop()
				case "engine-cold":
					b.StopTimer()
					engine = load(b)
					runtime.GC()
					b.StartTimer()
					m.start()
					last, err = engine.Evaluate(ctx, now, nil, fleet)
					m.stop()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			calls := float64(m.calls * n)
			b.ReportMetric(float64(m.wall.Nanoseconds())/calls, "ns/instance")
			b.ReportMetric(float64(m.cpu.Nanoseconds())/calls, "cpu-ns/instance")
			b.ReportMetric(float64(m.allocs)/calls, "allocs/instance")
			b.ReportMetric(float64(m.bytes)/calls, "B/instance")
			candidates := 0
			ref, err := newReference(now, defaults)
			if err != nil {
				b.Fatal(err)
			}
			for i := range fleet {
				if diff := differ(last[i], ref.decide(&fleet[i])); diff != "" {
					b.Fatalf("instance %s at %v: %s differs from the reference:\n%s", fleet[i].ID, now, impl, diff)
				}
				if last[i].Candidate() {
					candidates++
				}
			}
			b.ReportMetric(float64(candidates), "candidates")
		})
	}
}

// referenceEvaluate decides about every instance with the reference, spread over
// runtime.GOMAXPROCS goroutines as the engine spreads its evaluation.
func referenceEvaluate(now time.Time, params map[string]any, fleet []policy.Instance) ([]policy.Decision, error) {
	ref, err := newReference(now, params)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Decision, len(fleet))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(fleet) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(fleet); lo += chunk {
		hi := min(lo+chunk, len(fleet))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i] = ref.decide(&fleet[i])
			}
		})
	}
	wg.Wait()
	return out, nil
}

// meter adds up the wall time, CPU time (the process's, user and system), allocations and bytes
// allocated of the calls between start and stop.
type meter struct {
	calls         int
	wall, cpu     time.Duration
	allocs, bytes uint64

	t0   time.Time
	cpu0 time.Duration
	ms0  runtime.MemStats
}

func (m *meter) start() {
	runtime.ReadMemStats(&m.ms0)
	m.cpu0 = processCPU()
	m.t0 = time.Now()
}

func (m *meter) stop() {
	m.wall += time.Since(m.t0)
	m.cpu += processCPU() - m.cpu0
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.allocs += ms.Mallocs - m.ms0.Mallocs
	m.bytes += ms.TotalAlloc - m.ms0.TotalAlloc
	m.calls++
}

// processCPU is the CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
