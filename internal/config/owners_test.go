package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOwnersErrors: every problem of a notify.owners block at once, each naming its key; the
// content of a secret file never appears.
func TestOwnersErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "secrets/hook", "https://hooks.example.test/OWNER-SECRET", 0o600)
	writeFile(t, dir, "secrets/not-a-url", "OWNER-SECRET-not-a-url", 0o600)
	want := []string{
		`notify.owners.bogus: line 5: unknown key`,
		`notify.owners.smtp.password: line 13: unknown key`,
		`notify.owners.tag: must not be empty (the default is owner)`,
		`notify.owners.remind_before: must be > 0, got 0s`,
		`notify.owners.routes[0].match: must not be empty (use "*" for every owner)`,
		`notify.owners.routes[1].match: invalid glob "[": syntax error in pattern`,
		`notify.owners.routes[1].format: applies only to webhooks; an e-mail route has no format`,
		`notify.owners.routes[2]: set either email: true or webhook_url_file, not both`,
		`notify.owners.routes[3]: needs webhook_url_file or email: true`,
		`notify.owners.routes[4].format: must be one of generic, slack, got "teams"`,
		`notify.owners.routes[5].webhook_url_file: the file does not hold an absolute http or https URL`,
		`notify.owners.smtp.host: must not be empty when a route has email: true`,
		`notify.owners.smtp.port: must be from 1 to 65535, got 70000`,
		`notify.owners.smtp.from: must be a plain e-mail address (name@example.com), got "Reaper <r@example.test>"`,
		`notify.owners.smtp.password_file: must be set when username is set`,
		`notify.owners.smtp.starttls: must be true when username is set: the password never crosses the network in the clear`,
	}
	got := parseErr(t, string(readFixture(t, "errors/owners.yaml")), nil, dir)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	if all := strings.Join(got, "\n"); strings.Contains(all, "OWNER-SECRET") || strings.Contains(all, "hunter2") {
		t.Errorf("an error shows a secret:\n%s", all)
	}
}

func TestOwnersDefaultsAndRoute(t *testing.T) {
	c := mustParse(t, `notify:
  webhook_url_file: ""
  owners:
    routes:
      - { match: "Team-*", email: true }
      - { match: "*@example.test", email: true }
    smtp: { host: mail.example.test, from: reaper@example.test }
`, nil, t.TempDir())
	o := c.Notify.Owners
	if o.Tag != "owner" || o.RemindBefore.String() != "24h" || o.SMTP.Port != 587 || !o.SMTP.StartTLS || !o.Enabled() {
		t.Errorf("defaults: got %+v", o)
	}
	if got, want := c.Warnings, []string{"notify.owners: owners no route matches go to the operator channel, and notify.webhook_url_file is not set: their notices are not sent"}; !cmp.Equal(got, want) {
		t.Errorf("warnings: got %q, want %q", got, want)
	}
	tests := []struct {
		owner string
		want  string // the route's match, "" for the operator channel
	}{
		{"team-a", "Team-*"}, // case-insensitive
		{"TEAM-B", "Team-*"},
		{"team-x@example.test", "Team-*"}, // first match wins
		{"bob@example.test", "*@example.test"},
		{"bob@elsewhere.test", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := ""
		if i := o.Route(tt.owner); i >= 0 {
			got = o.Routes[i].Match
		}
		if got != tt.want {
			t.Errorf("Route(%q) = %q, want %q", tt.owner, got, tt.want)
		}
	}
	if Default().Notify.Owners.Enabled() {
		t.Errorf("owner notices are on by default")
	}
}
