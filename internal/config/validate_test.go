package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v, want nil", err)
	}
}

func TestValidateJoinsEveryProblem(t *testing.T) {
	c := Default()
	c.Safety.MaxTerminationsPercent = 150
	c.Safety.MaxFleetDropPercent = -1
	c.Zenlayer.RequestsPerSecond = 0
	c.Log.Format = "yaml"
	want := []string{
		"zenlayer.requests_per_second: must be in (0, 1000], got 0",
		"safety.max_terminations_percent: must be in (0, 100], got 150",
		"safety.max_fleet_drop_percent: must be in (0, 100], got -1",
		`log.format: must be one of auto, text, json, got "yaml"`,
	}
	err := c.Validate()
	if diff := cmp.Diff(want, errLines(err)); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != "zenlayer.requests_per_second" {
		t.Errorf("errors.As: got %v, want the first *KeyError", ke)
	}
}

func TestValidateBoundaries(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		want string // "" means valid
	}{
		{"percent 100 is allowed", func(c *Config) { c.Safety.MaxTerminationsPercent = 100 }, ""},
		{"percent just above 0 is allowed", func(c *Config) { c.Safety.MaxFleetDropPercent = 0.01 }, ""},
		{"one termination per run is allowed", func(c *Config) { c.Safety.MaxTerminationsPerRun = 1 }, ""},
		{"grace 0 is allowed", func(c *Config) { c.Safety.GracePeriod = 0 }, ""},
		{"1000 rps is allowed", func(c *Config) { c.Zenlayer.RequestsPerSecond = 1000 }, ""},
		{"metrics off", func(c *Config) { c.Metrics.Listen = "" }, ""},
		{"keep 0 keeps all", func(c *Config) { c.Report.Keep = 0 }, ""},
		{"every report format", func(c *Config) { c.Report.Formats = []string{"json", "csv", "md", "html"} }, ""},
		{"zero unconfirmed backoff", func(c *Config) { c.Safety.UnconfirmedRetryAfter = 0 }, "safety.unconfirmed_retry_after: must be > 0, got 0s"},
		{"negative cycle timeout", func(c *Config) { c.CycleTimeout = -1 }, "cycle_timeout: must be >= 0, got -1ns"},
		{"negative rps", func(c *Config) { c.Zenlayer.RequestsPerSecond = -3 }, "zenlayer.requests_per_second: must be in (0, 1000], got -3"},
		{"empty timezone", func(c *Config) { c.Timezone = "" }, "timezone: must not be empty (use UTC)"},
		{"empty resource group", func(c *Config) { c.Scope.ResourceGroups = []string{""} }, "scope.resource_groups[0]: must not be empty"},
		{"empty pricing key", func(c *Config) { c.Pricing.Overrides = map[string]Override{"": {All: ptr(1.0)}} }, `pricing.overrides[""]: instance type must not be empty`},
		{"named port", func(c *Config) { c.Metrics.Listen = "127.0.0.1:http" }, `metrics.listen: port must be a number from 0 to 65535, got "http"`},
		{"port too high", func(c *Config) { c.Metrics.Listen = "127.0.0.1:70000" }, `metrics.listen: port must be a number from 0 to 65535, got "70000"`},
		{"too many colons", func(c *Config) { c.Metrics.Listen = "::1:9797" }, `metrics.listen: must be host:port or empty, got "::1:9797": too many colons in address`},
		{"invalid webhook URL", func(c *Config) { c.Notify.WebhookURL = "hooks.example.test/secret-path" },
			"notify.webhook_url_file: the file does not hold an absolute http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(c)
			got := ""
			if err := c.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		listen string
		want   []string
	}{
		{"127.0.0.1:9797", nil},
		{"localhost:9797", nil},
		{"[::1]:9797", nil},
		{"", nil},
		{"0.0.0.0:9797", []string{`metrics.listen: "0.0.0.0:9797" is not a loopback address: metrics are reachable from the network`}},
		{":9797", []string{`metrics.listen: ":9797" is not a loopback address: metrics are reachable from the network`}},
		{"bastion.example.test:9797", []string{`metrics.listen: "bastion.example.test:9797" is not a loopback address: metrics are reachable from the network`}},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			c := mustParse(t, `metrics: { listen: "`+tt.listen+`" }`, nil, "")
			if diff := cmp.Diff(tt.want, c.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateCredentials(t *testing.T) {
	tests := []struct {
		name          string
		id            string
		secret, token Secret
		want          string
	}{
		{"access key", "AKID", "s", "", ""},
		{"token", "", "", "t", ""},
		{"none", "", "", "", "zenlayer: no credentials: set access_key_id and access_key_secret_file " +
			"(or ZENLAYER_ACCESS_KEY_ID/ZENLAYER_ACCESS_KEY_SECRET), or token_file (or ZENLAYER_TOKEN)"},
		{"ID without secret", "AKID", "", "", "zenlayer.access_key_secret_file: access_key_id is set but there is no secret: " +
			"set access_key_secret_file or ZENLAYER_ACCESS_KEY_SECRET"},
		{"secret without ID", "", "s", "", "zenlayer.access_key_id: an access key secret is set but there is no access_key_id: " +
			"set access_key_id or ZENLAYER_ACCESS_KEY_ID"},
		{"both", "AKID", "s", "t", "zenlayer: both an access key and a token are set (in the file or the environment); set only one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Zenlayer.AccessKeyID, c.Zenlayer.AccessKeySecret, c.Zenlayer.Token = tt.id, tt.secret, tt.token
			got := ""
			if err := c.ValidateCredentials(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("ValidateCredentials: got %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "[redacted]") {
				t.Errorf("message mentions a secret: %q", got)
			}
		})
	}
}

func TestKeyError(t *testing.T) {
	inner := errors.New("inner")
	tests := []struct {
		err  *KeyError
		want string
	}{
		{&KeyError{Key: "a.b", Msg: "bad"}, "a.b: bad"},
		{&KeyError{Key: "a.b", Line: 3, Msg: "bad"}, "a.b: line 3: bad"},
		{&KeyError{Key: "a", Err: inner}, "a: inner"},
		{&KeyError{Key: "a", Line: 1, Msg: "bad", Err: inner}, "a: line 1: bad: inner"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if !errors.Is(tests[2].err, inner) {
		t.Errorf("errors.Is through KeyError = false, want true")
	}
}

func TestKeyPaths(t *testing.T) {
	tests := []struct{ got, want string }{
		{child("", "safety"), "safety"},
		{child("safety", "protect"), "safety.protect"},
		{child("pricing", "s9i.large"), `pricing["s9i.large"]`},
		{child("safety.protect.tags", ""), `safety.protect.tags[""]`},
		{index("report.formats", 2), "report.formats[2]"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
