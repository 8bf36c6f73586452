package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// Distinctive secrets: any of them (or an encoding of it) found in an output is a leak.
const (
	secKeySecret = "sec-KEYSECRET-7f1e2d3c4b5a6978"
	secToken     = "tok-BEARERTOKEN-0a1b2c3d4e5f6071"
	secHookPath  = "WHK-PATHSECRET-5e4d3c2b1a09"
	secHookQuery = "WHK-QUERYSECRET-99887766aa"
	secKeyID     = "AK-SECURITY-TEST"
)

// secCred is one way of authenticating: an access key pair or a bearer token.
type secCred struct {
	name  string
	file  string // the secret file's name beside the config
	yaml  string // the zenlayer keys naming it
	value string // the secret itself
}

var secCreds = []secCred{
	{"access key", "secret", "  access_key_id: " + secKeyID + "\n  access_key_secret_file: secret\n", secKeySecret},
	{"token", "token", "  token_file: token\n", secToken},
}

// startSecSim serves fleet on loopback, accepting both credentials of secCreds.
func startSecSim(t *testing.T, fleet []zensim.FleetInstance) (*zensim.Server, string) {
	t.Helper()
	sim := zensim.New(zensim.Options{Keys: map[string]string{secKeyID: secKeySecret}, Tokens: []string{secToken}, Seed: 3})
	if err := sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// hookReceiver is the webhook: it accepts posts to its secret path, answering 200 and 400 in
// turn; the 400 echoes the whole URL it was called on, as a careless receiver might, so the
// notifier's error path sees the secret too.
type hookReceiver struct {
	url      string
	mu       sync.Mutex
	accepted int
	refused  int
}

func startHook(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path != "/hooks/"+secHookPath || r.URL.Query().Get("sig") != secHookQuery {
			t.Errorf("webhook called on %q", r.URL)
			http.NotFound(w, r)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if (h.accepted+h.refused)%2 == 0 {
			h.accepted++
			return
		}
		h.refused++
		http.Error(w, "bad request to "+r.URL.String()+" from "+r.Header.Get("User-Agent"), http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/hooks/" + secHookPath + "?sig=" + secHookQuery
	return h
}

func (h *hookReceiver) counts() (accepted, refused int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted, h.refused
}

// writeSecConfig writes a config using cred, the webhook and the log format, with acting
// enabled, every report format, and metrics on metricsAddr (only the daemon serves them).
func writeSecConfig(t *testing.T, dir, simURL string, cred secCred, hookURL, logFormat, metricsAddr string) string {
	t.Helper()
	files := map[string]string{cred.file: cred.value + "\n", "webhook": hookURL + "\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	body := "zenlayer:\n  endpoint: " + simURL + "\n" + cred.yaml + "  requests_per_second: 1000\n" +
		"state_dir: state\nreport: {dir: reports, formats: [json, csv, md, html]}\n" +
		"log: {level: debug, format: " + logFormat + "}\n" +
		"notify: {webhook_url_file: webhook}\n" +
		"dry_run: false\nschedule: \"@every 1s\"\ncycle_timeout: 30s\n" +
		"safety: {grace_period: 0s, max_terminations_percent: 100}\n" +
		fmt.Sprintf("metrics: {listen: %q}\n", metricsAddr)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runSec runs Main with an empty environment; tty makes the logger believe stderr is a terminal.
func runSec(t *testing.T, ctx context.Context, tty bool, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	code := Main(ctx, Env{
		Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }, IsTTY: func() bool { return tty },
	})
	return result{code, out.String(), errOut.String()}
}

// artifacts collects every output of a session by name, to search for secrets at the end.
type artifacts map[string][]byte

func (a artifacts) addResult(name string, r result) {
	a[name+" stdout"] = []byte(r.stdout)
	a[name+" stderr"] = []byte(r.stderr)
}

// addTree adds every regular file under root (state.db included, read as bytes).
func (a artifacts) addTree(t *testing.T, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		a[path] = b
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", root, err)
	}
	return n
}

// forbidden lists the texts that must appear nowhere: each secret, its common encodings, and the
// webhook URL with and without its query.
func forbidden(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		out = append(out, s, base64.StdEncoding.EncodeToString([]byte(s)), base64.URLEncoding.EncodeToString([]byte(s)),
			hex.EncodeToString([]byte(s)))
	}
	return out
}

func (a artifacts) assertNoSecrets(t *testing.T, secrets []string) {
	t.Helper()
	for name, data := range a {
		for _, s := range secrets {
			if i := strings.Index(string(data), s); i >= 0 {
				lo, hi := max(0, i-120), min(len(data), i+len(s)+40)
				t.Errorf("LEAK: %s contains %q: …%s…", name, s, data[lo:hi])
			}
		}
	}
}

func secFleet() []zensim.FleetInstance {
	return append(fleetN(3, expiredInstance), healthyInstance("1"), healthyInstance("2"))
}

// TestSecretsAppearNowhere runs every command, and the daemon with its metrics, against the
// simulator with debug logs in JSON, text and terminal colour, with an access key secret or a
// token and a secret webhook URL, and searches everything reaper wrote for the secrets: stdout,
// stderr, every file under the state and report directories (state.db included), /metrics.
func TestSecretsAppearNowhere(t *testing.T) {
	formats := []struct {
		name, config string
		tty          bool
	}{{"json", "json", false}, {"text", "text", false}, {"terminal", "auto", true}}
	for _, cred := range secCreds {
		for _, lf := range formats {
			t.Run(cred.name+"/"+lf.name, func(t *testing.T) {
				sim, simURL := startSecSim(t, secFleet())
				hook := startHook(t)
				dir := t.TempDir()
				addr := freePort(t)
				path := writeSecConfig(t, dir, simURL, cred, hook.url, lf.config, addr)
				got := artifacts{}
				run := func(args ...string) result {
					t.Helper()
					r := runSec(t, context.Background(), lf.tty, append(args, "--config", path)...)
					got.addResult(strings.Join(args, " "), r)
					if r.code != exitOK {
						t.Errorf("%v: exit code %d\n%s%s", args, r.code, r.stdout, r.stderr)
					}
					return r
				}

				run("validate")
				run("plan")
				if r := run("run", "--once"); !strings.Contains(r.stdout, "terminated 3") {
					t.Errorf("run --once did not act: %s", r.stdout)
				}
				for _, f := range []string{"table", "json", "fleet"} {
					run("inventory", "--format", f)
				}
				reports := filepath.Join(dir, "reports")
				runs, err := report.List(reports)
				if err != nil || len(runs) != 2 {
					t.Fatalf("reports: %v, %d runs, want 2", err, len(runs))
				}
				run("report", "list")
				run("report", "diff", runs[1].RunID, runs[0].RunID)
				for _, f := range []string{"text", "md", "json", "csv", "html"} {
					run("report", "show", "latest", "--format", f)
				}

				metrics, daemonStderr := runDaemonOnce(t, path, addr, reports, lf.tty)
				got["/metrics"] = []byte(metrics)
				got["daemon stderr"] = []byte(daemonStderr)

				nState := got.addTree(t, filepath.Join(dir, "state"))
				nReports := got.addTree(t, reports)

				// The outputs searched are real ones: debug logs, acting, webhook calls both ways.
				if _, err := os.Stat(filepath.Join(dir, "state", "state.db")); err != nil || nState == 0 {
					t.Errorf("state.db not read: %v (%d files)", err, nState)
				}
				if nReports < 3*4 {
					t.Errorf("%d report files, want four formats of at least three runs", nReports)
				}
				if !strings.Contains(string(got["plan stderr"]), "zenlayer request") {
					t.Errorf("plan stderr has no debug request lines:\n%s", got["plan stderr"])
				}
				if !strings.Contains(metrics, "reaper_cycles_total") {
					t.Errorf("/metrics scrape has no reaper_cycles_total:\n%s", metrics)
				}
				if n := terminateCount(sim); n != 3 {
					t.Errorf("TerminateInstance calls = %d, want 3", n)
				}
				if ok, bad := hook.counts(); ok == 0 || bad == 0 {
					t.Errorf("webhook accepted %d and refused %d posts, want both to happen", ok, bad)
				}

				got.assertNoSecrets(t, forbidden(cred.value, secHookPath, secHookQuery))
			})
		}
	}
}

// runDaemonOnce runs `reaper run` until it has written one more report, scrapes /metrics, stops
// it with a cancelled context, and returns the scrape and the daemon's stderr.
func runDaemonOnce(t *testing.T, path, addr, reports string, tty bool) (metrics, stderr string) {
	t.Helper()
	before, _ := report.List(reports)
	ctx, cancel := context.WithCancel(context.Background())
	var errOut syncBuffer
	done := make(chan int, 1)
	fs := newFakeSchedule(t, "@every 1s")
	go func() {
		done <- Main(ctx, Env{Args: []string{"run", "--config", path}, Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: &errOut, Getenv: func(string) string { return "" }, IsTTY: func() bool { return tty },
			Clock: fs.clock})
	}()
	stopped := false
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			stopped = true
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("daemon did not stop within 30s")
		}
		return -1
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	fs.cycle(t)
	if after, _ := report.List(reports); len(after) != len(before)+1 {
		t.Fatalf("%d new reports after one scheduled run, want 1:\n%s", len(after)-len(before), errOut.String())
	}
	eventually(t, "a /metrics scrape", 10*time.Second, func() bool {
		metrics = scrape(t, addr)
		return strings.Contains(metrics, "reaper_cycles_total")
	})
	if code := stop(); code != exitOK {
		t.Errorf("daemon exit code %d, want 0\n%s", code, errOut.String())
	}
	return metrics, errOut.String()
}

// TestAuthFailureHidesSecrets: with a wrong credential every command fails naming the
// authentication failure, and neither the wrong nor the right secret shows, in any log format.
func TestAuthFailureHidesSecrets(t *testing.T) {
	_, simURL := startSecSim(t, secFleet())
	hook := startHook(t)
	for _, cred := range secCreds {
		for _, format := range []string{"json", "text"} {
			t.Run(cred.name+"/"+format, func(t *testing.T) {
				wrong := cred
				wrong.value = "WRONG-" + cred.value[len(cred.value)/2:] + "-c0ffee"
				dir := t.TempDir()
				path := writeSecConfig(t, dir, simURL, wrong, hook.url, format, "")
				got := artifacts{}
				for _, args := range [][]string{{"inventory"}, {"plan"}, {"run", "--once"}} {
					r := runSec(t, context.Background(), false, append(args, "--config", path)...)
					got.addResult(strings.Join(args, " "), r)
					// The temporary directory is named after the test: keep it out of the match.
					out := strings.ReplaceAll(r.stdout+r.stderr, dir, "DIR")
					if r.code != exitFailure || !strings.Contains(out, "AUTHFAILURE_") && !strings.Contains(out, "authentication failed") {
						t.Errorf("%v: code %d, want 1 and the authentication failure named:\n%s", args, r.code, out)
					}
				}
				got.addTree(t, filepath.Join(dir, "state"))
				got.addTree(t, filepath.Join(dir, "reports"))
				got.assertNoSecrets(t, forbidden(wrong.value, cred.value, secHookPath, secHookQuery))
			})
		}
	}
}

// TestSecretFileModes: a secret file others can read is refused with a message naming the key and
// the mode; one its group can read works, with a warning naming both.
func TestSecretFileModes(t *testing.T) {
	_, simURL := startSecSim(t, secFleet())
	hook := startHook(t)
	type target struct {
		cred secCred
		key  string
		file string
	}
	var targets []target
	for _, c := range secCreds {
		targets = append(targets, target{c, "zenlayer." + map[string]string{"secret": "access_key_secret_file", "token": "token_file"}[c.file], c.file})
	}
	targets = append(targets, target{secCreds[0], "notify.webhook_url_file", "webhook"})

	for _, tg := range targets {
		t.Run(tg.key, func(t *testing.T) {
			for _, mode := range []os.FileMode{0o644, 0o604, 0o666} {
				t.Run(fmt.Sprintf("%04o refused", mode), func(t *testing.T) {
					dir := t.TempDir()
					path := writeSecConfig(t, dir, simURL, tg.cred, hook.url, "json", "")
					chmod(t, filepath.Join(dir, tg.file), mode)
					for _, cmd := range []string{"plan", "validate"} {
						r := runSec(t, context.Background(), false, cmd, "--config", path)
						out := r.stdout + r.stderr
						for _, want := range []string{tg.key, fmt.Sprintf("%04o", mode), "readable by others"} {
							if r.code != exitFailure || !strings.Contains(r.stderr, want) {
								t.Errorf("%s: code %d, stderr %q; want 1 and %q", cmd, r.code, r.stderr, want)
							}
						}
						artifacts{"output": []byte(out)}.assertNoSecrets(t, forbidden(tg.cred.value, secHookPath, secHookQuery))
					}
					if _, err := os.Stat(filepath.Join(dir, "state")); err == nil {
						t.Error("a refused config still opened the state directory")
					}
				})
			}
			t.Run("0640 warns", func(t *testing.T) {
				dir := t.TempDir()
				path := writeSecConfig(t, dir, simURL, tg.cred, hook.url, "json", "")
				chmod(t, filepath.Join(dir, tg.file), 0o640)
				r := runSec(t, context.Background(), false, "plan", "--config", path)
				if r.code != exitOK {
					t.Fatalf("plan: code %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
				}
				for _, want := range []string{tg.key, "0640", "readable by its group"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("plan stderr lacks %q:\n%s", want, r.stderr)
					}
				}
				v := runSec(t, context.Background(), false, "validate", "--config", path)
				if v.code != exitOK || !strings.Contains(v.stdout, "warning: "+tg.key) {
					t.Errorf("validate: code %d, want 0 and a warning naming %s:\n%s%s", v.code, tg.key, v.stdout, v.stderr)
				}
				artifacts{"plan": []byte(r.stdout + r.stderr), "validate": []byte(v.stdout + v.stderr)}.
					assertNoSecrets(t, forbidden(tg.cred.value, secHookPath, secHookQuery))
			})
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestMetricsListenLoopbackByDefault: the default metrics address is loopback, and validate warns
// about one that is not.
func TestMetricsListenLoopbackByDefault(t *testing.T) {
	host, _, err := net.SplitHostPort(config.Default().Metrics.Listen)
	if err != nil {
		t.Fatalf("default metrics.listen %q: %v", config.Default().Metrics.Listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("default metrics.listen host %q is not a loopback address", host)
	}

	for addr, warn := range map[string]bool{"127.0.0.1:9797": false, "[::1]:9797": false, "0.0.0.0:9797": true, ":9797": true} {
		t.Run(addr, func(t *testing.T) {
			path, _ := writeConfig(t, "https://console.zenlayer.com", testSecret, fmt.Sprintf("metrics: {listen: %q}\n", addr))
			r := reaper(t, "validate", "--config", path)
			if r.code != exitOK {
				t.Fatalf("validate: code %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if got := strings.Contains(r.stdout, "warning: metrics.listen"); got != warn {
				t.Errorf("validate warns about metrics.listen %q: %v, want %v\n%s", addr, got, warn, r.stdout)
			}
		})
	}
}
