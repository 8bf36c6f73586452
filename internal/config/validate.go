package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Accepted values of the enumerated keys.
var (
	// Modes are the values of mode, from the one that does least to the one that does most.
	Modes         = []string{ModeDryRun, ModeMark, ModeApprove, ModeEnforce}
	ReportFormats = []string{"json", "csv", "md", "html"}
	NotifyFormats = []string{"generic", "slack"}
	LogLevels     = []string{"debug", "info", "warn", "error"}
	LogFormats    = []string{"auto", "text", "json"}
)

// MaxRequestsPerSecond is the highest zenlayer.requests_per_second accepted.
const MaxRequestsPerSecond = 1000

// Validate checks every key except the credentials (see ValidateCredentials) and returns all
// problems joined with errors.Join, each a *KeyError naming its key; nil when there are none.
func (c *Config) Validate() error {
	errs, _ := c.check()
	return errors.Join(errs...)
}

// completeCredentials checks that there is exactly one complete set of credentials: an access key
// ID with its secret, or a token.
func (c *Config) completeCredentials() error {
	z := c.Zenlayer
	keys := z.AccessKeyID != "" || z.AccessKeySecret != ""
	switch {
	case z.AccessKeyID != "" && z.AccessKeySecret == "":
		return keyErr("zenlayer.access_key_secret_file",
			"access_key_id is set but there is no secret: set access_key_secret_file or %s", EnvAccessKeySecret)
	case z.AccessKeyID == "" && z.AccessKeySecret != "":
		return keyErr("zenlayer.access_key_id",
			"an access key secret is set but there is no access_key_id: set access_key_id or %s", EnvAccessKeyID)
	case keys && z.Token != "":
		return keyErr("zenlayer", "both an access key and a token are set (in the file or the environment); set only one")
	case !keys && z.Token == "":
		return keyErr("zenlayer", "no credentials: set access_key_id and access_key_secret_file (or %s/%s), or token_file (or %s)",
			EnvAccessKeyID, EnvAccessKeySecret, EnvToken)
	}
	return nil
}

// check returns every validation error and warning, in schema order.
func (c *Config) check() (errs []error, warns []string) {
	v := &checker{}
	c.checkZenlayer(v)
	v.nonEmptyItems("scope.zones", c.Scope.Zones)
	v.nonEmptyItems("scope.resource_groups", c.Scope.ResourceGroups)
	c.checkSchedule(v)
	v.oneOf("mode", c.Mode, Modes)
	c.checkSafety(v)
	v.positive("approval.plan_ttl", c.Approval.PlanTTL)
	if c.StateDir == "" {
		v.add(keyErr("state_dir", "must not be empty"))
	}
	c.checkState(v)
	c.checkReport(v)
	c.checkNotify(v)
	c.checkPricing(v)
	c.checkIdle(v)
	c.checkMetrics(v)
	v.oneOf("log.level", c.Log.Level, LogLevels)
	v.oneOf("log.format", c.Log.Format, LogFormats)
	return v.errs, v.warns
}

// Backends are the accepted values of state.backend.
var Backends = []string{BackendBbolt, BackendPostgres}

// postgresSchema is what state.postgres.schema may be: a plain lowercase identifier, never
// quoted (internal/state/pgstate checks the same; a test in cmd/reaper pins that they agree).
var postgresSchema = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// checkState checks the state block: a postgres backend needs a DSN file; a postgres block
// beside the bbolt backend is a target for `reaper state migrate`, and is said so.
func (c *Config) checkState(v *checker) {
	s := c.State
	v.oneOf("state.backend", s.Backend, Backends)
	if !postgresSchema.MatchString(s.Postgres.Schema) {
		v.add(keyErr("state.postgres.schema", "must be lowercase letters, digits and _ (not first), at most 63, got %q", s.Postgres.Schema))
	}
	if strings.TrimSpace(s.NodeName) != s.NodeName || strings.ContainsAny(s.NodeName, "\x00\n\r\t") {
		v.add(keyErr("state.node_name", "must not contain spaces at the ends or control characters, got %q", s.NodeName))
	}
	switch {
	case s.Backend == BackendPostgres && s.Postgres.DSNFile == "":
		v.add(keyErr("state.postgres.dsn_file", "must be set when state.backend is postgres (a file holding the connection string)"))
	case s.Backend == BackendBbolt && s.Postgres.DSNFile != "":
		v.warn("state.postgres", "is set but state.backend is bbolt: this reaper keeps its state in %s (the postgres block serves `reaper state migrate`)", c.StateDir)
	}
}

