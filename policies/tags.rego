# Package reaper.tags terminates instances that lack a required tag: a key listed in
# tags.required that is missing, empty or whitespace-only once the instance is older than
# tags.grace (age >= grace fires). Tag keys are case-sensitive (they are the operator's, not
# reaper's), but a near miss never terminates: a key that differs from a required one only in
# case or surrounding spaces, with a non-blank value, gives a warn instead (the owner did tag the
# instance). When a key repeats, one non-blank value is enough: a repeated key never makes a tag
# count as missing.
#
# tags.required defaults to [], so the policy is off until configured. A required key that is
# not a non-empty string is ignored with a warn (an empty key would otherwise match every
# instance); a malformed tags.grace switches the policy off with a warn.
package reaper.tags

import data.reaper.lib

_required := lib.param("tags", "required")

_grace := lib.duration_seconds(lib.param("tags", "grace"))

_keys contains key if {
	some key in _required
	_valid_key(key)
}

_valid_key(key) if {
	is_string(key)
	trim_space(key) != ""
}

_present(key) if {
	some pair in lib.tag_pairs
	pair.key == key
	is_string(pair.value)
	trim_space(pair.value) != ""
}

# _near(key) is a key the instance carries, with a non-blank value, that equals key only once
# both are trimmed and lower-cased.
_near(key) := {pair.key |
	some pair in lib.tag_pairs
	is_string(pair.key)
	pair.key != key
	lower(trim_space(pair.key)) == lower(trim_space(key))
	is_string(pair.value)
	trim_space(pair.value) != ""
}

terminate contains reason if {
	some key in _keys
	is_array(_required)
	input.instance.age_seconds >= _grace
	not _present(key)
	count(_near(key)) == 0
	reason := sprintf("required tag %s is missing or empty after the %s grace period", [lib.show(key), lib.param("tags", "grace")])
}

warn contains sprintf("required tag %s is written %s; tag keys are case-sensitive, so rename it (not terminated for it)", [lib.show(key), lib.show(near)]) if {
	some key in _keys
	is_array(_required)
	not _present(key)
	some near in _near(key)
}

warn contains sprintf("param tags.required is %s, not a list of tag names; the tags policy is off", [lib.show(_required)]) if {
	_required != null
	not is_array(_required)
}

warn contains sprintf("param tags.required lists %s, which is not a tag name; ignored", [lib.show(key)]) if {
	is_array(_required)
	some key in _required
	not _valid_key(key)
}

warn contains sprintf("param tags.grace is %s, not a duration like 72h; the tags policy is off", [lib.show(lib.param("tags", "grace"))]) if {
	is_array(_required)
	count(_required) > 0
	not _grace
}
