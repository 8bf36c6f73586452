package config

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServiceOnlySecrets: a secret file under ${CREDENTIALS_DIRECTORY} read from a shell where the
// variable is unset is not an error when loading; it is a warning, counts as present for
// CheckCredentials, and fails ValidateCredentials (commands that call the API need it).
func TestServiceOnlySecrets(t *testing.T) {
	tests := []struct {
		name, yaml string
		keys       []string
	}{
		{"token", "zenlayer: { token_file: '${CREDENTIALS_DIRECTORY}/token' }", []string{"zenlayer.token_file"}},
		{"access key", "zenlayer: { access_key_id: AKID, access_key_secret_file: '${CREDENTIALS_DIRECTORY}/s' }",
			[]string{"zenlayer.access_key_secret_file"}},
		{"token and webhook", "zenlayer: { token_file: '${CREDENTIALS_DIRECTORY}/t' }\n" +
			"notify: { webhook_url_file: '${CREDENTIALS_DIRECTORY}/hook' }",
			[]string{"zenlayer.token_file", "notify.webhook_url_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.yaml, nil, t.TempDir())
			if diff := cmp.Diff(tt.keys, c.ServiceOnly); diff != "" {
				t.Errorf("ServiceOnly (-want +got):\n%s", diff)
			}
			for _, k := range tt.keys {
				if !slices.Contains(c.Warnings, serviceOnlyWarning(k)) {
					t.Errorf("warnings %q lack the one for %s", c.Warnings, k)
				}
			}
			if err := c.CheckCredentials(); err != nil {
				t.Errorf("CheckCredentials: %v, want nil", err)
			}
			want := tt.keys[0] + ": ${CREDENTIALS_DIRECTORY} is not set (systemd sets it for units with LoadCredential=)"
			if err := c.ValidateCredentials(); err == nil || err.Error() != want {
				t.Errorf("ValidateCredentials: %v, want %q", err, want)
			}
		})
	}
}

// TestServiceOnlyStillChecksTheRest: a deferred secret does not hide an incomplete set.
func TestServiceOnlyStillChecksTheRest(t *testing.T) {
	c := mustParse(t, "zenlayer: { access_key_secret_file: '${CREDENTIALS_DIRECTORY}/s' }", nil, t.TempDir())
	if err := c.CheckCredentials(); err == nil {
		t.Fatal("CheckCredentials: nil for a secret without access_key_id, want an error")
	}
}

func TestServiceOnlyWarningText(t *testing.T) {
	got := serviceOnlyWarning("zenlayer.token_file")
	want := "zenlayer.token_file: checked only inside the service (${CREDENTIALS_DIRECTORY} is not set here; systemd sets it for units with LoadCredential=)"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