// checker collects problems.
type checker struct {
	errs  []error
	warns []string
}

func (v *checker) add(err error) { v.errs = append(v.errs, err) }

func (v *checker) warn(key, format string, args ...any) {
	v.warns = append(v.warns, key+": "+fmt.Sprintf(format, args...))
}

func (v *checker) oneOf(key, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.add(keyErr(key, "must be one of %s, got %q", strings.Join(allowed, ", "), got))
	}
}

func (v *checker) nonNegative(key string, d Duration) {
	if d < 0 {
		v.add(keyErr(key, "must be >= 0, got %s", d))
	}
}

func (v *checker) positive(key string, d Duration) {
	if d <= 0 {
		v.add(keyErr(key, "must be > 0, got %s", d))
	}
}

// inRange checks a value in (0, max]; NaN is out of range.
func (v *checker) inRange(key string, got, max float64) {
	if !(got > 0 && got <= max) {
		v.add(keyErr(key, "must be in (0, %v], got %v", max, got))
	}
}

func (v *checker) nonEmptyItems(key string, items []string) {
	for i, s := range items {
		if s == "" {
			v.add(keyErr(index(key, i), "must not be empty"))
		}
	}
}

func (c *Config) checkZenlayer(v *checker) {
	z := c.Zenlayer
	if err := checkEndpoint(z.Endpoint); err != nil {
		v.add(err)
	} else if u, _ := url.Parse(z.Endpoint); u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		v.warn("zenlayer.endpoint", "%q uses plain http to a host that is not loopback: requests are not encrypted", z.Endpoint)
	}
	v.positive("zenlayer.timeout", z.Timeout)
	v.inRange("zenlayer.requests_per_second", z.RequestsPerSecond, MaxRequestsPerSecond)
}

// checkEndpoint accepts an absolute http or https URL without credentials, query or fragment.
func checkEndpoint(s string) error {
	const key = "zenlayer.endpoint"
	if s == "" {
		return keyErr(key, "must not be empty")
	}
	u, err := url.Parse(s)
	var ue *url.Error
	switch {
	case errors.As(err, &ue):
		return keyErr(key, "invalid URL: %v", ue.Err)
	case err != nil:
		return keyErr(key, "invalid URL: %v", err)
	case u.User != nil:
		return keyErr(key, "must not contain user credentials")
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "":
		return keyErr(key, "must be an absolute http or https URL, got %q", s)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return keyErr(key, "must not contain a query or fragment, got %q", s)
	}
	return nil
}

func (c *Config) checkSchedule(v *checker) {
	if strings.TrimSpace(c.Schedule) == "" {
		v.add(keyErr("schedule", "must not be empty"))
	}
	v.nonNegative("schedule_jitter", c.ScheduleJitter)
	v.nonNegative("cycle_timeout", c.CycleTimeout)
	if c.Timezone == "" {
		v.add(keyErr("timezone", "must not be empty (use UTC)"))
	} else if _, err := time.LoadLocation(c.Timezone); err != nil {
		v.add(&KeyError{Key: "timezone", Err: err})
	}
}

