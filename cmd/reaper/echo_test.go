package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// echoToken holds the characters JSON, HTML and URL encodings change.
const echoToken = `tok/ECHO+9=a<b>&c"d'e\f%g`

// echoEncodings are the forms an API or a proxy might echo a credential in.
func echoEncodings(s string) []string {
	jsonEsc, _ := json.Marshal(s)
	js := strings.Trim(string(jsonEsc), `"`)
	var uEsc, pct strings.Builder
	for _, r := range s {
		fmt.Fprintf(&uEsc, `\u%04X`, r)
	}
	for _, c := range []byte(s) {
		fmt.Fprintf(&pct, "%%%02x", c)
	}
	return []string{
		s, js, strings.ReplaceAll(js, "/", `\/`), uEsc.String(), html.EscapeString(s), url.QueryEscape(s),
		pct.String(), url.QueryEscape(url.QueryEscape(s)), base64.StdEncoding.EncodeToString([]byte(s)),
		base64.URLEncoding.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s)),
	}
}

// echoProxy sits in front of the simulator and echoes the credential, in a different encoding
// each time, wherever an API's text goes: request IDs, instance names, error messages. The first
// TerminateInstance it refuses itself, with the credential in the message.
type echoProxy struct {
	sim     http.Handler
	encs    []string
	mu      sync.Mutex
	n       int
	refused bool
}

func (p *echoProxy) next() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return p.encs[p.n%len(p.encs)]
}

func (p *echoProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	enc := p.next()
	action := r.Header.Get("X-ZC-Action")
	p.mu.Lock()
	refuse := action == "TerminateInstance" && !p.refused
	p.refused = p.refused || refuse
	p.mu.Unlock()
	if refuse {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"requestId": "rid-" + enc, "code": "INVALID_PARAMETER",
			"message": "the token " + enc + " may not do this"})
		return
	}
	rec := httptest.NewRecorder()
	p.sim.ServeHTTP(rec, r)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	body["requestId"] = "rid-" + enc
	if msg, ok := body["message"].(string); ok {
		body["message"] = msg + " (token " + enc + ")"
	}
	if resp, ok := body["response"].(map[string]any); ok {
		resp["requestId"] = "rid-" + enc
		if list, ok := resp["dataSet"].([]any); ok {
			for _, in := range list {
				if m, ok := in.(map[string]any); ok {
					m["instanceName"] = fmt.Sprint(m["instanceName"], " ", enc)
				}
			}
		}
	}
	w.WriteHeader(rec.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// TestEchoedSecretAppearsNowhere: an API that echoes the bearer token, encoded in every way a
// server might (JSON, HTML, URL, base64, hex), into request IDs, instance names and error
// messages gets it into no output of any command: stdout, stderr, state.db, every report format.
func TestEchoedSecretAppearsNowhere(t *testing.T) {
	sim := zensim.New(zensim.Options{Tokens: []string{echoToken}, Seed: 3})
	if err := sim.Load(zensim.Fleet{Instances: secFleet()}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&echoProxy{sim: sim, encs: echoEncodings(echoToken)})
	t.Cleanup(srv.Close)
	hook := startHook(t)
	dir := t.TempDir()
	cred := secCred{"token", "token", "  token_file: token\n", echoToken}
	path := writeSecConfig(t, dir, srv.URL, cred, hook.url, "json", "")

	got := artifacts{}
	for _, args := range [][]string{{"plan"}, {"run", "--once"}, {"inventory", "--format", "json"}, {"inventory"}} {
		r := runSec(t, context.Background(), false, append(args, "--config", path)...)
		got.addResult(strings.Join(args, " "), r)
		if r.code != exitOK && r.code != exitFailure {
			t.Errorf("%v: exit code %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	for _, f := range []string{"text", "md", "json", "csv", "html"} {
		r := runSec(t, context.Background(), false, "report", "show", "latest", "--format", f, "--config", path)
		got.addResult("report show "+f, r)
	}
	got.addTree(t, filepath.Join(dir, "state"))
	if n := got.addTree(t, filepath.Join(dir, "reports")); n < 8 {
		t.Errorf("%d report files, want two runs of four formats", n)
	}
	if !strings.Contains(string(got["run --once stderr"]), "REDACTED") {
		t.Errorf("run --once stderr shows no redacted echo; did the proxy echo?\n%s", got["run --once stderr"])
	}
	got.assertNoSecrets(t, append(echoEncodings(echoToken), forbidden(echoToken)...))
}
