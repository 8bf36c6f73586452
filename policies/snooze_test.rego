package reaper.snooze_test

import data.reaper.snooze

_now := "2026-11-26T08:00:00Z"

_input_at(now, max, tag_list) := {
	"now": now,
	"params": {"snooze": {"max": max}},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": 1, "tag_list": tag_list, "traffic": null},
}

_input(value) := _input_at(_now, "30d", [{"key": "reaper-snooze-until", "value": value}])

_exempts(value) if {
	count(snooze.exempt) == 1 with input as _input(value)
	count(snooze.warn) == 0 with input as _input(value)
}

_quiet(value) if {
	count(snooze.exempt) == 0 with input as _input(value)
	count(snooze.warn) == 0 with input as _input(value)
}

_too_far(value) if {
	count(snooze.exempt) == 0 with input as _input(value)
	snooze.warn == {sprintf("tag reaper-snooze-until=%s is more than snooze.max=30d ahead; it does not exempt this instance (snooze at most 30d ahead, or use reaper-keep)", [trim_space(value)])} with input as _input(value)
}

_malformed(value) if {
	count(snooze.exempt) == 0 with input as _input(value)
	snooze.warn == {sprintf("tag reaper-snooze-until has a malformed value %s (want RFC 3339 or YYYY-MM-DD); ignored", [json.marshal(trim_space(value))])} with input as _input(value)
}

test_snooze_within_the_maximum_exempts if {
	snooze.exempt == {"tag reaper-snooze-until=2026-12-01T00:00:00Z (snoozed; at most snooze.max=30d ahead)"} with input as _input("2026-12-01T00:00:00Z")
	_exempts("2026-11-26T08:00:00.000000001Z")
	_exempts("2026-11-26T16:00:01+08:00")
	_exempts("2026-12-26T08:00:00Z") # exactly now + 30d: until <= limit
	_exempts("2026-12-26T16:00:00+08:00") # the same instant with an offset
}

test_boundaries if {
	_quiet(_now) # until == now: over
	_quiet("2026-11-26T16:00:00+08:00") # the same instant
	_quiet("2026-11-01T00:00:00Z") # in the past: over, no warn
	_too_far("2026-12-26T08:00:00.000000001Z") # one nanosecond past the maximum
	_too_far("2027-06-01T00:00:00Z")
	_too_far("9999-12-31T23:59:59Z") # beyond the time builtins' range, still compared
}

test_date_only_means_end_of_that_utc_day if {
	_exempts("2026-11-26") # until 2026-11-27T00:00:00Z
	_quiet("2026-11-25") # ended at 2026-11-26T00:00:00Z
	_exempts("2026-12-25") # until 2026-12-26T00:00:00Z, inside 30d
	_too_far("2026-12-26") # until 2026-12-27T00:00:00Z: a day past the maximum
	count(snooze.exempt) == 1 with input as _input_at("2026-11-26T23:59:59.999999999Z", "30d", [{"key": "reaper-snooze-until", "value": "2026-11-26"}])
	count(snooze.exempt) == 0 with input as _input_at("2026-11-27T00:00:00Z", "30d", [{"key": "reaper-snooze-until", "value": "2026-11-26"}])
}

test_malformed_values_warn_and_never_exempt if {
	every value in [
		"", "tomorrow", "2026-12-01T00:00:00", "2026-12-01 00:00:00Z", "2026-02-30", "2026-13-01",
		"2026-12-1", "12/01/2026", "2026-12-01t00:00:00z", "1700000000", "30d",
	] {
		_malformed(value)
	}
}

test_values_are_trimmed_and_keys_match_in_any_case if {
	_exempts(" 2026-12-01 ")
	_exempts("\t2026-12-01T00:00:00Z")
	every key in ["Reaper-Snooze-Until", "REAPER-SNOOZE-UNTIL", " reaper-snooze-until "] {
		count(snooze.exempt) == 1 with input as _input_at(_now, "30d", [{"key": key, "value": "2026-12-01"}])
	}
	count(snooze.exempt) == 0 with input as _input_at(_now, "30d", [{"key": "reaper-snooze", "value": "2026-12-01"}])
}

test_repeated_key_exempts_when_any_value_does if {
	both := [{"key": "reaper-snooze-until", "value": "2027-06-01"}, {"key": "Reaper-Snooze-Until", "value": "2026-12-01"}]
	count(snooze.exempt) == 1 with input as _input_at(_now, "30d", both)
	snooze.warn == {"tag reaper-snooze-until=2027-06-01 is more than snooze.max=30d ahead; it does not exempt this instance (snooze at most 30d ahead, or use reaper-keep)"} with input as _input_at(_now, "30d", both)
}

# One valid and one malformed value: exempt (the valid one), and the malformed one still warns.
test_repeated_key_valid_and_malformed_exempts_with_a_warn if {
	mixed := [{"key": "reaper-snooze-until", "value": "2026-12-01"}, {"key": "reaper-snooze-until", "value": "next week"}]
	snooze.exempt == {"tag reaper-snooze-until=2026-12-01 (snoozed; at most snooze.max=30d ahead)"} with input as _input_at(_now, "30d", mixed)
	snooze.warn == {`tag reaper-snooze-until has a malformed value "next week" (want RFC 3339 or YYYY-MM-DD); ignored`} with input as _input_at(_now, "30d", mixed)
}

test_tags_map_without_tag_list if {
	doc := {"now": _now, "params": {"snooze": {"max": "30d"}}, "instance": {"id": "i-1", "tags": {"reaper-snooze-until": "2026-12-01"}}}
	count(snooze.exempt) == 1 with input as doc
}

test_max_param if {
	far := [{"key": "reaper-snooze-until", "value": "2027-01-20"}]
	count(snooze.exempt) == 0 with input as _input_at(_now, "30d", far)
	count(snooze.exempt) == 1 with input as _input_at(_now, "8w", far)
	count(snooze.exempt) == 1 with input as _input_at(_now, "60d", far)
	count(snooze.exempt) == 0 with input as _input_at(_now, "72h", [{"key": "reaper-snooze-until", "value": "2026-11-30"}])
	snooze.warn == {"tag reaper-snooze-until=2026-11-30 is more than snooze.max=72h ahead; it does not exempt this instance (snooze at most 72h ahead, or use reaper-keep)"} with input as _input_at(_now, "72h", [{"key": "reaper-snooze-until", "value": "2026-11-30"}])
}

test_malformed_max_switches_the_policy_off_with_a_warn if {
	tag := [{"key": "reaper-snooze-until", "value": "2026-12-01"}]
	every max in ["30 days", "", 30, null, "0d", "-1d"] {
		count(snooze.exempt) == 0 with input as _input_at(_now, max, tag)
		snooze.warn == {sprintf("param snooze.max is %s, not a duration like 30d; the snooze policy is off", [json.marshal(max)])} with input as _input_at(_now, max, tag)
	}
	count(snooze.warn) == 0 with input as _input_at(_now, "bad", [{"key": "owner", "value": "ci"}])
}

test_no_tag_is_quiet if {
	count(snooze.exempt) == 0 with input as _input_at(_now, "30d", [])
	count(snooze.warn) == 0 with input as _input_at(_now, "30d", [])
}

test_snooze_never_terminates if {
	not snooze.terminate with input as _input("2026-12-01")
}
