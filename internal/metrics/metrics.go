// Package metrics exposes reaper's Prometheus metrics and its health
// endpoints. Metrics owns a private registry (no global state) holding the
// reaper_* metrics plus the Go runtime and process collectors; Serve serves
// /metrics, /healthz and /readyz on the configured address.
//
// Recorders take plain values, so callers do not import Prometheus. Label
// values used by reaper are listed as constants; the counters are created
// at zero for them, so rate() and increase() see the first event.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Cycle results, the result label of reaper_cycles_total: the reconcile
// run status, plus CyclePanic for a cycle that panicked.
const (
	CycleOK      = "ok"      // the cycle ran to the end (dry-run or not)
	CycleBlocked = "blocked" // a safety limit blocked every action
	CycleAborted = "aborted" // the inventory or state could not be trusted; nothing was done
	CycleFailed  = "failed"  // the cycle stopped on an unexpected error
	CyclePanic   = "panic"   // the cycle panicked
)

// Termination results, the result label of reaper_terminations_total. An
// expected refusal by the API is counted as "refused_" plus the skip reason
// (for example refused_commitment).
const (
	TerminationTerminated  = "terminated"  // the API accepted TerminateInstance and a describe confirmed it took
	TerminationUnconfirmed = "unconfirmed" // the API accepted it, but the instance did not go
	TerminationFailed      = "failed"      // the call failed with an unexpected error
)

// Blocked-cycle reasons, the reason label of reaper_blocked_cycles_total:
// the config key of the safety limit that blocked the cycle.
const (
	BlockedMaxTerminationsPerRun  = "max_terminations_per_run"
	BlockedMaxTerminationsPercent = "max_terminations_percent"
	BlockedMaxFleetDropPercent    = "max_fleet_drop_percent"
	BlockedClock                  = "clock" // the clock was behind the last recorded run
)

// APICodeOK is the code label of a successful Zenlayer API request; a failed
// one carries the error code (REQUEST_LIMIT_EXCEEDED, NETWORK_ERROR, ...).
const APICodeOK = "OK"

// Reload results, the result label of reaper_config_reloads_total.
const (
	ReloadOK    = "ok"
	ReloadError = "error"
)

// Histogram buckets, in seconds.
var (
	cycleBuckets      = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600}
	apiBuckets        = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	policyEvalBuckets = prometheus.ExponentialBuckets(0.0001, 4, 9) // 100µs to 6.5s
)

// Metrics holds reaper's metrics and their registry. Create it with New;
// its methods are safe for concurrent use.
type Metrics struct {
	registry *prometheus.Registry

	cycles            *prometheus.CounterVec
	cycleDuration     prometheus.Histogram
	lastSuccess       prometheus.Gauge
	instances         *snapshotGauge
	candidates        *snapshotGauge
	terminations      *prometheus.CounterVec
	blocked           *prometheus.CounterVec
	apiRequests       *prometheus.CounterVec
	apiDuration       *prometheus.HistogramVec
	policyEval        prometheus.Histogram
	reloads           *prometheus.CounterVec
	trafficCalls      prometheus.Counter
	trafficCallsCycle prometheus.Gauge
	leader            prometheus.Gauge
}

// New returns Metrics registered in a new registry, together with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_cycles_total", Help: "Reconciliation cycles by result.",
		}, []string{"result"}),
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reaper_cycle_duration_seconds", Help: "Duration of reconciliation cycles.", Buckets: cycleBuckets,
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reaper_last_success_timestamp_seconds", Help: "Unix time of the last successful cycle; 0 before the first since start.",
		}),
		instances:  newSnapshotGauge("reaper_instances", "Instances in scope in the last complete inventory, by status.", "status"),
		candidates: newSnapshotGauge("reaper_candidates", "Instances that are termination candidates in the last cycle, per nominating policy (an instance counts once per policy).", "policy"),
		terminations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_terminations_total", Help: "TerminateInstance outcomes by result.",
		}, []string{"result"}),
		blocked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_blocked_cycles_total", Help: "Cycles a safety limit blocked, by the limit's config key.",
		}, []string{"reason"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_api_requests_total", Help: "Zenlayer API requests by action and response code.",
		}, []string{"action", "code"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reaper_api_request_duration_seconds", Help: "Zenlayer API request duration by action.", Buckets: apiBuckets,
		}, []string{"action"}),
		policyEval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "reaper_policy_eval_seconds", Help: "Duration of policy evaluations.", Buckets: policyEvalBuckets,
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_config_reloads_total", Help: "Configuration reloads by result.",
		}, []string{"result"}),
		trafficCalls: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reaper_traffic_calls_total", Help: "Traffic API calls made for idle detection.",
		}),
		trafficCallsCycle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reaper_traffic_calls_last_cycle", Help: "Traffic API calls made in the last cycle.",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reaper_leader", Help: "1 while this reaper leads its state (always, with bbolt), 0 while it stands by.",
		}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.cycles, m.cycleDuration, m.lastSuccess, m.instances, m.candidates,
		m.terminations, m.blocked, m.apiRequests, m.apiDuration, m.policyEval,
		m.reloads, m.trafficCalls, m.trafficCallsCycle, m.leader,
	)
	initLabels(m.cycles, CycleOK, CycleBlocked, CycleAborted, CycleFailed, CyclePanic)
	initLabels(m.terminations, TerminationTerminated, TerminationUnconfirmed, TerminationFailed)
	initLabels(m.blocked, BlockedMaxTerminationsPerRun, BlockedMaxTerminationsPercent, BlockedMaxFleetDropPercent, BlockedClock)
	initLabels(m.reloads, ReloadOK, ReloadError)
	return m
}

// initLabels creates the series for known label values at zero.
func initLabels(v *prometheus.CounterVec, values ...string) {
	for _, val := range values {
		v.WithLabelValues(val)
	}
}

// Handler returns the /metrics handler for m's registry. A collector that
// fails does not fail the whole scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
