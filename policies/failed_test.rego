package reaper.failed_test

import data.reaper.failed

_input(status, age) := {
	"now": "2026-11-26T08:00:00Z",
	"params": {"failed": {"after": "6h"}},
	"instance": {"id": "i-1", "status": status, "age_seconds": age, "tags": {}, "traffic": null},
}

test_failed_builds_terminate_after_the_threshold if {
	failed.terminate == {"status CREATE_FAILED, created 6h ago (threshold 6h)"} with input as _input("CREATE_FAILED", 21600)
	failed.terminate == {"status INSTALL_FAILED, created 7h30m ago (threshold 6h)"} with input as _input("INSTALL_FAILED", 27000)
}

test_failed_builds_within_the_threshold_keep if {
	count(failed.terminate) == 0 with input as _input("CREATE_FAILED", 21599)
	count(failed.terminate) == 0 with input as _input("INSTALL_FAILED", 0)
}

test_other_statuses_keep if {
	every status in ["RUNNING", "STOPPED", "CREATING", "INSTALLING", "RECYCLING", "create_failed", "FAILED", ""] {
		count(failed.terminate) == 0 with input as _input(status, 999999999)
	}
}

test_malformed_after_switches_off_with_a_warning if {
	doc := object.union(_input("CREATE_FAILED", 999999999), {"params": {"failed": {"after": "6 hours"}}})
	count(failed.terminate) == 0 with input as doc
	failed.warn == {"param failed.after is \"6 hours\", not a duration like 6h; the failed policy is off"} with input as doc
	count(failed.warn) == 0 with input as object.union(_input("RUNNING", 999999999), {"params": {"failed": {"after": "6 hours"}}})
}

test_no_age_never_terminates if {
	doc := {"now": "2026-11-26T08:00:00Z", "params": {"failed": {"after": "6h"}}, "instance": {"id": "i-1", "status": "CREATE_FAILED", "tags": {}}}
	count(failed.terminate) == 0 with input as doc
}
