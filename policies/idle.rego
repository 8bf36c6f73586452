# Package reaper.idle terminates instances that carry (almost) no traffic: older than
# idle.min_age, with the 95th percentile of both inbound and outbound bandwidth under
# idle.max_p95_bps, measured over a window of at least idle.window.
#
# Only complete traffic data counts: when input.instance.traffic is null (not fetched), its
# complete flag is anything but true (samples missing), a p95 figure is not a number, or its
# window is shorter than idle.window, the instance is never idle. Boundaries: age >= min_age and
# window_seconds >= window qualify; the p95 figures must be strictly under max_p95_bps.
#
# Params (input.params.idle): min_age and window are durations ("7d", "72h"), max_p95_bps a
# number. idle.refresh is read by the Go side (how long fetched traffic stays fresh), not here.
# A malformed param switches the policy off and gives a warn.
package reaper.idle

import data.reaper.lib

_min_age := lib.duration_seconds(lib.param("idle", "min_age"))

_window := lib.duration_seconds(lib.param("idle", "window"))

_max_bps := lib.param("idle", "max_p95_bps") if {
	is_number(lib.param("idle", "max_p95_bps"))
	lib.param("idle", "max_p95_bps") > 0
}

terminate contains reason if {
	input.instance.traffic.complete == true
	traffic := input.instance.traffic
	input.instance.age_seconds >= _min_age
	traffic.window_seconds >= _window
	is_number(traffic.in_p95_bps) # null sorts below every number: an absent figure is not a low one
	is_number(traffic.out_p95_bps)
	traffic.in_p95_bps < _max_bps
	traffic.out_p95_bps < _max_bps
	reason := sprintf("p95 in %d bps, out %d bps over %s (threshold %v bps)", [
		traffic.in_p95_bps, traffic.out_p95_bps,
		lib.format_seconds(traffic.window_seconds), _max_bps,
	])
}

warn contains sprintf("param idle.min_age is %s, not a duration like 7d; the idle policy is off", [lib.show(lib.param("idle", "min_age"))]) if {
	not _min_age
}

warn contains sprintf("param idle.window is %s, not a duration like 72h; the idle policy is off", [lib.show(lib.param("idle", "window"))]) if {
	not _window
}

warn contains sprintf("param idle.max_p95_bps is %s, not a positive number; the idle policy is off", [lib.show(lib.param("idle", "max_p95_bps"))]) if {
	not _max_bps
}
