package reaper.tags_test

import data.reaper.tags

_grace := 259200

_input(required, age, instance_tags) := {
	"now": "2026-11-26T08:00:00Z",
	"params": {"tags": {"required": required, "grace": "72h"}},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": age, "tags": instance_tags, "traffic": null},
}

test_off_by_default if {
	count(tags.terminate) == 0 with input as _input([], _grace * 100, {})
	count(tags.warn) == 0 with input as _input([], _grace * 100, {})
}

test_missing_tag_after_grace_terminates if {
	tags.terminate == {"required tag \"owner\" is missing or empty after the 72h grace period"} with input as _input(["owner"], _grace, {"team": "x"})
}

test_missing_tag_within_grace_keeps if {
	count(tags.terminate) == 0 with input as _input(["owner"], _grace - 1, {})
}

test_empty_and_blank_values_count_as_missing if {
	every value in ["", " ", "\t", "\n  "] {
		count(tags.terminate) == 1 with input as _input(["owner"], _grace, {"owner": value})
	}
}

test_present_tag_keeps if {
	count(tags.terminate) == 0 with input as _input(["owner"], _grace * 100, {"owner": "ci"})
	count(tags.terminate) == 0 with input as _input(["owner"], _grace * 100, {"owner": " ci "})
}

# A key that differs from a required one only in case or surrounding spaces is a near miss: it
# never terminates (the owner did tag the instance), and a warn names it.
test_near_miss_keys_never_terminate_and_warn if {
	every k in ["Owner", "OWNER", " owner", "owner "] {
		count(tags.terminate) == 0 with input as _input(["owner"], _grace, {k: "ci"})
		tags.warn == {sprintf("required tag \"owner\" is written %s; tag keys are case-sensitive, so rename it (not terminated for it)", [json.marshal(k)])} with input as _input(["owner"], _grace, {k: "ci"})
	}
	count(tags.terminate) == 1 with input as _input(["owner"], _grace, {"Owner": " "})
}

test_one_reason_per_missing_key if {
	count(tags.terminate) == 2 with input as _input(["owner", "project", "cost-center"], _grace, {"project": "x"})
	count(tags.terminate) == 1 with input as _input(["owner", "owner"], _grace, {})
}

test_bad_required_keys_are_ignored_with_a_warning if {
	count(tags.terminate) == 0 with input as _input(["", " ", 7, null], _grace * 100, {})
	count(tags.warn) == 4 with input as _input(["", " ", 7, null], _grace * 100, {})
	count(tags.terminate) == 1 with input as _input(["", "owner"], _grace, {})
}

test_required_not_a_list_switches_off_with_a_warning if {
	count(tags.terminate) == 0 with input as _input("owner", _grace * 100, {})
	tags.warn == {"param tags.required is \"owner\", not a list of tag names; the tags policy is off"} with input as _input("owner", _grace * 100, {})
	count(tags.terminate) == 0 with input as _input({"owner": true}, _grace * 100, {})
}

test_malformed_grace_switches_off_with_a_warning if {
	doc := object.union(_input(["owner"], _grace * 100, {}), {"params": {"tags": {"grace": "3 days"}}})
	count(tags.terminate) == 0 with input as doc
	tags.warn == {"param tags.grace is \"3 days\", not a duration like 72h; the tags policy is off"} with input as doc
}

_pairs(required, age, pairs) := {
	"now": "2026-11-26T08:00:00Z",
	"params": {"tags": {"required": required, "grace": "72h"}},
	"instance": {"id": "i-1", "status": "RUNNING", "age_seconds": age, "tags": {}, "tag_list": pairs, "traffic": null},
}

test_a_repeated_key_with_one_value_is_present if {
	count(tags.terminate) == 0 with input as _pairs(["owner"], _grace, [{"key": "owner", "value": ""}, {"key": "owner", "value": "ci"}])
	count(tags.terminate) == 1 with input as _pairs(["owner"], _grace, [{"key": "owner", "value": ""}, {"key": "owner", "value": " "}])
}

test_no_age_never_terminates if {
	doc := {"now": "2026-11-26T08:00:00Z", "params": {"tags": {"required": ["owner"], "grace": "72h"}}, "instance": {"id": "i-1", "tags": {}}}
	count(tags.terminate) == 0 with input as doc
}
