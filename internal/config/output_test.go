package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactedRoundTrips(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "secrets/ak.secret", "s", 0o600)
	writeFile(t, dir, "secrets/webhook", "https://hooks.example.test/x", 0o600)
	writeFile(t, dir, "secrets/pg-dsn", "postgres://u:p@h/db", 0o600)
	c := mustParse(t, string(readFixture(t, "valid/full.yaml")), nil, dir)
	c.Notify.WebhookURLFile, c.Notify.WebhookURL = "", "" // no secret file to read back
	c.Zenlayer.AccessKeySecretFile, c.Zenlayer.AccessKeySecret = "", ""
	c.State.Backend, c.State.Postgres.DSNFile, c.State.Postgres.DSN = "bbolt", "", ""
	c.Pricing.Legacy = false // the old pricing form is written back in the new one
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(out, nil, dir)
	if err != nil {
		t.Fatalf("Parse(Redacted()): %v\n%s", err, out)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestRedactedShowsSecretsAsRedacted(t *testing.T) {
	c := Default()
	c.Zenlayer.AccessKeyID, c.Zenlayer.AccessKeySecret = "AKID", "xyz-secret"
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  access_key_id: AKID\n", "  access_key_secret: '[redacted]'\n", "  timeout: 30s\n",
		"  commitment_retry_after: 168h\n", "schedule: '*/30 * * * *'\n", "dry_run: true\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Redacted() lacks %q:\n%s", want, out)
		}
	}
	for _, absent := range []string{"xyz-secret", "token:", "webhook_url:", "warnings", "dry_run_explicit"} {
		if strings.Contains(string(out), absent) {
			t.Errorf("Redacted() contains %q:\n%s", absent, out)
		}
	}
}

func TestDigest(t *testing.T) {
	a, b := Default(), Default()
	if a.Digest() != b.Digest() {
		t.Fatalf("equal configs have different digests")
	}
	if got := a.Digest(); !strings.HasPrefix(got, "sha256:") || len(got) != len("sha256:")+64 {
		t.Errorf("Digest() = %q, want sha256: and 64 hex digits", got)
	}
	b.Safety.MaxTerminationsPerRun = 11
	if a.Digest() == b.Digest() {
		t.Errorf("a changed value does not change the digest")
	}
	a.Zenlayer.Token, b = "one", Default()
	b.Zenlayer.Token = "two"
	if a.Digest() != b.Digest() {
		t.Errorf("the digest depends on a secret's value")
	}
	if a.Digest() == Default().Digest() {
		t.Errorf("the digest does not show that a secret is set")
	}
}

func TestReportDir(t *testing.T) {
	c := Default()
	if got, want := c.ReportDir(), "/var/lib/reaper/reports"; got != want {
		t.Errorf("default: got %q, want %q", got, want)
	}
	c.StateDir = "state"
	if got, want := c.ReportDir(), "state/reports"; got != want {
		t.Errorf("relative state_dir: got %q, want %q", got, want)
	}
	c.Report.Dir = "/srv/reports"
	if got, want := c.ReportDir(), "/srv/reports"; got != want {
		t.Errorf("report.dir: got %q, want %q", got, want)
	}
}
