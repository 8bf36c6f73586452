package metrics

import "time"

// ObserveCycle records a finished cycle: its result (the cycle's status, or
// CyclePanic), its duration and, when success is true, at as the time of the
// last successful cycle.
func (m *Metrics) ObserveCycle(result string, d time.Duration, success bool, at time.Time) {
	m.cycles.WithLabelValues(result).Inc()
	m.cycleDuration.Observe(d.Seconds())
	if success {
		m.lastSuccess.Set(float64(at.UnixNano()) / 1e9)
	}
}

// SetInstances replaces reaper_instances with the count of instances per
// status; statuses missing from byStatus disappear.
func (m *Metrics) SetInstances(byStatus map[string]int) { m.instances.replace(byStatus) }

// SetCandidates replaces reaper_candidates with the number of candidate
// instances per policy (an instance counts once per nominating policy, as in
// the report's by_policy); policies missing from byPolicy disappear.
func (m *Metrics) SetCandidates(byPolicy map[string]int) { m.candidates.replace(byPolicy) }

// AddTermination counts one TerminateInstance outcome (terminated,
// unconfirmed, failed, or "refused_<skip reason>" for an expected refusal).
func (m *Metrics) AddTermination(result string) { m.terminations.WithLabelValues(result).Inc() }

// AddBlocked counts one cycle blocked by the safety limit named by reason
// (its config key, or clock).
func (m *Metrics) AddBlocked(reason string) { m.blocked.WithLabelValues(reason).Inc() }

// ObserveAPI records one Zenlayer API request: its action, its response
// code ("OK" or the error code) and its duration.
func (m *Metrics) ObserveAPI(action, code string, d time.Duration) {
	m.apiRequests.WithLabelValues(action, code).Inc()
	m.apiDuration.WithLabelValues(action).Observe(d.Seconds())
}

// ObservePolicyEval records the duration of one policy evaluation.
func (m *Metrics) ObservePolicyEval(d time.Duration) { m.policyEval.Observe(d.Seconds()) }

// AddReload counts one configuration reload (see the Reload constants).
func (m *Metrics) AddReload(result string) { m.reloads.WithLabelValues(result).Inc() }

// AddTrafficCalls records the traffic API calls of one cycle: it adds n to
// the total and sets the last-cycle gauge to n. Call it once per cycle.
func (m *Metrics) AddTrafficCalls(n int) {
	m.trafficCalls.Add(float64(max(n, 0)))
	m.trafficCallsCycle.Set(float64(n))
}

// SetTrafficPending sets reaper_traffic_pending: the instances whose traffic was due but not
// fetched in the last cycle (the report's summary.traffic_pending).
func (m *Metrics) SetTrafficPending(n int) { m.trafficPending.Set(float64(max(n, 0))) }

// AddTagWrite counts one mark tag write by result.
func (m *Metrics) AddTagWrite(result string) { m.tagWrites.WithLabelValues(result).Inc() }