func (c *Config) checkSafety(v *checker) {
	s := c.Safety
	v.nonNegative("safety.grace_period", s.GracePeriod)
	if s.MaxTerminationsPerRun < 1 {
		v.add(keyErr("safety.max_terminations_per_run", "must be >= 1, got %d", s.MaxTerminationsPerRun))
	}
	v.inRange("safety.max_terminations_percent", s.MaxTerminationsPercent, 100)
	v.inRange("safety.max_fleet_drop_percent", s.MaxFleetDropPercent, 100)
	v.positive("safety.commitment_retry_after", s.CommitmentRetryAfter)
	v.positive("safety.unconfirmed_retry_after", s.UnconfirmedRetryAfter)
	checkInstanceIDs(v, s.Protect.InstanceIDs)
	for i, p := range s.Protect.NamePatterns {
		key := index("safety.protect.name_patterns", i)
		if p == "" {
			v.add(keyErr(key, "must not be empty"))
		} else if _, err := path.Match(p, ""); err != nil {
			v.add(keyErr(key, "invalid glob %q: %v", p, err))
		}
	}
	if _, ok := s.Protect.Tags[""]; ok {
		v.add(keyErr(child("safety.protect.tags", ""), "tag key must not be empty"))
	}
	if !keepsDefaultProtectTag(s.Protect.Tags) {
		v.warn("safety.protect.tags", "does not hold the default %s: \"true\", so instances tagged %s=true are not protected by it; "+
			"add it back unless that is intended", DefaultProtectTag, DefaultProtectTag)
	}
}

// checkInstanceIDs refuses protected instance IDs that are not strings of digits: a YAML number
// written as a float or in hex (9.3e+17, 0x1F) or an ID with a prefix or spaces never matches
// an instance, so it would protect nothing.
func checkInstanceIDs(v *checker, ids []string) {
	const key = "safety.protect.instance_ids"
	for i, id := range ids {
		switch {
		case id == "":
			v.add(keyErr(index(key, i), "must not be empty"))
		case strings.Trim(id, "0123456789") != "":
			v.add(keyErr(index(key, i), "must be an instance ID (digits only, as in \"932237369560662463\"), got %q; "+
				"quote IDs in YAML so they stay exact", id))
		}
	}
}

// keepsDefaultProtectTag reports whether the protect tags still protect instances tagged
// reaper-protect=true, matched as the guard matches them: the key in any case and spacing, the
// value any of true, yes or 1.
func keepsDefaultProtectTag(tags map[string]string) bool {
	for k, val := range tags {
		if strings.EqualFold(strings.TrimSpace(k), DefaultProtectTag) {
			switch strings.ToLower(strings.TrimSpace(val)) {
			case "true", "yes", "1":
				return true
			}
		}
	}
	return false
}

func (c *Config) checkReport(v *checker) {
	r := c.Report
	if len(r.Formats) == 0 {
		v.add(keyErr("report.formats", "must not be empty"))
	}
	for i, f := range r.Formats {
		key := index("report.formats", i)
		switch {
		case !slices.Contains(ReportFormats, f):
			v.add(keyErr(key, "must be one of %s, got %q", strings.Join(ReportFormats, ", "), f))
		case slices.Index(r.Formats, f) < i:
			v.add(keyErr(key, "duplicate format %q", f))
		}
	}
	if r.Keep < 0 {
		v.add(keyErr("report.keep", "must be >= 0, got %d", r.Keep))
	}
	if r.TrendRuns < 0 || r.TrendRuns > MaxTrendRuns {
		v.add(keyErr("report.trend_runs", "must be in [0, %d], got %d", MaxTrendRuns, r.TrendRuns))
	}
}

func (c *Config) checkNotify(v *checker) {
	v.oneOf("notify.format", c.Notify.Format, NotifyFormats)
	// The URL is a secret: say what is wrong without showing it.
	checkWebhookURL(v, "notify.webhook_url_file", c.Notify.WebhookURL)
	c.checkOwners(v)
}

// httpURL reports whether s is an absolute http or https URL.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (c *Config) checkMetrics(v *checker) {
	const key = "metrics.listen"
	addr := c.Metrics.Listen
	if addr == "" {
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			err = errors.New(ae.Err)
		}
		v.add(keyErr(key, "must be host:port or empty, got %q: %v", addr, err))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.add(keyErr(key, "port must be a number from 0 to 65535, got %q", port))
		return
	}
	if !loopbackHost(host) {
		v.warn(key, "%q is not a loopback address: metrics are reachable from the network", addr)
	}
}

// loopbackHost reports whether host names the loopback interface.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
