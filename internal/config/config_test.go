package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

const examplePath = "../../config.example.yaml"

// TestDefaultMatchesDesign pins the defaults that README, Configuration lists, and the keys added since.
func TestDefaultMatchesDesign(t *testing.T) {
	c := Default()
	tests := []struct {
		key       string
		got, want any
	}{
		{"zenlayer.endpoint", c.Zenlayer.Endpoint, "https://console.zenlayer.com"},
		{"zenlayer.timeout", c.Zenlayer.Timeout.D(), 30 * time.Second},
		{"zenlayer.requests_per_second", c.Zenlayer.RequestsPerSecond, 10.0},
		{"schedule", c.Schedule, "*/30 * * * *"},
		{"schedule_jitter", c.ScheduleJitter.D(), time.Duration(0)},
		{"cycle_timeout", c.CycleTimeout.D(), time.Duration(0)},
		{"timezone", c.Timezone, "UTC"},
		{"mode", c.Mode, "dry-run"},
		{"dry_run (folded into mode)", c.DryRun, (*bool)(nil)},
		{"safety.grace_period", c.Safety.GracePeriod.D(), 24 * time.Hour},
		{"safety.max_terminations_per_run", c.Safety.MaxTerminationsPerRun, 10},
		{"safety.max_terminations_percent", c.Safety.MaxTerminationsPercent, 10.0},
		{"safety.max_fleet_drop_percent", c.Safety.MaxFleetDropPercent, 50.0},
		{"safety.allow_subscription_cancel", c.Safety.AllowSubscriptionCancel, false},
		{"safety.commitment_retry_after", c.Safety.CommitmentRetryAfter.D(), 168 * time.Hour},
		{"safety.unconfirmed_retry_after", c.Safety.UnconfirmedRetryAfter.D(), 6 * time.Hour},
		{"safety.protect.tags", c.Safety.Protect.Tags, map[string]string{"reaper-protect": "true"}},
		{"state_dir", c.StateDir, "/var/lib/reaper"},
		{"report.dir", c.Report.Dir, ""},
		{"report.formats", c.Report.Formats, []string{"json", "html"}},
		{"report.keep", c.Report.Keep, 200},
		{"notify.format", c.Notify.Format, "generic"},
		{"metrics.listen", c.Metrics.Listen, "127.0.0.1:9797"},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "auto"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.key, diff)
		}
	}
}

// TestExampleConfig checks that config.example.yaml loads, documents exactly the defaults, and
// mentions every key of the schema.
func TestExampleConfig(t *testing.T) {
	c, err := Load(examplePath, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePath, err)
	}
	want := Default()
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("the example does not show the defaults (-default +example):\n%s", diff)
	}
	if err := c.ValidateCredentials(); err == nil {
		t.Errorf("ValidateCredentials: got nil, want the no-credentials error for the example as shipped")
	}

	c, err = Load(examplePath, envMap(map[string]string{EnvAccessKeyID: "AKID", EnvAccessKeySecret: "s3cret"}))
	if err != nil {
		t.Fatalf("Load with env credentials: %v", err)
	}
	if err := c.ValidateCredentials(); err != nil {
		t.Errorf("ValidateCredentials with env credentials: %v", err)
	}

	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	collectKeys("", doc.Content[0], have)
	keys := schemaKeys("", reflect.TypeFor[Config]())
	for _, key := range []string{"safety.protect.tags", "notify.format", "report.keep", "cycle_timeout"} {
		if !slices.Contains(keys, key) {
			t.Fatalf("schemaKeys lacks %s; the check below would prove nothing", key)
		}
	}
	for _, key := range keys {
		if key == "dry_run" { // the old spelling of mode: the example names it in a comment, since both keys are an error
			continue
		}
		if !have[key] {
			t.Errorf("config.example.yaml does not show key %s", key)
		}
	}
}

// TestExampleConfigWithCredentialsDirectory loads the example with the secret key pointed at a
// systemd credential, as a deployment would.
func TestExampleConfigWithCredentialsDirectory(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), `access_key_secret_file: ""`,
		`access_key_secret_file: ${CREDENTIALS_DIRECTORY}/zenlayer-secret`, 1)
	text = strings.Replace(text, `access_key_id: ""`, `access_key_id: AKIDexample`, 1)
	creds := t.TempDir()
	writeFile(t, creds, "zenlayer-secret", "from-credential\n", 0o400)
	c := mustParse(t, text, envMap(map[string]string{EnvCredentialsDirectory: creds}), t.TempDir())
	if err := c.ValidateCredentials(); err != nil {
		t.Errorf("ValidateCredentials: %v", err)
	}
	if got, want := c.Zenlayer.AccessKeySecret.Reveal(), "from-credential"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// schemaKeys lists the key paths of t's fields, descending into structs (not into maps).
func schemaKeys(path string, t reflect.Type) []string {
	var keys []string
	fields := structFields(t)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := t.Field(fields[name])
		key := child(path, name)
		keys = append(keys, key)
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, schemaKeys(key, f.Type)...)
		}
	}
	return keys
}

// collectKeys records the key paths of every mapping under n.
func collectKeys(path string, n *yaml.Node, have map[string]bool) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := child(path, n.Content[i].Value)
		have[key] = true
		collectKeys(key, n.Content[i+1], have)
	}
}
