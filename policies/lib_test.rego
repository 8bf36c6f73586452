package reaper.lib_test

import data.reaper.lib

test_duration_units if {
	lib.duration_seconds("1h") == 3600
	lib.duration_seconds("72h") == 259200
	lib.duration_seconds("7d") == 604800
	lib.duration_seconds("2w") == 1209600
	lib.duration_seconds("007d") == 604800
	lib.duration_seconds("999999999w") == 604799999395200
}

test_duration_malformed_is_undefined if {
	every s in ["", "h", "0h", "000d", "-1h", "+1h", "1", "1m", "1s", "1y", "1H", "1D", " 1h", "1h ", "1.5h", "1h30m", "1e3h", "1000000000h", "٣h"] {
		not lib.duration_seconds(s)
	}
	not lib.duration_seconds(7)
	not lib.duration_seconds(null)
	not lib.duration_seconds(["1h"])
}

test_timestamp_epoch_and_offsets if {
	lib.timestamp_ns("1970-01-01T00:00:00Z") == 0
	lib.timestamp_ns("2026-11-26T08:00:00Z") == 1795680000000000000
	lib.timestamp_ns("2026-11-26T16:00:00+08:00") == 1795680000000000000
	lib.timestamp_ns("2026-11-26T03:30:00-04:30") == 1795680000000000000
	lib.timestamp_ns("2026-11-26T08:00:00+00:00") == 1795680000000000000
	lib.timestamp_ns("2026-11-26T08:00:00-00:00") == 1795680000000000000
	lib.timestamp_ns("1969-12-31T00:00:00Z") == -86400000000000
}

test_timestamp_fractions if {
	lib.timestamp_ns("1970-01-01T00:00:00.5Z") == 500000000
	lib.timestamp_ns("1970-01-01T00:00:00.000000001Z") == 1
	lib.timestamp_ns("1970-01-01T00:00:00.123456789987Z") == 123456789
}

test_timestamp_extremes if {
	lib.timestamp_ns("2000-02-29T00:00:00Z") == 951782400000000000
	lib.timestamp_ns("1678-01-01T00:00:00+23:59") < lib.timestamp_ns("1678-01-01T00:00:00Z")
	lib.timestamp_ns("2261-12-31T23:59:59-23:59") > lib.timestamp_ns("2261-12-31T23:59:59Z")
	lib.timestamp_ns("0000-01-01T00:00:00Z") == lib.before_all
	lib.timestamp_ns("1677-12-31T23:59:59Z") == lib.before_all
	lib.timestamp_ns("2262-01-01T00:00:00Z") == lib.after_all
	lib.timestamp_ns("9999-12-31T23:59:59Z") == lib.after_all
	lib.before_all < lib.timestamp_ns("1678-01-01T00:00:00+23:59")
	lib.after_all > lib.timestamp_ns("2261-12-31T23:59:59.999999999-23:59")
}

test_timestamp_malformed_is_undefined if {
	every s in [
		"", "2026-11-26", "2026-11-26T08:00:00", "2026-11-26t08:00:00Z", "2026-11-26T08:00:00z",
		"2026-11-26 08:00:00Z", "2026-11-26T08:00Z", "2026-11-26T8:00:00Z", "26-11-26T08:00:00Z",
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-11-00T00:00:00Z", "2026-11-31T00:00:00Z",
		"2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T08:60:00Z",
		"2026-11-26T08:00:60Z", "2026-11-26T08:00:00+24:00", "2026-11-26T08:00:00+08:60",
		"2026-11-26T08:00:00+0800", "2026-11-26T08:00:00.Z", "2026-11-26T08:00:00,5Z",
		" 2026-11-26T08:00:00Z", "2026-11-26T08:00:00Z ", "+2026-11-26T08:00:00Z", "10000-01-01T00:00:00Z",
	] {
		not lib.timestamp_ns(s)
	}
	not lib.timestamp_ns(1795680000)
}

test_date_end_is_next_midnight_utc if {
	lib.date_end_ns("2026-12-01") == 1796169600000000000
	lib.date_end_ns("1969-12-31") == 0
	lib.date_end_ns("1677-01-01") == lib.before_all
	lib.date_end_ns("2262-12-31") == lib.after_all
	lib.date_end_ns("2261-12-31") == 9214646400000000000
	lib.date_end_ns("2024-02-29") == lib.timestamp_ns("2024-03-01T00:00:00Z")
	lib.date_end_ns("2026-12-31") == lib.timestamp_ns("2027-01-01T00:00:00Z")
}

test_date_malformed_is_undefined if {
	every s in ["", "2026-12-1", "2026-12-01T00:00:00Z", "2026-02-29", "2026-04-31", "2026/12/01", "01-12-2026", "2026-12-01 "] {
		not lib.date_end_ns(s)
	}
}

test_leap_days if {
	every s in ["2000-02-29", "2024-02-29", "0000-02-29", "1600-02-29", "2400-02-29"] {
		lib.date_end_ns(s)
	}
	every s in ["1900-02-29", "2026-02-29", "2100-02-29", "1700-02-29"] {
		not lib.date_end_ns(s)
	}
}

test_format_seconds if {
	lib.format_seconds(259200) == "72h"
	lib.format_seconds(9000) == "2h30m"
	lib.format_seconds(61) == "0h1m1s"
	lib.format_seconds(0) == "0h"
}

test_param_defaults_to_null if {
	lib.param("idle", "window") == "72h" with input as {"params": {"idle": {"window": "72h"}}}
	lib.param("idle", "window") == null with input as {"params": {}}
	lib.param("idle", "window") == null with input as {"params": {"idle": "off"}}
}

test_reaper_tags_from_the_engine if {
	lib.reaper_tags == {"reaper-keep": {"yes"}} with input as {"instance": {"reaper_tags": {"reaper-keep": {"yes"}}, "tag_list": [{"key": "reaper-keep", "value": "no"}]}}
}

test_reaper_tags_from_a_document if {
	doc := {"instance": {"tag_list": [
		{"key": " Reaper-Keep ", "value": " yes "}, {"key": "owner", "value": "ci"},
		{"key": "reaper-keep", "value": "no"}, {"key": "REAPER-TTL", "value": "7d"}, {"key": 7, "value": "x"},
	]}}
	lib.reaper_tags == {"reaper-keep": {"yes", "no"}, "reaper-ttl": {"7d"}} with input as doc
	lib.tag_values("reaper-keep") == {"yes", "no"} with input as doc
	lib.tag_values("reaper-snooze-until") == set() with input as doc
	lib.reaper_tags == {"reaper-ttl": {"1h"}} with input as {"instance": {"tags": {"Reaper-TTL": "1h ", "owner": "x"}}}
	lib.reaper_tags == {} with input as {"instance": {}}
}

test_truthy_and_falsy if {
	every v in ["true", "TRUE", " True ", "yes", "YES", "1", "\t1"] {
		lib.truthy(v)
		not lib.falsy(v)
	}
	every v in ["false", "No", " 0 "] {
		lib.falsy(v)
		not lib.truthy(v)
	}
	every v in ["", "ture", "on", "y", "2", 1, true, null] {
		not lib.truthy(v)
		not lib.falsy(v)
	}
}
