# Package reaper.lib holds the helpers the bundled policies share. It is a library, not a
# policy: the engine treats every package under reaper.lib as a library, and a library may not
# define terminate, exempt or warn.
#
# Every helper is *undefined* for a value it cannot read and never raises an error. That
# matters: the engine evaluates with strict builtin errors, so an error fails the evaluation of
# the whole instance, while an undefined helper only keeps one rule from firing. So every value
# is matched against an exact pattern (calendar included) before a time builtin sees it, and
# years the builtins cannot represent are handled without them.
package reaper.lib

_unit_seconds := {"h": 3600, "d": 86400, "w": 604800}

# duration_seconds(s) is the duration s in seconds. s is a positive integer of at most nine
# digits followed by one unit: h (hours), d (days) or w (weeks), as in "72h", "7d", "2w". The
# same syntax serves tags (reaper-ttl) and params (idle.min_age, tags.grace, ...).
duration_seconds(s) := n * _unit_seconds[unit] if {
	is_string(s)
	[[_, digits, unit]] := regex.find_all_string_submatch_n(`^([0-9]{1,9})([hdw])$`, s, 1)
	n := to_number(digits)
	n > 0
}

# _date matches exactly the days of the proleptic Gregorian calendar, years 0000..9999, as
# YYYY-MM-DD (leap years: divisible by 4 and not by 100, or by 400; year 0000 is one).
_date := concat("", [
	`(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))`,
	`|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)`,
])

_time := `T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])`

_rfc3339 := concat("", ["^", _date, _time, "$"])

_date_only := concat("", ["^", _date, "$"])

# _in_range matches years 1678..2261, whose instants (whatever the offset) the time builtins
# can return in nanoseconds.
_in_range := `^(?:167[89]|16[89][0-9]|1[7-9][0-9]{2}|2[01][0-9]{2}|22[0-5][0-9]|226[01])-`

# before_all and after_all stand for instants in years before 1678 and after 2261: numbers
# below and above every instant in nanoseconds that the time builtins can return.
before_all := -9223372036854775809

after_all := 9223372036854775808

# timestamp_ns(s) is the instant an RFC 3339 timestamp names, in nanoseconds since the Unix
# epoch: "2026-12-01T18:00:00Z", "2026-12-01T18:00:00.5+08:00". The "T" and "Z" are upper
# case; fractional seconds beyond nine digits are truncated. Years before 1678 give
# before_all, years after 2261 after_all. Every value accepted is one Go's
# time.Parse(time.RFC3339, s) accepts, for the same instant.
timestamp_ns(s) := ns if {
	_is_timestamp(s)
	regex.match(_in_range, s)
	ns := time.parse_rfc3339_ns(s)
} else := before_all if {
	_is_timestamp(s)
	substring(s, 0, 4) < "1678"
} else := after_all if {
	_is_timestamp(s)
}

_is_timestamp(s) if {
	is_string(s)
	regex.match(_rfc3339, s)
}

# date_end_ns(s) is the end of the UTC day a date "YYYY-MM-DD" names, that is 00:00:00Z of the
# next day, in nanoseconds since the Unix epoch (before_all and after_all as above).
date_end_ns(s) := ns if {
	_is_date(s)
	regex.match(_in_range, s)
	ns := time.parse_ns("2006-01-02", s) + 86400000000000
} else := before_all if {
	_is_date(s)
	substring(s, 0, 4) < "1678"
} else := after_all if {
	_is_date(s)
}

_is_date(s) if {
	is_string(s)
	regex.match(_date_only, s)
}

# format_seconds(s) writes a number of seconds as hours, minutes and seconds, leaving out
# trailing zero parts: 259200 is "72h", 9000 is "2h30m", 61 is "0h1m1s".
format_seconds(s) := sprintf("%dh", [floor(s / 3600)]) if {
	s % 3600 == 0
} else := sprintf("%dh%dm", [floor(s / 3600), floor((s % 3600) / 60)]) if {
	s % 60 == 0
} else := sprintf("%dh%dm%ds", [floor(s / 3600), floor((s % 3600) / 60), s % 60])

# tag_pairs is every tag of the instance as {"key", "value"} in API order (a key can repeat):
# input.instance.tag_list, or the pairs of input.instance.tags when a document has no list.
tag_pairs := input.instance.tag_list if {
	is_array(input.instance.tag_list)
} else := [{"key": k, "value": v} | some k, v in input.instance.tags]

# reaper_tags maps each reaper-owned tag key of the instance (a key that, trimmed and in lower
# case, starts with "reaper-"), trimmed and in lower case, to the set of its values, trimmed. A
# repeated key gives all its values, so that any value that protects does (DESIGN.md §5). The
# engine derives it as input.instance.reaper_tags, so reading it costs one lookup per instance;
# a document without it (a Rego test) gets the same from tag_pairs. Policies read it as
# lib.reaper_tags["reaper-keep"]: undefined when the instance does not carry the tag.
reaper_tags := input.instance.reaper_tags if {
	is_object(input.instance.reaper_tags)
} else := {key: values |
	some p in tag_pairs
	is_string(p.key)
	key := lower(trim_space(p.key))
	startswith(key, "reaper-")
	values := {trim_space(q.value) |
		some q in tag_pairs
		is_string(q.key)
		is_string(q.value)
		lower(trim_space(q.key)) == key
	}
}

# tag_values(key) is the set of values of the reaper-owned tag key (written in lower case, as
# "reaper-keep"); empty when the instance does not carry it.
tag_values(key) := {v | some v in reaper_tags[key]}

# truthy(v) holds for a tag value that means yes: true, yes or 1, trimmed, in any case.
truthy(v) if {
	is_string(v)
	lower(trim_space(v)) in {"true", "yes", "1"}
}

# falsy(v) holds for a tag value that deliberately means no: false, no or 0, trimmed, in any case.
falsy(v) if {
	is_string(v)
	lower(trim_space(v)) in {"false", "no", "0"}
}

# param(policy, name) is input.params[policy][name], or null when it is not set.
param(policy, name) := object.get(input.params, [policy, name], null)

# show(v) writes any value as JSON, for messages about malformed values.
show(v) := json.marshal(v)
