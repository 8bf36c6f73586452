package metrics

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// snapshotGauge is a gauge vector with one label whose values are replaced
// all at once: a label missing from the new set disappears, and a scrape
// never sees a half-replaced set (as it could with GaugeVec Reset then Set).
type snapshotGauge struct {
	desc *prometheus.Desc

	mu     sync.Mutex
	values map[string]int
}

func newSnapshotGauge(name, help, label string) *snapshotGauge {
	return &snapshotGauge{desc: prometheus.NewDesc(name, help, []string{label}, nil)}
}

// replace makes values the current set.
func (g *snapshotGauge) replace(values map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.values = maps.Clone(values)
}

// Describe implements prometheus.Collector.
func (g *snapshotGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *snapshotGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for label, v := range g.values {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(v), label)
	}
}
