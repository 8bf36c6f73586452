package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookSecretsNeverShown runs a cycle whose webhook URL carries user:pass@ and query
// secrets against a webhook that fails and echoes them back, then validates the config, and checks
// that no secret value reaches stdout, stderr (text and JSON logs) or a report file.
func TestWebhookSecretsNeverShown(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		user, pass, _ := r.BasicAuth()
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, "denied %s:%s key=%s token=%s url=%s", user, pass,
			r.URL.Query().Get("key"), r.URL.Query().Get("token"), r.URL.String())
	}))
	t.Cleanup(hook.Close)
	secrets := []string{"hookuser", "HookPass77", "KeyValue55", "TokenValue66", "hooks-path-4711"}
	webhook := strings.Replace(hook.URL, "http://", "http://hookuser:HookPass77@", 1) +
		"/hooks-path-4711?key=KeyValue55&token=TokenValue66"

	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			_, url := startSim(t, fleetN(2, expiredInstance))
			path, dir := writeConfig(t, url, testSecret, "notify: {webhook_url_file: webhook}\n")
			os.WriteFile(filepath.Join(dir, "webhook"), []byte(webhook+"\n"), 0o600)
			cfg := strings.Replace(string(mustRead(t, path)), "log: {format: json", "log: {format: "+format, 1)
			os.WriteFile(path, []byte(cfg), 0o600)

			shown := map[string]string{}
			r := reaper(t, "run", "--once", "--config", path)
			if !strings.Contains(r.stderr, "notification not delivered") {
				t.Fatalf("the failing webhook was not logged (exit %d):\n%s", r.code, r.stderr)
			}
			shown["run stdout"], shown["run stderr"] = r.stdout, r.stderr
			v := reaper(t, "validate", "--config", path)
			shown["validate stdout"], shown["validate stderr"] = v.stdout, v.stderr
			filepath.WalkDir(filepath.Join(dir, "reports"), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					shown[p] = string(mustRead(t, p))
				}
				return nil
			})
			for what, text := range shown {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%s shows %q:\n%s", what, s, text)
					}
				}
			}
		})
	}
}
