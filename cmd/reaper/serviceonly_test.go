package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeServiceConfig writes a config whose secrets are systemd credentials, as the shipped unit
// has them, with the state and reports in a temporary directory.
func writeServiceConfig(t *testing.T, secretFile string) string {
	t.Helper()
	dir := t.TempDir()
	body := "zenlayer:\n  endpoint: http://127.0.0.1:1\n  access_key_id: AKID\n" +
		"  access_key_secret_file: " + secretFile + "\n" +
		"notify: {webhook_url_file: '${CREDENTIALS_DIRECTORY}/webhook'}\n" +
		"state_dir: state\nreport: {dir: reports}\nmetrics: {listen: \"\"}\nlog: {format: json}\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestValidateFromAShell: validate with ${CREDENTIALS_DIRECTORY} in the secret paths and the
// variable unset warns that those secrets are checked only inside the service and exits 0.
func TestValidateFromAShell(t *testing.T) {
	path := writeServiceConfig(t, "'${CREDENTIALS_DIRECTORY}/zenlayer-secret'")
	r := reaper(t, "validate", "--config", path)
	if r.code != exitOK {
		t.Fatalf("code %d, stdout %q, stderr %q; want 0", r.code, r.stdout, r.stderr)
	}
	for _, key := range []string{"zenlayer.access_key_secret_file", "notify.webhook_url_file"} {
		want := "warning: " + key + ": checked only inside the service"
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout %q lacks %q", r.stdout, want)
		}
	}
}

// TestValidateInsideTheService: with the variable set, the secrets are read and checked.
func TestValidateInsideTheService(t *testing.T) {
	path := writeServiceConfig(t, "'${CREDENTIALS_DIRECTORY}/zenlayer-secret'")
	creds := t.TempDir() // holds neither file
	r := reaperEnv(t, t.Context(), map[string]string{"CREDENTIALS_DIRECTORY": creds}, "validate", "--config", path)
	if r.code != exitFailure || !strings.Contains(r.stderr, "zenlayer.access_key_secret_file: open "+creds) {
		t.Fatalf("code %d, stderr %q; want 1 naming the missing secret", r.code, r.stderr)
	}
}

// TestCommandsWithoutSecretsNeverFailOnOne: report, state and policy eval read no secret, so
// neither an unset ${CREDENTIALS_DIRECTORY} nor an unreadable secret file fails them; the
// commands that call the API still refuse to start without their secret, naming it.
func TestCommandsWithoutSecretsNeverFailOnOne(t *testing.T) {
	instance := filepath.Join(t.TempDir(), "instance.json")
	if err := os.WriteFile(instance, []byte(`{"id":"i-1","name":"a","status":"RUNNING","created_at":"2026-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"unset credentials directory": "'${CREDENTIALS_DIRECTORY}/zenlayer-secret'",
		"missing secret file":         "/nonexistent/zenlayer-secret",
	}
	for name, secret := range secrets {
		path := writeServiceConfig(t, secret)
		for _, args := range [][]string{
			{"report", "list"},
			{"state", "check"},
			{"policy", "eval", "--instance", instance},
		} {
			t.Run(name+"/"+strings.Join(args, " "), func(t *testing.T) {
				r := reaper(t, append(args, "--config", path)...)
				if r.code != exitOK || r.stderr != "" {
					t.Fatalf("code %d, stderr %q; the command failed on a secret it does not need", r.code, r.stderr)
				}
			})
		}
		for _, cmd := range []string{"plan", "inventory"} {
			t.Run(name+"/"+cmd, func(t *testing.T) {
				r := reaper(t, cmd, "--config", path)
				if r.code != exitFailure || !strings.Contains(r.stderr, "zenlayer.access_key_secret_file") {
					t.Fatalf("code %d, stderr %q; want 1 naming zenlayer.access_key_secret_file", r.code, r.stderr)
				}
			})
		}
	}
}

// TestActingCommandsNeedTheSecret: run --once and the daemon never start without the secret, in
// a shell (the variable unset) or inside the service (the file missing). The context only bounds a
// daemon that wrongly started; a correct one exits at once.
func TestActingCommandsNeedTheSecret(t *testing.T) {
	for name, secret := range map[string]string{
		"unset credentials directory": "'${CREDENTIALS_DIRECTORY}/zenlayer-secret'",
		"missing secret file":         "/nonexistent/zenlayer-secret",
	} {
		path := writeServiceConfig(t, secret)
		for _, args := range [][]string{{"run", "--once"}, {"run"}} {
			t.Run(name+"/"+strings.Join(args, " "), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				r := reaperEnv(t, ctx, map[string]string{}, append(args, "--config", path)...)
				if r.code != exitFailure || !strings.Contains(r.stderr, "zenlayer.access_key_secret_file") || ctx.Err() != nil {
					t.Fatalf("code %d, stderr %q; want 1 at once naming zenlayer.access_key_secret_file", r.code, r.stderr)
				}
			})
		}
	}
}
