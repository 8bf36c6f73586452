package reaper.keep_test

import data.reaper.keep

_input(instance_tags) := {
	"now": "2026-11-26T08:00:00Z",
	"params": {},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": 1, "tags": instance_tags, "traffic": null},
}

test_keep_true_exempts if {
	keep.exempt == {"tag reaper-keep=true"} with input as _input({"reaper-keep": "true"})
	count(keep.warn) == 0 with input as _input({"reaper-keep": "true"})
}

test_only_exact_true_exempts_others_warn if {
	every value in ["True", "TRUE", " true", "true ", "yes", "1", "on", ""] {
		count(keep.exempt) == 0 with input as _input({"reaper-keep": value})
		keep.warn == {sprintf("tag reaper-keep=%s does not protect this instance; only the exact value \"true\" does", [json.marshal(value)])} with input as _input({"reaper-keep": value})
	}
}

test_false_or_absent_is_quiet if {
	count(keep.exempt) == 0 with input as _input({"reaper-keep": "false"})
	count(keep.warn) == 0 with input as _input({"reaper-keep": "false"})
	count(keep.exempt) == 0 with input as _input({})
	count(keep.warn) == 0 with input as _input({})
}

test_keep_never_terminates if {
	not keep.terminate
}
