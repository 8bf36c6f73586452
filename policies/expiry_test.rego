package reaper.expiry_test

import data.reaper.expiry

_now := "2026-11-26T08:00:00Z"

_input(tags, age) := {
	"now": _now,
	"params": {},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": age, "tags": tags, "traffic": null},
}

_at(now, tags) := object.union(_input(tags, 3600), {"now": now})

test_expires_at_in_the_past_terminates if {
	expiry.terminate == {"tag reaper-expires-at=2026-11-01T00:00:00Z has passed"} with input as _input({"reaper-expires-at": "2026-11-01T00:00:00Z"}, 3600)
	count(expiry.warn) == 0 with input as _input({"reaper-expires-at": "2026-11-01T00:00:00Z"}, 3600)
}

test_expires_at_exactly_now_terminates if {
	count(expiry.terminate) == 1 with input as _input({"reaper-expires-at": _now}, 3600)
	count(expiry.terminate) == 1 with input as _input({"reaper-expires-at": "2026-11-26T16:00:00+08:00"}, 3600)
}

test_expires_at_in_the_future_keeps if {
	count(expiry.terminate) == 0 with input as _input({"reaper-expires-at": "2026-11-26T08:00:00.000000001Z"}, 3600)
	count(expiry.terminate) == 0 with input as _input({"reaper-expires-at": "2026-11-26T16:00:01+08:00"}, 3600)
	count(expiry.terminate) == 0 with input as _input({"reaper-expires-at": "9999-12-31T23:59:59Z"}, 3600)
}

test_expires_at_with_offset_compares_instants if {
	count(expiry.terminate) == 1 with input as _input({"reaper-expires-at": "2026-11-26T15:59:59+08:00"}, 3600)
	count(expiry.terminate) == 0 with input as _input({"reaper-expires-at": "2026-11-26T04:00:00-04:30"}, 3600)
	count(expiry.terminate) == 1 with input as _input({"reaper-expires-at": "2026-11-26T03:30:00-04:30"}, 3600)
}

test_date_only_means_end_of_that_utc_day if {
	count(expiry.terminate) == 1 with input as _input({"reaper-expires-at": "2026-11-25"}, 3600)
	count(expiry.terminate) == 0 with input as _input({"reaper-expires-at": "2026-11-26"}, 3600)
	count(expiry.terminate) == 0 with input as _at("2026-11-26T23:59:59.999999999Z", {"reaper-expires-at": "2026-11-26"})
	count(expiry.terminate) == 1 with input as _at("2026-11-27T00:00:00Z", {"reaper-expires-at": "2026-11-26"})
	count(expiry.terminate) == 1 with input as _at("2026-11-27T08:00:00+08:00", {"reaper-expires-at": "2026-11-26"})
}

test_malformed_expires_at_warns_and_never_terminates if {
	every value in [
		"", "yesterday", "2026-11-01T00:00:00", "2026-11-01 00:00:00Z", "2026-02-30", "2026-13-01",
		"2026-11-1", "11/01/2026", "2026-11-01T25:00:00Z", "2026-11-01t00:00:00z", "2026- 11-01",
		"1700000000", "0000-00-00",
	] {
		count(expiry.terminate) == 0 with input as _input({"reaper-expires-at": value}, 999999999)
		expiry.warn == {sprintf("tag reaper-expires-at has a malformed value %s (want RFC 3339 or YYYY-MM-DD); ignored", [json.marshal(value)])} with input as _input({"reaper-expires-at": value}, 999999999)
	}
}

test_ttl_units if {
	count(expiry.terminate) == 1 with input as _input({"reaper-ttl": "72h"}, 259200)
	count(expiry.terminate) == 1 with input as _input({"reaper-ttl": "7d"}, 604800)
	count(expiry.terminate) == 1 with input as _input({"reaper-ttl": "2w"}, 1209600)
	count(expiry.terminate) == 0 with input as _input({"reaper-ttl": "2w"}, 1209599)
}

test_ttl_boundary_age_equal_to_ttl_terminates if {
	expiry.terminate == {"age 72h reached tag reaper-ttl=72h"} with input as _input({"reaper-ttl": "72h"}, 259200)
	count(expiry.terminate) == 0 with input as _input({"reaper-ttl": "72h"}, 259199)
	expiry.terminate == {"age 72h0m1s reached tag reaper-ttl=3d"} with input as _input({"reaper-ttl": "3d"}, 259201)
}

