package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
	"github.com/reaper-bmc/reaper/policies"
)

// The scale benchmarks run whole dry-run cycles (inventory, guards, enrichment, policy, plan,
// record) against the simulator on loopback, with the real client, state store and bundled
// policies. docs/PERFORMANCE.md holds their figures; scripts/bench-cycle.sh runs them.
const (
	// benchLatency is the delay the simulator adds to every call in the latency benchmarks.
	benchLatency = 50 * time.Millisecond
	// benchRPS is the client's rate limit in the cycle benchmarks: high enough not to bind,
	// so the figures show the cycle's own cost.
	benchRPS = 1000
	// benchSeed is the fleet generator's seed (scripts/bench-cycle.sh uses the same).
	benchSeed = 1
)

// noIdle puts traffic enrichment out of scope: no generated instance is 1000 weeks old, so none
// is eligible and a cycle makes no DescribeInstanceTraffic call. Enrichment's cost is measured
// on its own (BenchmarkEnrichRate) or with a warm cache (BenchmarkCycle100kWarmTraffic).
var noIdle = map[string]any{"idle": map[string]any{"min_age": "1000w"}}

// benchWorld is one simulator with a generated fleet and everything a cycle needs around it.
type benchWorld struct {
	n      int
	now    time.Time // when the fleet was generated
	sim    *zensim.Server
	client *zen.Client
	store  *state.Store
	engine *policy.Engine
	runs   int
}

