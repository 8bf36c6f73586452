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

test_true_yes_or_one_in_any_case_exempt if {
	every value in ["True", "TRUE", " true", "true ", "yes", "YES", "1", " 1\t"] {
		keep.exempt == {"tag reaper-keep=true"} with input as _input({"reaper-keep": value})
		count(keep.warn) == 0 with input as _input({"reaper-keep": value})
	}
}

test_key_matches_in_any_case if {
	keep.exempt == {"tag reaper-keep=true"} with input as _input({"Reaper-Keep": "true"})
	keep.exempt == {"tag reaper-keep=true"} with input as _input({" REAPER-KEEP ": "yes"})
	count(keep.exempt) == 0 with input as _input({"reaper-keeps": "true"})
}

test_other_values_warn if {
	every value in ["on", "", "ture", "y", "2"] {
		count(keep.exempt) == 0 with input as _input({"reaper-keep": value})
		keep.warn == {sprintf("tag reaper-keep=%s does not keep this instance; only true, yes or 1 (any case) does", [json.marshal(value)])} with input as _input({"reaper-keep": value})
	}
}

test_false_or_absent_is_quiet if {
	every value in ["false", "No", " 0 "] {
		count(keep.exempt) == 0 with input as _input({"reaper-keep": value})
		count(keep.warn) == 0 with input as _input({"reaper-keep": value})
	}
	count(keep.exempt) == 0 with input as _input({})
	count(keep.warn) == 0 with input as _input({})
}

_list(pairs) := {
	"now": "2026-11-26T08:00:00Z",
	"params": {},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": 1, "tags": {}, "tag_list": pairs, "traffic": null},
}

test_any_value_of_a_repeated_key_keeps if {
	keep.exempt == {"tag reaper-keep=true"} with input as _list([{"key": "reaper-keep", "value": "true"}, {"key": "reaper-keep", "value": "false"}])
	keep.exempt == {"tag reaper-keep=true"} with input as _list([{"key": "reaper-keep", "value": "false"}, {"key": "Reaper-Keep", "value": "yes"}])
	count(keep.warn) == 0 with input as _list([{"key": "reaper-keep", "value": "ture"}, {"key": "reaper-keep", "value": "true"}])
	count(keep.exempt) == 0 with input as _list([{"key": "reaper-keep", "value": "false"}, {"key": "reaper-keep", "value": "no"}])
}

test_tag_list_wins_over_tags if {
	doc := object.union(_list([{"key": "reaper-keep", "value": "false"}, {"key": "reaper-keep", "value": "true"}]), {"instance": {"tags": {"reaper-keep": "false"}}})
	keep.exempt == {"tag reaper-keep=true"} with input as doc
}

test_keep_never_terminates if {
	not keep.terminate
}
