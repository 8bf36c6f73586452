package enrich

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

func TestParseParams(t *testing.T) {
	const h = time.Hour
	defaults := Params{MinAge: DefaultMinAge, Window: DefaultWindow, RequestedWindow: DefaultWindow, Refresh: DefaultRefresh, MaxP95: DefaultMaxP95}
	idle := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"idle": m}
	}
	tests := []struct {
		name   string
		params map[string]any
		want   Params
	}{
		{"nil params", nil, defaults},
		{"no idle", map[string]any{"tags": map[string]any{}}, defaults},
		{"empty idle", idle(), defaults},
		{"bundled defaults", policies.DefaultParams(), defaults},
		{"strings", idle("min_age", "2w", "window", "4d", "refresh", "12h"),
			Params{MinAge: 14 * 24 * h, Window: 96 * h, RequestedWindow: 96 * h, Refresh: 12 * h, MaxP95: DefaultMaxP95}},
		{"json numbers are seconds", idle("min_age", json.Number("3600"), "window", json.Number("172800")),
			Params{MinAge: h, Window: 48 * h, RequestedWindow: 48 * h, Refresh: DefaultRefresh, MaxP95: DefaultMaxP95}},
		{"float and int seconds", idle("min_age", 7200.0, "refresh", 60),
			Params{MinAge: 2 * h, Window: DefaultWindow, RequestedWindow: DefaultWindow, Refresh: time.Minute, MaxP95: DefaultMaxP95}},
		{"a short window is raised to 24h", idle("window", "12h"),
			Params{MinAge: DefaultMinAge, Window: MinWindow, RequestedWindow: 12 * h, Refresh: DefaultRefresh, MaxP95: DefaultMaxP95}},
		{"a long window is cut to 30 days", idle("window", "9w"),
			Params{MinAge: DefaultMinAge, Window: MaxWindow, RequestedWindow: 63 * 24 * h, Refresh: DefaultRefresh, MaxP95: DefaultMaxP95}},
		{"a window is rounded up to whole samples", idle("window", 100000),
			Params{MinAge: DefaultMinAge, Window: 100200 * time.Second, RequestedWindow: 100000 * time.Second, Refresh: DefaultRefresh, MaxP95: DefaultMaxP95}},
		{"null keeps the default", idle("window", nil), defaults},
		{"max_p95_bps orders fetches", idle("max_p95_bps", 5000.0),
			Params{MinAge: DefaultMinAge, Window: DefaultWindow, RequestedWindow: DefaultWindow, Refresh: DefaultRefresh, MaxP95: 5000}},
		{"a malformed max_p95_bps keeps the default (the policy judges it)", idle("max_p95_bps", "fast"), defaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseParams(tt.params)
			if err != nil {
				t.Fatalf("ParseParams: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseParamsErrors(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]any
		key     string
		message string
	}{
		{"idle not an object", map[string]any{"idle": "72h"}, "idle",
			`param idle is "72h", not a duration like 72h, 7d or 2w, or a positive number of seconds`},
		{"go duration syntax", map[string]any{"idle": map[string]any{"window": "72h0m"}}, "idle.window",
			`param idle.window is "72h0m", not a duration like 72h, 7d or 2w, or a positive number of seconds`},
		{"zero", map[string]any{"idle": map[string]any{"min_age": "0d"}}, "idle.min_age", ""},
		{"negative seconds", map[string]any{"idle": map[string]any{"refresh": -5}}, "idle.refresh", ""},
		{"minutes", map[string]any{"idle": map[string]any{"refresh": "30m"}}, "idle.refresh", ""},
		{"boolean", map[string]any{"idle": map[string]any{"window": true}}, "idle.window",
			`param idle.window is true, not a duration like 72h, 7d or 2w, or a positive number of seconds`},
		{"too many seconds", map[string]any{"idle": map[string]any{"window": 1e300}}, "idle.window", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseParams(tt.params)
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error: got %v, want a *ParamError", err)
			}
			if pe.Key != tt.key {
				t.Errorf("key: got %q, want %q", pe.Key, tt.key)
			}
			if tt.message != "" && err.Error() != tt.message {
				t.Errorf("message:\n got %s\nwant %s", err, tt.message)
			}
		})
	}
}
