package report

// OpenCandidates is the number of the run's instances that were candidates still waiting for
// termination (IsOpenCandidate: would_terminate, marked, blocked, failed, unconfirmed), counted
// from the run's summary. `report list` shows it; diff compares runs on the same set.
func (e Entry) OpenCandidates() int {
	n := 0
	for a, c := range e.Counts {
		if IsOpenCandidate(a) {
			n += c
		}
	}
	return n
}
