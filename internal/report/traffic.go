package report

import "fmt"

// TrafficPending is Instance.TrafficStatus for an instance whose traffic was due but is not
// known in this run (over the traffic budget, out of time, or the fetch failed): it has no
// traffic figures, and no idle decision rests on it. It is fetched in a following run.
const TrafficPending = "pending"

// trafficCell is what the CSV and HTML say about an instance's traffic: "pending", "complete" or
// "partial" (figures over an incomplete window), or "" when none was needed.
func trafficCell(in Instance) string {
	switch {
	case in.TrafficStatus == TrafficPending:
		return TrafficPending
	case in.Traffic == nil:
		return ""
	case in.Traffic.Complete:
		return "complete"
	}
	return "partial"
}

// trafficPendingText is the run-level line of the Markdown, HTML and terminal summaries, or ""
// when no traffic is pending.
func trafficPendingText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("traffic: pending for %d %s (not fetched in this run: traffic budget, time or a failed call; never idle until fetched)",
		n, plural(n, "instance", "instances"))
}

// TrafficPendingText is the line summaries print about the instances whose traffic is pending,
// or "" when there are none.
func (r *Run) TrafficPendingText() string { return trafficPendingText(r.Summary.TrafficPending) }
