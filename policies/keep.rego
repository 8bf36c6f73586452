# Package reaper.keep exempts instances their owner asked to keep: tag reaper-keep with a value
# that means yes (true, yes or 1, in any case, surrounding spaces ignored; the key matches in any
# case too, "Reaper-Keep"). When the key repeats, any value that means yes keeps the instance.
# A value that means neither yes nor no (false, no, 0) does not keep it and gives a warn, so that
# a typo such as "ture" is seen in the report instead of trusted silently.
package reaper.keep

import data.reaper.lib

exempt contains "tag reaper-keep=true" if {
	some value in lib.reaper_tags["reaper-keep"]
	lib.truthy(value)
}

warn contains sprintf("tag reaper-keep=%s does not keep this instance; only true, yes or 1 (any case) does", [lib.show(value)]) if {
	values := lib.reaper_tags["reaper-keep"]
	not _any_truthy(values)
	some value in values
	not lib.falsy(value)
}

_any_truthy(values) if {
	some value in values
	lib.truthy(value)
}