// newBenchWorld serves fleet from a simulator that adds latency to every call, and builds a
// client limited to rps, a state store and the bundled policies. Everything runs on the real
// clock.
func newBenchWorld(b *testing.B, fleet zensim.Fleet, now time.Time, latency time.Duration, rps float64) *benchWorld {
	b.Helper()
	w := &benchWorld{n: len(fleet.Instances), now: now}
	w.sim = zensim.New(zensim.Options{Keys: map[string]string{keyID: secret}, Seed: 7, MaxCalls: 10_000})
	if err := w.sim.Load(fleet); err != nil {
		b.Fatal(err)
	}
	if latency > 0 {
		w.sim.SetFault("", zensim.Fault{Latency: latency}) // latency only: every call is served normally
	}
	srv := httptest.NewServer(w.sim)
	b.Cleanup(srv.Close)
	client, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey(keyID, secret),
		zen.WithRequestsPerSecond(rps), zen.WithRetry(3, 10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	w.client = client
	st, err := state.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	w.store = st
	w.engine, err = policy.Load(context.Background(), policy.Options{FS: policies.FS})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// generatedWorld is newBenchWorld over zensim.Generate(n, benchSeed, now).
func generatedWorld(b *testing.B, n int, latency time.Duration, rps float64) *benchWorld {
	b.Helper()
	now := time.Now()
	return newBenchWorld(b, zensim.Generate(n, benchSeed, now), now, latency, rps)
}

// cycle runs one dry-run plan cycle as `reaper plan` wires it: the enricher caches in the store,
// grace 0 and loose limits (everything due is would_terminate), params merged over the bundled
// defaults.
func (w *benchWorld) cycle(b *testing.B, params map[string]any) *reconcile.Result {
	b.Helper()
	rec, err := reconcile.New(reconcile.Options{
		API: w.client, Evaluator: w.engine, Store: w.store,
		Enricher: enrich.New(enrich.Options{API: w.client, Cache: w.store}),
		Settings: reconcile.Settings{
			Mode:                   reconcile.ModeEnforce,
			Params:                 policy.MergeParams(w.engine.DefaultParams(), params),
			MaxTerminationsPerRun:  1_000_000,
			MaxTerminationsPercent: 100,
			MaxFleetDropPercent:    50,
			CommitmentRetryAfter:   168 * time.Hour,
			Protect:                reconcile.Protection{Tags: map[string]string{"reaper-protect": "true"}},
			CallTimeout:            2 * time.Minute,
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	w.runs++
	res, err := rec.Run(context.Background(), reconcile.Cycle{
		RunID: fmt.Sprintf("%s-%03d", time.Now().UTC().Format("20060102T150405Z"), w.runs), Command: "plan", DryRun: true})
	if err != nil || res.Status != reconcile.StatusOK {
		b.Fatalf("cycle: status %s: %v", res.Status, err)
	}
	if res.InventorySize != w.n || len(res.Entries) != w.n {
		b.Fatalf("cycle saw %d instances (%d entries), want %d", res.InventorySize, len(res.Entries), w.n)
	}
	return res
}

// benchCycles measures dry-run cycles over w: time per cycle, time per instance, and the
// process's memory (simulator included, see memWatch).
func benchCycles(b *testing.B, w *benchWorld, params map[string]any) *reconcile.Result {
	b.Helper()
	mem := watchMemory(b)
	var res *reconcile.Result
	for b.Loop() {
		res = w.cycle(b, params)
	}
	mem.report(b)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(w.n), "ns/instance")
	b.ReportMetric(float64(res.TrafficCalls), "traffic-calls")
	b.ReportMetric(float64(res.Count()[reconcile.ActionWouldTerminate]), "would-terminate")
	return res
}

// benchNoIdleCycles is benchCycles with enrichment out of scope (noIdle); it checks that the
// cycles made no traffic call.
func benchNoIdleCycles(b *testing.B, w *benchWorld) {
	b.Helper()
	if res := benchCycles(b, w, noIdle); res.TrafficCalls != 0 {
		b.Fatalf("enrichment out of scope, yet the cycle made %d traffic calls", res.TrafficCalls)
	}
}

// BenchmarkCycle100k is the scale target: 100,000 simulated instances, 50 ms added to
// every call, one full dry-run cycle. Target: under 10 s and 250 MB peak RSS. The RSS here
// includes the in-process simulator holding the fleet; scripts/bench-cycle.sh also measures
// `reaper plan` in a process of its own.
func BenchmarkCycle100k(b *testing.B) {
	w := generatedWorld(b, 100_000, benchLatency, benchRPS)
	benchNoIdleCycles(b, w)
}

// BenchmarkCycle10k is the reconcile target: a dry-run cycle over 10,000 simulated instances, no
// added latency. Target: under 3 s.
func BenchmarkCycle10k(b *testing.B) {
	w := generatedWorld(b, 10_000, 0, benchRPS)
	benchNoIdleCycles(b, w)
}

// BenchmarkCycleScale shows how a cycle's cost grows from 1,000 to 100,000 instances, each call
// delayed 50 ms.
func BenchmarkCycleScale(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			w := generatedWorld(b, n, benchLatency, benchRPS)
			benchNoIdleCycles(b, w)
		})
	}
}

// BenchmarkCycle100kWarmTraffic is BenchmarkCycle100k with idle detection in scope (the bundled
// idle params) in steady state: every instance's traffic was fetched 30 minutes before the cycle
// (one schedule interval at the default), so the cycle reads 100,000 cache entries and fetches
// only the instances whose refresh came due in those 30 minutes (about 1 in 12 of a 6h refresh),
// with exactly one call each.
func BenchmarkCycle100kWarmTraffic(b *testing.B) {
	w := generatedWorld(b, 100_000, benchLatency, benchRPS)
	fetched := warmTraffic(b, w, 30*time.Minute)
	due := 0
	for _, in := range w.sim.Instances() {
		if !enrich.NextRefresh(in.ID, fetched, enrich.DefaultRefresh).After(time.Now()) {
			due++
		}
	}
	res := benchCycles(b, w, nil)
	withTraffic := 0
	for _, e := range res.Entries {
		if e.Traffic != nil {
			withTraffic++
		}
	}
	if withTraffic == 0 {
		b.Fatal("no entry carries cached traffic: the cache was not used")
	}
	// Instances due while the cycle ran may add a few; none costs more than one call.
	if res.TrafficCalls > withTraffic || res.TrafficCalls > due+due/10+10 {
		b.Fatalf("steady state made %d traffic calls for %d instances with traffic, about %d due: want at most one per due instance",
			res.TrafficCalls, withTraffic, due)
	}
	b.ReportMetric(float64(withTraffic), "with-traffic")
	b.ReportMetric(float64(due), "due")
}

// warmTraffic puts traffic for every instance into w's cache as a fetch ago before now would
// have (the bundled 72h window, kept per day), one instance in seven idle, and returns the
// fetch time.
func warmTraffic(b *testing.B, w *benchWorld, ago time.Duration) time.Time {
	b.Helper()
	fetched := time.Now().UTC().Add(-ago)
	ids := make([]string, 0, w.n)
	for _, in := range w.sim.Instances() {
		ids = append(ids, in.ID)
	}
	busy := enrich.FlatRecord("", fetched, enrich.DefaultWindow, 5_000_000, 5_000_000)
	idle := enrich.FlatRecord("", fetched, enrich.DefaultWindow, 2_000, 2_000)
	recs := make([]state.TrafficRecord, len(ids))
	for i, id := range ids {
		recs[i] = busy
		if i%7 == 0 {
			recs[i] = idle
		}
		recs[i].InstanceID = id
	}
	if err := w.store.PutTraffic(recs...); err != nil {
		b.Fatal(err)
	}
	return fetched
}

// BenchmarkEnrichRate measures a cold enrichment: 1,000 instances all eligible for idle detection
// (RUNNING or STOPPED, older than idle.min_age), nothing cached, the client limited to 100 rps
// (ten times the default, and low enough to bind on a busy machine). It checks the call count
// (ceil(72h/24h) = 3 per instance) and that the rate the simulator saw stayed within the
// configured one, and reports the time the cost model predicts (calls / rps).
func BenchmarkEnrichRate(b *testing.B) {
	const (
		eligible = 1_000
		rps      = 100
	)
	now := time.Now()
	fleet := eligibleFleet(b, eligible, now)
	w := newBenchWorld(b, fleet, now, 0, rps)
	var mu sync.Mutex
	var times []time.Time
	w.sim.OnCall(func(c zensim.Call) {
		if c.Action == "DescribeInstanceTraffic" && c.HTTPStatus == 200 {
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
		}
	})
	var res *reconcile.Result
	for b.Loop() {
		// Each cycle starts cold: a fresh store, so nothing is cached.
		st, err := state.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		w.store = st
		mu.Lock()
		times = times[:0]
		mu.Unlock()
		res = w.cycle(b, nil)
		st.Close()
	}
	want := 3 * eligible
	if res.TrafficCalls != want || len(times) != want {
		b.Fatalf("traffic calls: counted %d, simulator saw %d, want %d (3 per eligible instance)",
			res.TrafficCalls, len(times), want)
	}
	span := times[len(times)-1].Sub(times[0])
	achieved := float64(len(times)-1) / span.Seconds()
	// The simulator timestamps arrivals, which jitter by a few microseconds around the limiter's
	// spacing; over thousands of calls that is far below 1 %.
	if achieved > rps*1.01 {
		b.Errorf("achieved %.1f traffic calls/s, more than the configured %d", achieved, rps)
	}
	b.ReportMetric(float64(res.TrafficCalls), "traffic-calls")
	b.ReportMetric(achieved, "achieved-rps")
	b.ReportMetric(float64(want)/rps, "model-s")
}

// eligibleFleet returns n generated instances that survive the guards and that the enricher
// fetches: POSTPAID, not protected, RUNNING or STOPPED, and older than idle.min_age (7d) by a
// day's margin.
func eligibleFleet(b *testing.B, n int, now time.Time) zensim.Fleet {
	b.Helper()
	all := zensim.Generate(3*n, benchSeed, now)
	var f zensim.Fleet
	for _, in := range all.Instances {
		old := now.Sub(in.CreatedAt) >= 8*24*time.Hour
		fetched := in.Status == zen.StatusRunning || in.Status == zen.StatusStopped
		guarded := in.ChargeType == zen.ChargePrepaid || in.Tags["reaper-protect"] == "true"
		if old && fetched && !guarded {
			f.Instances = append(f.Instances, in)
		}
		if len(f.Instances) == n {
			return f
		}
	}
	b.Fatalf("generated only %d eligible instances, want %d", len(f.Instances), n)
	return f
}

// memWatch measures the process while a benchmark runs: the resident set at the start, its peak
// (VmHWM, reset at the start where the kernel allows it) and the peak of live heap objects,
// sampled every millisecond. In-process benchmarks include the simulator in all three.
type memWatch struct {
	startRSS uint64
	hwmReset bool
	peakHeap atomic.Uint64
	stop     chan struct{}
	wg       sync.WaitGroup
}

// watchMemory collects garbage, returns freed memory to the OS, resets the peak RSS and starts
// sampling the heap.
func watchMemory(b *testing.B) *memWatch {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	m := &memWatch{stop: make(chan struct{})}
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0 and later).
	m.hwmReset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	m.startRSS, _ = procStatusBytes("VmRSS")
	m.wg.Go(m.sampleHeap)
	return m
}

