# Package reaper.lib holds the helpers the bundled policies share. It is a library, not a
# policy: the engine treats every package under reaper.lib as a library, and a library may not
# define terminate, exempt or warn.
#
# Every helper is *undefined* for a value it cannot read and never raises an error. That
# matters: the engine evaluates with strict builtin errors, so an error fails the evaluation of
# the whole instance, while an undefined helper only keeps one rule from firing. Timestamps are
# therefore parsed here in plain arithmetic rather than with time.parse_rfc3339_ns, which fails
# on dates outside 1677..2262 and on impossible dates that pass a pattern.
package reaper.lib

_unit_seconds := {"h": 3600, "d": 86400, "w": 604800}

# duration_seconds(s) is the duration s in seconds. s is a positive integer of at most nine
# digits followed by one unit: h (hours), d (days) or w (weeks), as in "72h", "7d", "2w". The
# same syntax serves tags (reaper-ttl) and params (idle.min_age, tags.grace, ...).
duration_seconds(s) := n * _unit_seconds[unit] if {
	is_string(s)
	regex.match(`^[0-9]{1,9}[hdw]$`, s)
	unit := substring(s, count(s) - 1, 1)
	n := to_number(substring(s, 0, count(s) - 1))
	n > 0
}

_rfc3339 := `^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

_date := `^([0-9]{4})-([0-9]{2})-([0-9]{2})$`

# timestamp_ns(s) is the instant an RFC 3339 timestamp names, in nanoseconds since the Unix
# epoch: "2026-12-01T18:00:00Z", "2026-12-01T18:00:00.5+08:00". Years 0000..9999; the "T"
# and "Z" are upper case; fractional seconds beyond nine digits are truncated. This is the
# grammar Go's time.Parse(time.RFC3339, s) accepts on its strict path.
timestamp_ns(s) := ns if {
	is_string(s)
	[g] := regex.find_all_string_submatch_n(_rfc3339, s, 1)
	y := to_number(g[1])
	mo := to_number(g[2])
	d := to_number(g[3])
	valid_date(y, mo, d)
	h := to_number(g[4])
	mi := to_number(g[5])
	sec := to_number(g[6])
	h <= 23
	mi <= 59
	sec <= 59
	off := _offset_seconds(g[8])
	secs := (((days_since_epoch(y, mo, d) * 86400) + (h * 3600)) + (mi * 60)) + (sec - off)
	ns := (secs * 1000000000) + _fraction_ns(g[7])
}

# date_end_ns(s) is the end of the UTC day a date "YYYY-MM-DD" names, that is 00:00:00Z of the
# next day, in nanoseconds since the Unix epoch.
date_end_ns(s) := ns if {
	is_string(s)
	[g] := regex.find_all_string_submatch_n(_date, s, 1)
	y := to_number(g[1])
	mo := to_number(g[2])
	d := to_number(g[3])
	valid_date(y, mo, d)
	ns := ((days_since_epoch(y, mo, d) + 1) * 86400) * 1000000000
}

_offset_seconds("Z") := 0

_offset_seconds(z) := _sign[substring(z, 0, 1)] * ((hh * 3600) + (mm * 60)) if {
	z != "Z"
	hh := to_number(substring(z, 1, 2))
	mm := to_number(substring(z, 4, 2))
	hh <= 23
	mm <= 59
}

_sign := {"+": 1, "-": -1}

_fraction_ns("") := 0

_fraction_ns(f) := to_number(concat("", [digits, substring("000000000", 0, 9 - count(digits))])) if {
	f != ""
	digits := substring(f, 1, 9)
}

# valid_date(y, m, d) holds when y-m-d is a day of the proleptic Gregorian calendar.
valid_date(y, m, d) if {
	m >= 1
	m <= 12
	d >= 1
	d <= _days_in_month(y, m)
}

_month_days := [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

_days_in_month(y, m) := 29 if {
	m == 2
	leap_year(y)
} else := _month_days[m]

# leap_year(y) holds for Gregorian leap years.
leap_year(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap_year(y) if y % 400 == 0

# days_since_epoch(y, m, d) is the number of days from 1970-01-01 to y-m-d (negative before),
# for years 0..9999 (H. Hinnant's days_from_civil). The year is shifted by one 400-year era so
# every intermediate value stays non-negative.
days_since_epoch(y, m, d) := days if {
	yy := (y + 400) - _before_march(m)
	era := floor(yy / 400)
	yoe := yy - (era * 400)
	mp := (m + 9) % 12
	doy := (floor(((153 * mp) + 2) / 5) + d) - 1
	doe := (((yoe * 365) + floor(yoe / 4)) - floor(yoe / 100)) + doy
	days := ((era * 146097) + doe) - (719468 + 146097)
}

_before_march(m) := 1 if m <= 2 else := 0

# format_seconds(s) writes a number of seconds as hours, minutes and seconds, leaving out
# trailing zero parts: 259200 is "72h", 9000 is "2h30m", 61 is "0h1m1s".
format_seconds(s) := sprintf("%dh", [floor(s / 3600)]) if {
	s % 3600 == 0
} else := sprintf("%dh%dm", [floor(s / 3600), floor((s % 3600) / 60)]) if {
	s % 60 == 0
} else := sprintf("%dh%dm%ds", [floor(s / 3600), floor((s % 3600) / 60), s % 60])

# param(policy, name) is input.params[policy][name], or null when it is not set.
param(policy, name) := object.get(input.params, [policy, name], null)

# show(v) writes any value as JSON, for messages about malformed values.
show(v) := json.marshal(v)
