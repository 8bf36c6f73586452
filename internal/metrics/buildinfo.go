package metrics

import "github.com/prometheus/client_golang/prometheus"

// BuildInfo is what reaper_build_info labels: the versions of the running binary.
type BuildInfo struct {
	Version, Commit, GoVersion, OPAVersion string
}

// SetBuildInfo exposes reaper_build_info{version,commit,go_version,opa_version} 1. Call it once,
// after New; a second call returns an error and changes nothing.
func (m *Metrics) SetBuildInfo(b BuildInfo) error {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "reaper_build_info",
		Help: "Always 1; the labels name the version, commit, Go and OPA versions of the running binary.",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "commit": b.Commit, "go_version": b.GoVersion, "opa_version": b.OPAVersion,
		},
	})
	g.Set(1)
	return m.registry.Register(g)
}
