# Package reaper.failed terminates instances stuck in CREATE_FAILED or INSTALL_FAILED for at
# least failed.after (age >= after fires).
#
# The time is measured from created_at: the Zenlayer API exposes no time of the last status
# change, so an instance that fails a reinstall long after its creation qualifies at once. That
# is acceptable for a failed build (it serves nothing), and the grace period still applies.
# A malformed failed.after switches the policy off with a warn on failed instances.
package reaper.failed

import data.reaper.lib

_after := lib.duration_seconds(lib.param("failed", "after"))

terminate contains reason if {
	_failed
	input.instance.age_seconds >= _after
	reason := sprintf("status %s, created %s ago (threshold %s)", [
		input.instance.status,
		lib.format_seconds(input.instance.age_seconds),
		lib.param("failed", "after"),
	])
}

warn contains sprintf("param failed.after is %s, not a duration like 6h; the failed policy is off", [lib.show(lib.param("failed", "after"))]) if {
	_failed
	not _after
}

# _failed holds for the failed statuses. Written as two equalities rather than `in`, so OPA's
# rule index settles it without evaluating a body for the other statuses.
_failed if input.instance.status == "CREATE_FAILED"

_failed if input.instance.status == "INSTALL_FAILED"
