# Package reaper.keep exempts instances their owner asked to keep: tag reaper-keep with the
# exact value "true" (lower case, no spaces). Any other value does not protect; it gives a warn
# (except "false"), so that "True" or "yes" is seen in the report instead of trusted silently.
package reaper.keep

exempt contains "tag reaper-keep=true" if {
	input.instance.tags["reaper-keep"] == "true"
}

warn contains sprintf("tag reaper-keep=%s does not protect this instance; only the exact value \"true\" does", [json.marshal(value)]) if {
	value := input.instance.tags["reaper-keep"]
	not value in {"true", "false"}
}
