package reaper.idle_test

import data.reaper.idle

_params := {"idle": {"min_age": "7d", "window": "72h", "max_p95_bps": 100000, "refresh": "6h"}}

_traffic := {
	"window_seconds": 259200, "samples": 864, "complete": true,
	"in_p95_bps": 1200, "out_p95_bps": 800, "in_avg_bps": 300, "out_avg_bps": 200,
}

_week := 604800

_input(age, traffic) := _doc(_params, age, traffic)

_with_params(age, traffic, idle_params) := _doc({"idle": idle_params}, age, traffic)

_doc(params, age, traffic) := {
	"now": "2026-11-26T08:00:00Z",
	"params": params,
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": age, "tags": {}, "traffic": traffic},
}

test_idle_instance_terminates_with_figures if {
	idle.terminate == {"p95 in 1200 bps, out 800 bps over 72h (threshold 100000 bps)"} with input as _input(_week, _traffic)
	count(idle.warn) == 0 with input as _input(_week, _traffic)
}

test_young_instance_is_not_idle if {
	count(idle.terminate) == 0 with input as _input(_week - 1, _traffic)
}

test_busy_either_way_is_not_idle if {
	count(idle.terminate) == 0 with input as _input(_week, object.union(_traffic, {"in_p95_bps": 100000}))
	count(idle.terminate) == 0 with input as _input(_week, object.union(_traffic, {"out_p95_bps": 100000}))
	count(idle.terminate) == 1 with input as _input(_week, object.union(_traffic, {"in_p95_bps": 99999, "out_p95_bps": 99999}))
}

test_missing_or_partial_traffic_is_never_idle if {
	count(idle.terminate) == 0 with input as _input(_week * 10, null)
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"complete": false}))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.remove(_traffic, ["complete"]))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.remove(_traffic, ["in_p95_bps"]))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.remove(_traffic, ["out_p95_bps"]))
	count(idle.terminate) == 0 with input as _input(_week * 10, {})
}

test_short_window_is_never_idle if {
	count(idle.terminate) == 0 with input as _input(_week, object.union(_traffic, {"window_seconds": 259199}))
	count(idle.terminate) == 1 with input as _input(_week, object.union(_traffic, {"window_seconds": 604800}))
}

test_params_change_thresholds if {
	p := {"min_age": "1d", "window": "1h", "max_p95_bps": 1000}
	t := object.union(_traffic, {"window_seconds": 3600, "in_p95_bps": 999})
	idle.terminate == {"p95 in 999 bps, out 800 bps over 1h (threshold 1000 bps)"} with input as _with_params(86400, t, p)
	count(idle.terminate) == 0 with input as _with_params(86399, t, p)
	count(idle.terminate) == 0 with input as _with_params(86400, object.union(t, {"in_p95_bps": 1000}), p)
}

test_malformed_params_switch_the_policy_off_with_a_warning if {
	every p in [
		{"min_age": "7x", "window": "72h", "max_p95_bps": 100000},
		{"min_age": "7d", "window": 72, "max_p95_bps": 100000},
		{"min_age": "7d", "window": "72h", "max_p95_bps": "100000"},
		{"min_age": "7d", "window": "72h", "max_p95_bps": 0},
		{"min_age": "7d", "window": "72h"},
	] {
		count(idle.terminate) == 0 with input as _with_params(_week * 10, _traffic, p)
		count(idle.warn) == 1 with input as _with_params(_week * 10, _traffic, p)
	}
	idle.warn == {"param idle.max_p95_bps is \"100000\", not a positive number; the idle policy is off"} with input as _with_params(_week, _traffic, {"min_age": "7d", "window": "72h", "max_p95_bps": "100000"})
}

test_no_params_no_idle if {
	count(idle.terminate) == 0 with input as _doc({}, _week * 10, _traffic)
	count(idle.warn) == 3 with input as _doc({}, _week * 10, _traffic)
}

test_only_complete_true_counts if {
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"complete": null}))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"complete": "true"}))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"complete": 1}))
}

test_absent_figures_are_never_idle if {
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"in_p95_bps": null}))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"out_p95_bps": null}))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"out_p95_bps": "0"}))
	count(idle.terminate) == 0 with input as _input(_week * 10, object.union(_traffic, {"window_seconds": null}))
	count(idle.terminate) == 0 with input as _input(null, _traffic)
}