func (m *memWatch) sampleHeap() {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > m.peakHeap.Load() {
			m.peakHeap.Store(v)
		}
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

// report stops sampling and reports peak-rss-MB, start-rss-MB and peak-heap-MB.
func (m *memWatch) report(b *testing.B) {
	b.Helper()
	close(m.stop)
	m.wg.Wait()
	const mb = 1 << 20
	hwm, ok := procStatusBytes("VmHWM")
	if !ok {
		b.Log("no /proc/self/status: peak RSS not measured")
	} else {
		b.ReportMetric(float64(hwm)/mb, "peak-rss-MB")
		b.ReportMetric(float64(m.startRSS)/mb, "start-rss-MB")
	}
	if ok && !m.hwmReset {
		b.Log("VmHWM could not be reset: peak-rss-MB covers the whole life of the process")
	}
	b.ReportMetric(float64(m.peakHeap.Load())/mb, "peak-heap-MB")
}

// procStatusBytes reads a "kB" field of /proc/self/status, in bytes.
func procStatusBytes(field string) (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, rest, found := bytes.Cut(sc.Bytes(), []byte(":"))
		if !found || string(name) != field {
			continue
		}
		kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}

// scripts/bench-cycle.sh runs this test binary as a stand-alone simulator, so that `reaper plan`
// and the daemon are measured in a process of their own. It is configured by the environment:
const (
	benchSimEnvAddr    = "REAPER_BENCH_SIM_ADDR"    // loopback address to listen on; set: serve
	benchSimEnvSize    = "REAPER_BENCH_SIM_SIZE"    // instances to generate (default 100000)
	benchSimEnvLatency = "REAPER_BENCH_SIM_LATENCY" // added to every call (default 50ms)
)

// The stand-alone simulator's credentials, the same as `reaper sim`'s.
const (
	benchSimKeyID  = "REAPER-SIM-KEY"
	benchSimSecret = "reaper-sim-secret"
)

// init turns the test binary into the stand-alone simulator when REAPER_BENCH_SIM_ADDR is set.
// TestMain (child_test.go) never runs then: the process exits here.
func init() {
	if addr := os.Getenv(benchSimEnvAddr); addr != "" {
		if err := serveBenchSim(addr, os.Getenv(benchSimEnvSize), os.Getenv(benchSimEnvLatency)); err != nil {
			fmt.Fprintln(os.Stderr, "bench simulator:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// serveBenchSim serves zensim.Generate(size, benchSeed, now) on addr, every call delayed by
// latency, until SIGINT or SIGTERM. Once listening it prints "endpoint: http://HOST:PORT".
func serveBenchSim(addr, size, latency string) error {
	n, lat := 100_000, benchLatency
	var err error
	if size != "" {
		if n, err = strconv.Atoi(size); err != nil || n < 1 {
			return fmt.Errorf("%s=%q: not a positive number", benchSimEnvSize, size)
		}
	}
	if latency != "" {
		if lat, err = time.ParseDuration(latency); err != nil || lat < 0 {
			return fmt.Errorf("%s=%q: not a duration", benchSimEnvLatency, latency)
		}
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s=%q: not a loopback address", benchSimEnvAddr, addr)
	}
	sim := zensim.New(zensim.Options{Keys: map[string]string{benchSimKeyID: benchSimSecret}, Seed: 7, MaxCalls: 10_000})
	if err := sim.Load(zensim.Generate(n, benchSeed, time.Now())); err != nil {
		return err
	}
	if lat > 0 {
		sim.SetFault("", zensim.Fault{Latency: lat})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("instances: %d\nlatency: %s\nendpoint: http://%s\n", n, lat, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
