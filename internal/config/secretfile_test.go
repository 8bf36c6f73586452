package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvFillsOnlyWhatTheFileLeftEmpty(t *testing.T) {
	env := envMap(map[string]string{
		EnvAccessKeyID:     " AKIDenv\n",
		EnvAccessKeySecret: "env-secret\n",
		EnvToken:           "env-token",
	})
	type creds struct{ ID, Secret, Token string }
	tests := []struct {
		name, text string
		want       creds
	}{
		{"file sets nothing", "", creds{"AKIDenv", "env-secret", "env-token"}},
		{"file sets everything", "zenlayer: { access_key_id: AKIDfile, access_key_secret_file: ak, token_file: tok }",
			creds{"AKIDfile", "file-secret", "file-token"}},
		{"file sets the ID only", "zenlayer: { access_key_id: AKIDfile }", creds{"AKIDfile", "env-secret", "env-token"}},
		{"file sets the secret file only", "zenlayer: { access_key_secret_file: ak }", creds{"AKIDenv", "file-secret", "env-token"}},
		{"empty string counts as empty", `zenlayer: { access_key_id: "", token_file: "" }`, creds{"AKIDenv", "env-secret", "env-token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "ak", "file-secret", 0o600)
			writeFile(t, dir, "tok", "file-token", 0o600)
			z := mustParse(t, tt.text, env, dir).Zenlayer
			got := creds{z.AccessKeyID, z.AccessKeySecret.Reveal(), z.Token.Reveal()}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSecretFilesAreTrimmed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ak", "  \tak-secret-value \r\n\n", 0o600)
	writeFile(t, dir, "tok", "\ntoken-value\n", 0o400)
	writeFile(t, dir, "hook", "https://hooks.example.test/x\n", 0o600)
	c := mustParse(t, "zenlayer: { access_key_secret_file: ak, token_file: tok }\nnotify: { webhook_url_file: hook }\n", nil, dir)
	got := []string{c.Zenlayer.AccessKeySecret.Reveal(), c.Zenlayer.Token.Reveal(), c.Notify.WebhookURL.Reveal()}
	want := []string{"ak-secret-value", "token-value", "https://hooks.example.test/x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets mismatch (-want +got):\n%s", diff)
	}
}

func TestSecretFileErrors(t *testing.T) {
	const pasted = "Zx9QpL2mN8vB4cR7tY1wK5" // a secret pasted where a file name belongs
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		value string
		want  string // {dir} is the base directory
	}{
		{"missing", nil, "nope.secret",
			"zenlayer.token_file: open {dir}/nope.secret: no such file or directory"},
		{"empty after trimming", func(t *testing.T, dir string) { writeFile(t, dir, "blank", " \n\t\n", 0o600) }, "blank",
			"zenlayer.token_file: {dir}/blank is empty"},
		{"directory", func(t *testing.T, dir string) { writeFile(t, dir, "sub/x", "x", 0o600) }, "sub",
			"zenlayer.token_file: {dir}/sub is a directory"},
		{"too large", func(t *testing.T, dir string) {
			writeFile(t, dir, "big", strings.Repeat("x", maxSecretSize+1), 0o600)
		}, "big", "zenlayer.token_file: {dir}/big is larger than 64 KiB"},
		{"readable by others", func(t *testing.T, dir string) { writeFile(t, dir, "tok", "t", 0o644) }, "tok",
			"zenlayer.token_file: refusing {dir}/tok: it is readable by others (mode 0644); chmod 600 it"},
		{"readable by others only", func(t *testing.T, dir string) { writeFile(t, dir, "tok", "t", 0o604) }, "tok",
			"zenlayer.token_file: refusing {dir}/tok: it is readable by others (mode 0604); chmod 600 it"},
		{"pasted secret is not shown", nil, pasted,
			"zenlayer.token_file: cannot open the file: no such file or directory (the value is not shown: it does not look like a path and may be the secret itself)"},
		{"other variables are not expanded", nil, "$HOME/token",
			"zenlayer.token_file: open {dir}/$HOME/token: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			got := parseErr(t, "zenlayer: { token_file: '"+tt.value+"' }", nil, dir)
			want := []string{strings.ReplaceAll(tt.want, "{dir}", dir)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretFileMissingIsNotExist(t *testing.T) {
	for _, value := range []string{"nope.secret", "Zx9QpL2mN8vB4cR7tY1wK5"} {
		_, err := Parse([]byte("zenlayer: { access_key_secret_file: "+value+" }"), nil, t.TempDir())
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: errors.Is(err, fs.ErrNotExist) = false, want true (err: %v)", value, err)
		}
	}
}

func TestSecretFileModes(t *testing.T) {
	tests := []struct {
		mode fs.FileMode
		want []string // warnings; {dir} is the base directory
	}{
		{0o600, nil},
		{0o400, nil},
		{0o640, []string{"notify.webhook_url_file: {dir}/hook is readable by its group (mode 0640)"}},
		{0o440, []string{"notify.webhook_url_file: {dir}/hook is readable by its group (mode 0440)"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "hook", "https://hooks.example.test/x", tt.mode)
			c := mustParse(t, "notify: { webhook_url_file: hook }", nil, dir)
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "{dir}", dir))
			}
			if diff := cmp.Diff(want, c.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
			if c.Notify.WebhookURL.Reveal() == "" {
				t.Errorf("webhook URL not loaded from a file with mode %v", tt.mode)
			}
		})
	}
}

func TestCredentialsDirectory(t *testing.T) {
	creds := t.TempDir()
	writeFile(t, creds, "zenlayer-secret", "from-systemd\n", 0o400)
	env := envMap(map[string]string{EnvCredentialsDirectory: creds, EnvAccessKeySecret: "from-env"})

	// The base directory must not matter: the expanded path is absolute.
	c := mustParse(t, "zenlayer:\n  access_key_id: AKID\n  access_key_secret_file: ${CREDENTIALS_DIRECTORY}/zenlayer-secret\n",
		env, filepath.Join(t.TempDir(), "elsewhere"))
	if got, want := c.Zenlayer.AccessKeySecret.Reveal(), "from-systemd"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := c.Zenlayer.AccessKeySecretFile, "${CREDENTIALS_DIRECTORY}/zenlayer-secret"; got != want {
		t.Errorf("the key keeps the value as written: got %q, want %q", got, want)
	}
}
