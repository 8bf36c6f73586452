// Package metrics exposes reaper's Prometheus metrics and its health
// endpoints. Metrics owns a private registry (no global state) holding the
// reaper_* metrics plus the Go runtime and process collectors; Serve serves
// /metrics, /healthz and /readyz on the configured address.
//
// Recorders take plain values, so callers do not import Prometheus. The
// label values are the caller's words (see Vocabulary): the counters are
// created at zero for them, so rate() and increase() see the first event.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// CyclePanic is the result label of reaper_cycles_total for a cycle that panicked: such a cycle
// has no status of its own. The other results are the cycle statuses, declared by the caller
// (see Vocabulary).
const CyclePanic = "panic"

// Vocabulary lists the label values whose series are created at zero, so that rate() and
// increase() see the first event. The words are the caller's (internal/record passes
// reconcile's vocabulary); this package defines only its own: CyclePanic and the reload results.
type Vocabulary struct {
	CycleResults       []string // the result label of reaper_cycles_total
	TerminationResults []string // the result label of reaper_terminations_total
	BlockedLimits      []string // the reason label of reaper_blocked_cycles_total
	TagWriteResults    []string // the result label of reaper_tag_writes_total
}

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
	trafficPending    prometheus.Gauge
	leader            prometheus.Gauge
	tagWrites         *prometheus.CounterVec
	savings           savings
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
		trafficPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reaper_traffic_pending", Help: "Instances whose traffic was due but not fetched in the last cycle with a complete inventory (past idle.budget, or the call failed): never idle in that cycle.",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reaper_leader", Help: "1 while this reaper leads its state (always, with bbolt), 0 while it stands by.",
		}),
		tagWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_tag_writes_total", Help: "Mark tag writes (ZRM ModifyResourceTags) by result.",
		}, []string{"result"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.cycles, m.cycleDuration, m.lastSuccess, m.instances, m.candidates,
		m.terminations, m.blocked, m.apiRequests, m.apiDuration, m.policyEval,
		m.reloads, m.trafficCalls, m.trafficCallsCycle, m.trafficPending, m.leader, m.tagWrites,
	)
	m.savings = newSavings()
	m.registry.MustRegister(m.savings.projected, m.savings.realized)
	initLabels(m.cycles, CyclePanic)
	initLabels(m.reloads, ReloadOK, ReloadError)
	return m
}

// Declare creates the series of v's label values at zero. Call it once, after New.
func (m *Metrics) Declare(v Vocabulary) {
	initLabels(m.cycles, v.CycleResults...)
	initLabels(m.terminations, v.TerminationResults...)
	initLabels(m.blocked, v.BlockedLimits...)
	initLabels(m.tagWrites, v.TagWriteResults...)
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
