# Package reaper.snooze exempts instances whose owner snoozed reaper for a while, through the tag
#
#   reaper-snooze-until  an RFC 3339 timestamp ("2026-12-01T18:00:00Z", "2026-12-01T18:00:00+08:00")
#                        or a date "YYYY-MM-DD", which means the END of that UTC day: "2026-12-01"
#                        snoozes until 2026-12-02T00:00:00Z.
#
# The instance is exempt while now < until <= now + snooze.max (param, default 30d, a duration
# like the other params: "72h", "30d", "4w"). So a snooze lasts at most snooze.max from the
# moment it is read, and an owner who wants longer must renew it (or use reaper-keep).
#
#   - until at or before now: the snooze is over; nothing happens, no warn.
#   - until beyond now + snooze.max: no exemption, and a warn naming the value and the maximum
#     (an owner notice repeats it).
#   - a malformed value: no exemption, and a warn naming the value.
#   - a malformed snooze.max: the policy is off, with a warn on every instance carrying the tag.
#
# Keys match in any case with surrounding spaces ignored ("Reaper-Snooze-Until"), values with
# surrounding spaces ignored. When the key repeats, the instance is exempt when any value
# exempts it, and every value that does not (too far ahead or malformed) still gives its warn:
# a valid snooze beside a typo exempts and the typo is shown.
#
# Time comes only from input.now: policies cannot read the clock.
package reaper.snooze

import data.reaper.lib

_now_ns := lib.timestamp_ns(input.now)

_max := lib.param("snooze", "max")

_max_seconds := lib.duration_seconds(_max)

# _limit_ns is the latest instant a snooze may name: now + snooze.max.
_limit_ns := _now_ns + (_max_seconds * 1000000000)

_values := lib.tag_values("reaper-snooze-until")

# _until_ns(v) is the instant the value v names; undefined when v is malformed.
_until_ns(v) := ns if {
	ns := lib.timestamp_ns(v)
} else := ns if {
	ns := lib.date_end_ns(v)
}

exempt contains reason if {
	some value in _values
	until := _until_ns(value)
	_now_ns < until
	until <= _limit_ns
	reason := sprintf("tag reaper-snooze-until=%s (snoozed; at most snooze.max=%s ahead)", [value, _max])
}

warn contains reason if {
	some value in _values
	until := _until_ns(value)
	until > _limit_ns
	reason := sprintf("tag reaper-snooze-until=%s is more than snooze.max=%s ahead; it does not exempt this instance (snooze at most %s ahead, or use reaper-keep)", [value, _max, _max])
}

warn contains reason if {
	some value in _values
	not _until_ns(value)
	reason := sprintf("tag reaper-snooze-until has a malformed value %s (want RFC 3339 or YYYY-MM-DD); ignored", [lib.show(value)])
}

warn contains reason if {
	count(_values) > 0
	not _max_seconds
	reason := sprintf("param snooze.max is %s, not a duration like 30d; the snooze policy is off", [lib.show(_max)])
}