test_malformed_ttl_warns_and_never_terminates if {
	every value in ["", "0h", "0d", "-1d", "1.5d", "7 d", "7D", "1y", "10m", "3600", "1d12h", "inf", "1e3h", "1234567890h"] {
		count(expiry.terminate) == 0 with input as _input({"reaper-ttl": value}, 999999999)
		expiry.warn == {sprintf("tag reaper-ttl has a malformed value %s (want a positive number and h, d or w, as in 72h, 7d, 2w); ignored", [json.marshal(value)])} with input as _input({"reaper-ttl": value}, 999999999)
	}
}

test_no_tags_no_opinion if {
	count(expiry.terminate) == 0 with input as _input({}, 999999999)
	count(expiry.warn) == 0 with input as _input({}, 999999999)
	count(expiry.terminate) == 0 with input as _input({"reaper-expires-at-typo": "2020-01-01"}, 999999999)
}

test_both_tags_give_both_reasons if {
	count(expiry.terminate) == 2 with input as _input({"reaper-expires-at": "2026-01-01", "reaper-ttl": "1h"}, 3600)
	count(expiry.terminate) == 1 with input as _input({"reaper-expires-at": "bad", "reaper-ttl": "1h"}, 3600)
	count(expiry.warn) == 1 with input as _input({"reaper-expires-at": "bad", "reaper-ttl": "1h"}, 3600)
}

_pairs(pairs, age) := {
	"now": _now,
	"params": {},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": age, "tags": {}, "tag_list": pairs, "traffic": null},
}

test_keys_match_in_any_case_and_values_trimmed if {
	expiry.terminate == {"tag reaper-expires-at=2026-11-01 has passed"} with input as _pairs([{"key": "Reaper-Expires-At", "value": " 2026-11-01 "}], 3600)
	expiry.terminate == {"age 72h reached tag reaper-ttl=72h"} with input as _pairs([{"key": " REAPER-TTL", "value": "72h\t"}], 259200)
}

test_repeated_tag_with_one_value_acts if {
	count(expiry.terminate) == 1 with input as _pairs([{"key": "reaper-ttl", "value": "1h"}, {"key": "reaper-ttl", "value": "1h"}], 3600)
	count(expiry.warn) == 0 with input as _pairs([{"key": "reaper-ttl", "value": "1h"}, {"key": "Reaper-TTL", "value": " 1h"}], 3600)
}

test_conflicting_values_never_terminate_and_warn if {
	every pairs in [
		[{"key": "reaper-expires-at", "value": "2020-01-01"}, {"key": "reaper-expires-at", "value": "2999-01-01"}],
		[{"key": "reaper-expires-at", "value": "2020-01-01"}, {"key": "reaper-expires-at", "value": "2021-01-01"}],
		[{"key": "reaper-expires-at", "value": "2020-01-01"}, {"key": "Reaper-Expires-At", "value": "bad"}],
	] {
		count(expiry.terminate) == 0 with input as _pairs(pairs, 999999999)
		count(expiry.warn) == 1 with input as _pairs(pairs, 999999999)
	}
	expiry.warn == {"tag reaper-ttl repeats with different values [\"1h\",\"2w\"]; it does not terminate until they agree"} with input as _pairs([{"key": "reaper-ttl", "value": "2w"}, {"key": "reaper-ttl", "value": "1h"}], 999999999)
	count(expiry.terminate) == 0 with input as _pairs([{"key": "reaper-ttl", "value": "2w"}, {"key": "reaper-ttl", "value": "1h"}], 999999999)
}

test_conflict_in_one_tag_leaves_the_other if {
	pairs := [
		{"key": "reaper-ttl", "value": "2w"}, {"key": "reaper-ttl", "value": "1h"},
		{"key": "reaper-expires-at", "value": "2020-01-01"},
	]
	expiry.terminate == {"tag reaper-expires-at=2020-01-01 has passed"} with input as _pairs(pairs, 999999999)
}

test_no_age_never_ttl if {
	doc := {"now": _now, "params": {}, "instance": {"id": "i-1", "status": "RUNNING", "tags": {"reaper-ttl": "1h"}, "traffic": null}}
	count(expiry.terminate) == 0 with input as doc
}

test_non_string_pairs_are_ignored if {
	count(expiry.terminate) == 0 with input as _pairs([{"key": "reaper-ttl", "value": 1}, {"key": null, "value": "1h"}], 999999999)
	count(expiry.warn) == 0 with input as _pairs([{"key": "reaper-ttl", "value": 1}, {"key": null, "value": "1h"}], 999999999)
}
