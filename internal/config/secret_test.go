package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretForms(t *testing.T) {
	s := Secret("hunter2")
	tests := []struct {
		name, got, want string
	}{
		{"String", s.String(), "[redacted]"},
		{"GoString", s.GoString(), `"[redacted]"`},
		{"Reveal", s.Reveal(), "hunter2"},
		{"LogValue", s.LogValue().String(), "[redacted]"},
		{"empty String", Secret("").String(), ""},
		{"empty GoString", Secret("").GoString(), `""`},
		{"empty LogValue", Secret("").LogValue().String(), ""},
		{"fmt %v", fmt.Sprintf("%v", s), "[redacted]"},
		{"fmt %#v", fmt.Sprintf("%#v", s), `"[redacted]"`},
		{"fmt %q", fmt.Sprintf("%q", s), `"[redacted]"`},
		{"fmt %12s", fmt.Sprintf("%12s", s), "  [redacted]"},
		{"fmt %d", fmt.Sprintf("%d", s), "%!d(config.Secret=[redacted])"},
		{"fmt %v empty", fmt.Sprintf("[%v]", Secret("")), "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	text, err := s.MarshalText()
	if err != nil || string(text) != "[redacted]" {
		t.Errorf("MarshalText: got %q, %v; want [redacted]", text, err)
	}
	j, err := json.Marshal(map[string]Secret{"a": s, "b": ""})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(j), `{"a":"[redacted]","b":""}`; got != want {
		t.Errorf("JSON: got %s, want %s", got, want)
	}
}

// TestSecretsNeverPrinted loads all three secrets and greps every way a config or an error is
// commonly printed for the secret values.
func TestSecretsNeverPrinted(t *testing.T) {
	const (
		akSecret = "AK-SECRET-5f1d9c"
		token    = "TOKEN-SECRET-77ab20"
		webhook  = "https://hooks.example.test/WEBHOOK-SECRET-0c3e"
	)
	secrets := []string{akSecret, token, webhook}

	dir := t.TempDir()
	writeFile(t, dir, "ak", akSecret+"\n", 0o600)
	writeFile(t, dir, "hook", webhook, 0o640)
	env := envMap(map[string]string{EnvToken: token})
	c := mustParse(t, "zenlayer: { access_key_id: AKID, access_key_secret_file: ak }\nnotify: { webhook_url_file: hook }\n", env, dir)
	if c.Zenlayer.AccessKeySecret.Reveal() != akSecret || c.Zenlayer.Token.Reveal() != token || c.Notify.WebhookURL.Reveal() != webhook {
		t.Fatalf("secrets not loaded; the test would prove nothing")
	}

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		outputs["fmt "+verb+" config"] = fmt.Sprintf(verb, c)
		outputs["fmt "+verb+" *config"] = fmt.Sprintf(verb, *c)
		outputs["fmt "+verb+" zenlayer"] = fmt.Sprintf(verb, c.Zenlayer)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outputs["fmt "+verb+" secret"] = fmt.Sprintf(verb, c.Zenlayer.Token)
	}

	var text, js bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&text, nil), slog.NewJSONHandler(&js, nil)} {
		log := slog.New(h)
		log.Info("config loaded", "config", c, "zenlayer", c.Zenlayer, "token", c.Zenlayer.Token)
		log.Info("config loaded", slog.Any("notify", c.Notify), slog.Group("g", "secret", c.Zenlayer.AccessKeySecret))
	}
	outputs["slog text"], outputs["slog json"] = text.String(), js.String()

	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(j)
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(y)
	red, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	outputs["Redacted"] = string(red)
	outputs["Digest"] = c.Digest()
	outputs["Warnings"] = strings.Join(c.Warnings, "\n")

	// Errors while the secrets are loaded, including an inline secret and a URL problem.
	writeFile(t, dir, "badhook", "not a url "+webhook, 0o600)
	_, err = Parse([]byte("zenlayer:\n  access_key_secret_file: ak\n  access_key_secret: "+akSecret+
		"\n  token: "+token+"\nnotify: { webhook_url_file: badhook }\nlog: { level: loud }\n"), env, dir)
	if err == nil {
		t.Fatal("Parse: got no error, want several")
	}
	outputs["Parse error"] = err.Error()
	outputs["Parse error %+v"] = fmt.Sprintf("%+v", err)
	// A secret pasted into a *_file key.
	_, err = Parse([]byte("zenlayer: { token_file: "+token+" }"), nil, dir)
	outputs["pasted secret error"] = fmt.Sprint(err)
	if !strings.Contains(outputs["pasted secret error"], "the value is not shown") {
		t.Errorf("pasted secret error: got %v, want the value-not-shown message", err)
	}

	var forms []string // each secret as is and in hex
	for _, s := range secrets {
		forms = append(forms, s, hex.EncodeToString([]byte(s)))
	}
	for name, out := range outputs {
		for _, form := range forms {
			if strings.Contains(strings.ToLower(out), strings.ToLower(form)) {
				t.Errorf("%s leaks a secret (%q):\n%s", name, form, out)
			}
		}
	}
	for _, name := range []string{"fmt %v config", "fmt %+v zenlayer", "fmt %#v config", "slog text", "slog json", "json", "yaml", "Redacted"} {
		if !strings.Contains(outputs[name], "[redacted]") {
			t.Errorf("%s does not show [redacted]:\n%s", name, outputs[name])
		}
	}
}
