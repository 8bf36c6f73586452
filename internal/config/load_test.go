package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseValidMinimal(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ak.secret", "minimal-secret\n", 0o600)

	got, err := Parse(readFixture(t, "valid/minimal.yaml"), nil, dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Default()
	want.Zenlayer.AccessKeyID = "AKIDminimal"
	want.Zenlayer.AccessKeySecretFile = "ak.secret"
	want.Zenlayer.AccessKeySecret = "minimal-secret"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	if err := got.ValidateCredentials(); err != nil {
		t.Errorf("ValidateCredentials: %v", err)
	}
}

func TestParseValidFull(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "secrets/ak.secret", "full-secret", 0o600)
	writeFile(t, dir, "secrets/webhook", "https://hooks.example.test/T000/B000\n", 0o400)
	writeFile(t, dir, "secrets/team-hook", "https://hooks.example.test/team\n", 0o600)
	writeFile(t, dir, "secrets/smtp", " smtp-password\n", 0o600)
	writeFile(t, dir, "secrets/pg-dsn", "postgres://reaper:pg-secret@db.example.test/reaper\n", 0o600)

	got, err := Parse(readFixture(t, "valid/full.yaml"), envMap(map[string]string{
		EnvAccessKeyID: "AKIDenv", EnvAccessKeySecret: "env-secret", // the file wins over both
	}), dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Config{
		Zenlayer: Zenlayer{
			Endpoint:            "https://bmc.example.test/proxy/",
			AccessKeyID:         "AKIDfull",
			AccessKeySecretFile: "secrets/ak.secret",
			AccessKeySecret:     "full-secret",
			Timeout:             Duration(45 * time.Second),
			RequestsPerSecond:   2.5,
		},
		Scope:          Scope{Zones: []string{"HKG-A", "FRA-A"}, ResourceGroups: []string{"rg-1"}},
		Schedule:       "0 */2 * * *",
		ScheduleJitter: Duration(90 * time.Second),
		CycleTimeout:   Duration(90 * time.Minute),
		Timezone:       "Asia/Hong_Kong",
		Mode:           ModeEnforce, // dry_run: false
		Policies: Policies{
			Dir: "/etc/reaper/policies",
			Params: map[string]any{
				"idle": map[string]any{"min_age": "14d", "max_p95_bps": 5000},
				"tags": map[string]any{"required": []any{"owner", "team"}},
			},
		},
		Safety: Safety{
			GracePeriod:             Duration(48 * time.Hour),
			MaxTerminationsPerRun:   3,
			MaxTerminationsPercent:  5.5,
			MaxFleetDropPercent:     100,
			AllowSubscriptionCancel: true,
			CommitmentRetryAfter:    Duration(14 * 24 * time.Hour),
			UnconfirmedRetryAfter:   Duration(12 * time.Hour),
			Protect: Protect{
				InstanceIDs:  []string{"932237369560662463"},
				NamePatterns: []string{"prod-*", "db-?"},
				Tags:         map[string]string{"reaper-protect": "true", "keep": "yes", "env": "prod"},
			},
		},
		StateDir: filepath.Join(dir, "state"), // relative paths resolve against the config directory
		Report:   Report{Dir: "/srv/reaper/reports", Formats: []string{"csv", "md", "html", "json"}, Keep: 30, Compress: true, TrendRuns: 12},
		State: State{
			Backend: "postgres",
			Postgres: Postgres{DSNFile: "secrets/pg-dsn", DSN: "postgres://reaper:pg-secret@db.example.test/reaper",
				Schema: "reaper_prod"},
			NodeName: "bastion-1",
		},
		Notify: Notify{
			WebhookURLFile: "secrets/webhook",
			WebhookURL:     "https://hooks.example.test/T000/B000",
			Format:         "slack",
			Owners: Owners{
				Tag: "Team", RemindBefore: Duration(48 * time.Hour),
				Routes: []OwnerRoute{
					{Match: "team-*", WebhookURLFile: "secrets/team-hook", WebhookURL: "https://hooks.example.test/team", Format: "slack"},
					{Match: "ops", WebhookURLFile: "secrets/team-hook", WebhookURL: "https://hooks.example.test/team", Format: "generic"},
					{Match: "*@*", Email: true},
				},
				SMTP: SMTP{Host: "mail.example.test", Port: 2525, From: "reaper@example.test", Username: "reaper",
					PasswordFile: "secrets/smtp", Password: "smtp-password", StartTLS: true},
			},
		},
		Pricing: Pricing{Currency: "USD", Bills: true, Refresh: Duration(24 * time.Hour), Legacy: true,
			Overrides: map[string]Override{"S9I": {All: ptr(250.0)}, "M6C": {All: ptr(99.5)}}},
		Metrics:  Metrics{Listen: "[::1]:9100"},
		Log:      Log{Level: "debug", Format: "json"},
		Approval: Approval{PlanTTL: Duration(24 * time.Hour)},
		Idle:     Idle{Budget: Budget{Calls: 2000}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
}

// TestParseErrorFixtures asserts the exact messages for each class of error. {dir} stands for the
// directory secret file paths resolve against.
func TestParseErrorFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown_keys.yaml", []string{
			`frobnicate: line 1: unknown key`,
			`dry-run: line 2: unknown key; did you mean "dry_run"?`,
			`zenlayer.endpont: line 4: unknown key; did you mean "endpoint"?`,
			`zenlayer.access_key_secret: line 5: unknown key: secrets cannot be written in the config; use access_key_secret_file or ZENLAYER_ACCESS_KEY_SECRET`,
			`zenlayer.token: line 6: unknown key: secrets cannot be written in the config; use token_file or ZENLAYER_TOKEN`,
			`notify.webhook_url: line 8: unknown key: secrets cannot be written in the config; use webhook_url_file`,
			`safety.protect.instance_id: line 11: unknown key; did you mean "instance_ids"?`,
		}},
		{"state.yaml", []string{
			`state.postgres.dsn: line 4: unknown key: secrets cannot be written in the config; use dsn_file (the connection string usually holds a password)`,
			`state.postgres.schemaa: line 6: unknown key; did you mean "schema"?`,
			`state.leader: line 8: unknown key`,
			`state.backend: must be one of bbolt, postgres, got "sqlite"`,
			`state.postgres.schema: must be lowercase letters, digits and _ (not first), at most 63, got "Reaper-Prod"`,
			`state.node_name: must not contain spaces at the ends or control characters, got " bastion "`,
		}},
		{"types.yaml", []string{
			`dry_run: line 1: must be true or false, got "yes"`,
			`zenlayer.requests_per_second: line 3: must be a number, got "fast"`,
			`scope.zones: line 5: must be a list, got a mapping`,
			`safety.max_terminations_per_run: line 7: must be an integer, got "ten"`,
			`safety.max_terminations_percent: line 8: must be a number, got a list`,
			`safety.allow_subscription_cancel: line 9: must be true or false, got 1`,
			`safety.protect.tags: line 11: must be a mapping, got a list`,
			`safety.protect.name_patterns[1]: line 12: must be a string, got a mapping`,
			`report.formats: line 14: must be a list, got "json"`,
			`report.keep: line 15: must be an integer, got 1.5`,
			`policies.params: line 17: must be a mapping, got a list`,
			`pricing.S9I: line 19: must be a number, got "cheap"`,
			`metrics: line 20: must be a mapping, got 9797`,
		}},
		{"durations.yaml", []string{
			`zenlayer.timeout: line 2: invalid duration "30": missing unit (use s, m, h, d or w, as in 30s, 24h, 7d)`,
			`cycle_timeout: line 4: invalid duration "100000000w": out of range`,
			`safety.grace_period: line 6: invalid duration "7x": unknown unit "x" (use ns, us, ms, s, m, h, d or w)`,
			`safety.commitment_retry_after: line 7: must be a duration such as 30s, 24h or 7d, got a list`,
			`schedule_jitter: must be >= 0, got -5m`,
		}},
		{"ranges.yaml", []string{
			`zenlayer.timeout: must be > 0, got 0s`,
			`zenlayer.requests_per_second: must be in (0, 1000], got 1001`,
			`scope.zones[1]: must not be empty`,
			`schedule: must not be empty`,
			`timezone: unknown time zone Mars/Olympus`,
			`safety.grace_period: must be >= 0, got -1h`,
			`safety.max_terminations_per_run: must be >= 1, got 0`,
			`safety.max_terminations_percent: must be in (0, 100], got 150`,
			`safety.max_fleet_drop_percent: must be in (0, 100], got 0`,
			`safety.commitment_retry_after: must be > 0, got 0s`,
			`safety.protect.instance_ids[0]: must not be empty`,
			`safety.protect.name_patterns[1]: invalid glob "[": syntax error in pattern`,
			`safety.protect.name_patterns[2]: must not be empty`,
			`safety.protect.tags[""]: tag key must not be empty`,
			`state_dir: must not be empty`,
			`report.formats[1]: must be one of json, csv, md, html, got "pdf"`,
			`report.formats[2]: duplicate format "json"`,
			`report.keep: must be >= 0, got -1`,
			`notify.format: must be one of generic, slack, got "teams"`,
			`pricing.S9I: must be a finite number >= 0, got -1`,
			`pricing["big.metal"]: must be a finite number >= 0, got NaN`,
			`metrics.listen: must be host:port or empty, got "9797": missing port in address`,
			`log.level: must be one of debug, info, warn, error, got "trace"`,
			`log.format: must be one of auto, text, json, got "xml"`,
		}},
		{"structure.yaml", []string{
			`zenlayer.timeout: line 3: duplicate key (first at line 2)`,
			`base: line 4: unknown key`,
			`log: line 7: merge keys (<<) are not supported`,
			`safety.protect.tags.a: line 12: duplicate key (first at line 11)`,
			`schedule: line 14: duplicate key (first at line 13)`,
			`(top level): line 15: keys must be strings, got a list`,
		}},
		{"syntax.yaml", []string{`parse config: yaml: line 1: did not find expected ',' or ']'`}},
		{"list.yaml", []string{`parse config: line 1: the top level must be a mapping of keys, got a list`}},
		{"two_documents.yaml", []string{`parse config: line 2: more than one YAML document`}},
		{"many.yaml", []string{
			`bogus: line 2: unknown key`,
			`zenlayer.timeout: line 6: invalid duration "soon": expected a number`,
			`zenlayer.access_key_secret_file: open {dir}/missing.secret: no such file or directory`,
			`zenlayer.endpoint: must be an absolute http or https URL, got "ftp://console.zenlayer.com"`,
			`safety.max_terminations_per_run: must be >= 1, got 0`,
			`safety.max_terminations_percent: must be in (0, 100], got 150`,
			`report.formats: must not be empty`,
			`log.level: must be one of debug, info, warn, error, got "loud"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := t.TempDir()
			got := parseErr(t, string(readFixture(t, "errors/"+tt.file)), nil, dir)
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = strings.ReplaceAll(w, "{dir}", dir)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseReportsEveryProblemAtOnce checks that decoding, secret and validation problems come
// back together, each as a *KeyError whose text starts with its key.
func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Parse(readFixture(t, "errors/many.yaml"), nil, t.TempDir())
	errs := joined(err)
	if got, want := len(errs), 8; got != want {
		t.Fatalf("got %d errors, want %d:\n%v", got, want, err)
	}
	wantKeys := []string{"bogus", "zenlayer.timeout", "zenlayer.access_key_secret_file", "zenlayer.endpoint",
		"safety.max_terminations_per_run", "safety.max_terminations_percent", "report.formats", "log.level"}
	for i, e := range errs {
		var ke *KeyError
		if !errors.As(e, &ke) {
			t.Errorf("error %d (%v) is a %T, want *KeyError", i, e, e)
			continue
		}
		if ke.Key != wantKeys[i] {
			t.Errorf("error %d: got key %q, want %q", i, ke.Key, wantKeys[i])
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false, want true for the missing secret file")
	}
}

func TestParseEmptyDocumentKeepsDefaults(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "",
		"comment only": "# nothing here\n",
		"bare marker":  "---\n",
		"null":         "~\n",
		"empty map":    "{}\n",
	} {
		t.Run(name, func(t *testing.T) {
			got := mustParse(t, text, nil, "")
			if diff := cmp.Diff(Default(), got); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNullKeepsDefault(t *testing.T) {
	got := mustParse(t, "dry_run:\nsafety:\n  grace_period:\n  protect:\n    tags:\nreport:\n  formats: ~\n", nil, "")
	if diff := cmp.Diff(Default(), got); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
}

func TestParsePartialSectionKeepsOtherDefaults(t *testing.T) {
	got := mustParse(t, "safety: { max_terminations_per_run: 3 }\n", nil, "")
	want := Default()
	want.Safety.MaxTerminationsPerRun = 3
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
}

func TestParseProtectTagsReplaceDefault(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
	}{
		{"explicit map replaces", "safety: { protect: { tags: { owner: sre } } }", map[string]string{"owner": "sre"}},
		{"empty map clears", "safety: { protect: { tags: {} } }", map[string]string{}},
		{"absent keeps default", "safety: { protect: {} }", map[string]string{"reaper-protect": "true"}},
		{"non-string values become strings", "safety: { protect: { tags: { keep: true, tier: 1 } } }",
			map[string]string{"keep": "true", "tier": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.text, nil, "").Safety.Protect.Tags
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tags mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseMode: mode takes the four values README, Modes lists, dry-run by default; the old key
// dry_run is its synonym (true: dry-run, false: enforce) and is folded into it.
func TestParseMode(t *testing.T) {
	tests := []struct{ text, want string }{
		{"", "dry-run"},
		{"mode: dry-run", "dry-run"},
		{"mode: mark", "mark"},
		{"mode: approve", "approve"},
		{"mode: enforce", "enforce"},
		{"mode: ~", "dry-run"},
		{"dry_run: true", "dry-run"},
		{"dry_run: false", "enforce"},
		{"dry_run: ~", "dry-run"},
		{"dry_run: ~\nmode: mark", "mark"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			c := mustParse(t, tt.text, nil, "")
			if c.Mode != tt.want || c.DryRun != nil {
				t.Errorf("got Mode=%q DryRun=%v, want %q and nil", c.Mode, c.DryRun, tt.want)
			}
		})
	}
}

// TestParseModeErrors: both keys at once, or a mode that is not one of the four, is an error
// naming the keys and the allowed values.
func TestParseModeErrors(t *testing.T) {
	both := "mode: dry_run and mode are both set; keep only mode (dry_run: true is mode: dry-run, dry_run: false is mode: enforce)"
	tests := []struct {
		text string
		want []string
	}{
		{"mode: enforce\ndry_run: false", []string{both}},
		{"dry_run: true\nmode: enforce", []string{both}},
		{"mode: dry-run\ndry_run: true", []string{both}}, // even when they agree
		{"mode: yolo", []string{`mode: must be one of dry-run, mark, approve, enforce, got "yolo"`}},
		{"mode: Enforce", []string{`mode: must be one of dry-run, mark, approve, enforce, got "Enforce"`}},
		{"mode: dry_run", []string{`mode: must be one of dry-run, mark, approve, enforce, got "dry_run"`}},
		{"mode: true", []string{`mode: must be one of dry-run, mark, approve, enforce, got "true"`}},
		{"mode: [mark]", []string{`mode: line 1: must be a string, got a list`}},
		{"dry_run: enforce", []string{`dry_run: line 1: must be true or false, got "enforce"`}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseErr(t, tt.text, nil, t.TempDir())); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseParams(t *testing.T) {
	t.Run("nested mapping", func(t *testing.T) {
		c := mustParse(t, "policies:\n  params:\n    failed: { after: 12h }\n", nil, "")
		want := map[string]any{"failed": map[string]any{"after": "12h"}}
		if diff := cmp.Diff(want, c.Policies.Params); diff != "" {
			t.Errorf("params mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("scalar keys become strings", func(t *testing.T) {
		c := mustParse(t, "policies:\n  params:\n    1: x\n    idle: { 2: y, true: z }\n", nil, "")
		want := map[string]any{"1": "x", "idle": map[string]any{"2": "y", "true": "z"}}
		if diff := cmp.Diff(want, c.Policies.Params); diff != "" {
			t.Errorf("params mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("colliding keys", func(t *testing.T) {
		got := parseErr(t, "policies:\n  params:\n    idle: { 1: x, '1': y }\n", nil, "")
		want := []string{`policies.params: line 3: mapping key "1" already defined at line 3`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("errors mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("list key", func(t *testing.T) {
		got := parseErr(t, "policies:\n  params:\n    idle: { [a]: x }\n", nil, "")
		want := []string{"policies.params: line 3: keys must be scalars"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("errors mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		want     []string // nil: valid
		warning  string
	}{
		{"https://console.zenlayer.com", nil, ""},
		{"http://127.0.0.1:8080", nil, ""},
		{"http://10.1.2.3", nil, `zenlayer.endpoint: "http://10.1.2.3" uses plain http to a host that is not loopback: requests are not encrypted`},
		{"ftp://console.zenlayer.com", []string{`zenlayer.endpoint: must be an absolute http or https URL, got "ftp://console.zenlayer.com"`}, ""},
		{"console.zenlayer.com", []string{`zenlayer.endpoint: must be an absolute http or https URL, got "console.zenlayer.com"`}, ""},
		{"https://", []string{`zenlayer.endpoint: must be an absolute http or https URL, got "https://"`}, ""},
		{"https://x.test/?a=1", []string{`zenlayer.endpoint: must not contain a query or fragment, got "https://x.test/?a=1"`}, ""},
		{"https://x.test/#top", []string{`zenlayer.endpoint: must not contain a query or fragment, got "https://x.test/#top"`}, ""},
		{"https://user:hunter2@x.test", []string{`zenlayer.endpoint: must not contain user credentials`}, ""},
		{"http://[::1", []string{`zenlayer.endpoint: invalid URL: missing ']' in host`}, ""},
		{"", []string{`zenlayer.endpoint: must not be empty`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			text := "zenlayer: { endpoint: '" + tt.endpoint + "' }"
			c, err := Parse([]byte(text), nil, "")
			if diff := cmp.Diff(tt.want, errLines(err)); diff != "" {
				t.Fatalf("errors mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			var want []string
			if tt.warning != "" {
				want = []string{tt.warning}
			}
			if diff := cmp.Diff(want, c.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadResolvesSecretsAgainstConfigDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "secrets/ak", "load-secret\n", 0o600)
	path := writeFile(t, dir, "reaper.yaml",
		"zenlayer: { access_key_id: AKIDload, access_key_secret_file: secrets/ak }\n", 0o644)

	c, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Zenlayer.AccessKeySecret.Reveal(), "load-secret"; got != want {
		t.Errorf("secret: got %q, want %q", got, want)
	}
	if got, want := c.Zenlayer.AccessKeySecretFile, "secrets/ak"; got != want {
		t.Errorf("secret file key keeps the value as written: got %q, want %q", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path, nil)
	if got, want := err.Error(), "read config: open "+path+": no such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false, want true")
	}
}

func TestRelativeDirsResolveAgainstConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reaper.yaml")
	data := "state_dir: state\nreport: {dir: out}\npolicies: {dir: ../rego}\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"state_dir":    filepath.Join(dir, "state"),
		"report.dir":   filepath.Join(dir, "out"),
		"policies.dir": filepath.Join(filepath.Dir(dir), "rego"),
	}
	got := map[string]string{"state_dir": c.StateDir, "report.dir": c.Report.Dir, "policies.dir": c.Policies.Dir}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	abs, err := Load(filepath.Join(dir, "reaper.yaml"), nil)
	if err != nil || abs.StateDir != want["state_dir"] {
		t.Fatalf("reload: %v %q", err, abs.StateDir)
	}
}
