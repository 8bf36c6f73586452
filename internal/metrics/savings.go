package metrics

import "github.com/prometheus/client_golang/prometheus"

// savings are the money metrics (README, Cost and savings). Amounts reach them as float64 units: a
// Prometheus sample is a float; the exact figures are in the report and the state's ledger.
type savings struct {
	projected *prometheus.GaugeVec
	realized  *prometheus.CounterVec
}

func newSavings() savings {
	return savings{
		projected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "reaper_projected_savings_monthly",
			Help: "Monthly cost of the instances the last cycle would terminate or found due (known costs only), in currency.",
		}, []string{"currency"}),
		realized: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reaper_realized_savings_total",
			Help: "Monthly cost of confirmed terminations since start, by currency and the policy credited.",
		}, []string{"currency", "policy"}),
	}
}

// SetProjectedSavings sets the projected monthly savings of the last cycle; a change of currency
// drops the series of the old one.
func (m *Metrics) SetProjectedSavings(currency string, amount float64) {
	m.savings.projected.Reset()
	m.savings.projected.WithLabelValues(currency).Set(amount)
}

// AddRealizedSavings adds the monthly cost of confirmed terminations credited to policy.
func (m *Metrics) AddRealizedSavings(currency, policy string, amount float64) {
	if amount > 0 {
		m.savings.realized.WithLabelValues(currency, policy).Add(amount)
	}
}
