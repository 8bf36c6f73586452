# Package reaper.expiry terminates instances whose owner gave them an end, through tags:
#
#   reaper-expires-at  an RFC 3339 timestamp ("2026-12-01T18:00:00Z", "2026-12-01T18:00:00+08:00")
#                      or a date "YYYY-MM-DD", which means the END of that UTC day: "2026-12-01"
#                      expires at 2026-12-02T00:00:00Z.
#   reaper-ttl         a time to live counted from created_at: a positive integer and a unit h, d
#                      or w ("72h", "7d", "2w").
#
# Boundaries, the same everywhere in the bundled set (reaching a limit counts as passing it):
# an instance has expired when its expiry instant is <= now, and has outlived its ttl when its
# age is >= the ttl.
#
# A malformed value never terminates; it gives a warn naming the tag and the value.
#
# Keys match in any case with surrounding spaces ignored ("Reaper-TTL"), values with surrounding
# spaces ignored. A tag whose key repeats with different values never terminates (the owner's
# intent is unclear, so reaper fails closed); it gives a warn listing the values. Without
# created_at there is no age, and reaper-ttl never fires.
package reaper.expiry

import data.reaper.lib

_now_ns := lib.timestamp_ns(input.now)

# _expires_at and _ttl are the tags' values; undefined when absent or conflicting.
_expires_at := v if {
	values := lib.reaper_tags["reaper-expires-at"]
	count(values) == 1
	some v in values
}

_ttl := v if {
	values := lib.reaper_tags["reaper-ttl"]
	count(values) == 1
	some v in values
}

# _expires_ns is the instant the reaper-expires-at tag names; undefined when the tag is absent,
# malformed or conflicting.
_expires_ns := ns if {
	ns := lib.timestamp_ns(_expires_at)
} else := ns if {
	ns := lib.date_end_ns(_expires_at)
}

# _ttl_seconds is the reaper-ttl tag in seconds; undefined when the tag is absent, malformed or
# conflicting.
_ttl_seconds := lib.duration_seconds(_ttl)

terminate contains reason if {
	_expires_ns <= _now_ns
	reason := sprintf("tag reaper-expires-at=%s has passed", [_expires_at])
}

terminate contains reason if {
	ttl := _ttl_seconds
	age := input.instance.age_seconds
	age >= ttl
	reason := sprintf("age %s reached tag reaper-ttl=%s", [lib.format_seconds(age), _ttl])
}

warn contains reason if {
	value := _expires_at
	not _expires_ns
	reason := sprintf("tag reaper-expires-at has a malformed value %s (want RFC 3339 or YYYY-MM-DD); ignored", [lib.show(value)])
}

warn contains reason if {
	value := _ttl
	not _ttl_seconds
	reason := sprintf("tag reaper-ttl has a malformed value %s (want a positive number and h, d or w, as in 72h, 7d, 2w); ignored", [lib.show(value)])
}

warn contains reason if {
	some key, values in lib.reaper_tags
	key in {"reaper-expires-at", "reaper-ttl"}
	count(values) > 1
	reason := sprintf("tag %s repeats with different values %s; it does not terminate until they agree", [key, lib.show(sort(values))])
}
