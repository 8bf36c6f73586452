package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestMarkAnnouncedOnceWhileClockInDoubt: a mark made while the clock is in doubt starts at the
// last run time, which is after the start of every cycle until the clock catches up. It is news
// once: the owners are told when it is made, not again by every cycle that keeps it.
func TestMarkAnnouncedOnceWhileClockInDoubt(t *testing.T) {
	in := expiredInstance("770000000000000002")
	_, url := startSim(t, []zensim.FleetInstance{in, healthyInstance("770000000000000003")})
	rcv, hook := newReceiver(t)
	path, cfgDir := writeConfig(t, url, testSecret, "notify: {webhook_url_file: webhook}\n"+
		"safety: {grace_period: 24h, max_terminations_percent: 100}\n")
	if err := os.WriteFile(filepath.Join(cfgDir, "webhook"), []byte(hook), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	steps := []struct {
		name string
		at   time.Time
		want int
	}{
		{"plan with a fast clock marks it", now.Add(48 * time.Hour), 1},
		{"clock put right: blocked, the mark is kept", now, 0},
		{"blocked again", now.Add(time.Hour), 0},
		{"within the tolerance of the last run", now.Add(48*time.Hour - time.Minute), 0},
	}
	for _, s := range steps {
		from := rcv.count()
		if r := reaperAt(t, s.at, "plan", "--config", path); r.code != exitOK && r.code != exitBlocked {
			t.Fatalf("%s: plan exit %d\n%s", s.name, r.code, r.stderr)
		}
		if got := rcv.markedIDs(from); len(got) != s.want {
			t.Fatalf("%s: marked events for %v, want %d", s.name, got, s.want)
		}
	}
}

// idEchoProxy answers as the simulator does, except that the listing gives one instance an ID
// that holds the credential (in one of its encodings).
type idEchoProxy struct {
	sim http.Handler
	id  string
}

func (p idEchoProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.sim.ServeHTTP(rec, r)
	var body map[string]any
	if r.Header.Get("X-ZC-Action") != "DescribeInstances" || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	if resp, ok := body["response"].(map[string]any); ok {
		if list, ok := resp["dataSet"].([]any); ok && len(list) > 0 {
			if m, ok := list[0].(map[string]any); ok {
				m["instanceId"] = p.id
			}
		}
	}
	w.WriteHeader(rec.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// TestEchoedSecretInInstanceIDAppearsNowhere: an API that echoes the token as an instance ID
// (where no redaction may change the text: the ID is what reaper would act on) gets it into no
// output; the listing is refused instead.
func TestEchoedSecretInInstanceIDAppearsNowhere(t *testing.T) {
	for i, enc := range echoEncodings(echoToken) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			sim := zensim.New(zensim.Options{Tokens: []string{echoToken}, Seed: 3})
			if err := sim.Load(zensim.Fleet{Instances: secFleet()}); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(idEchoProxy{sim: sim, id: "7" + enc + "7"})
			t.Cleanup(srv.Close)
			hook := startHook(t)
			dir := t.TempDir()
			cred := secCred{"token", "token", "  token_file: token\n", echoToken}
			path := writeSecConfig(t, dir, srv.URL, cred, hook.url, "json", "")
			got := artifacts{}
			for _, args := range [][]string{{"plan"}, {"inventory", "--format", "json"}, {"inventory", "--format", "fleet"}} {
				r := runSec(t, context.Background(), false, append(args, "--config", path)...)
				got.addResult(strings.Join(args, " "), r)
				if r.code != exitFailure || !strings.Contains(r.stderr, "holds a credential") {
					t.Errorf("%v: exit %d, want 1 and the listing refused for an ID holding a credential\n%.600s", args, r.code, r.stderr)
				}
			}
			got.addTree(t, filepath.Join(dir, "state"))
			got.addTree(t, filepath.Join(dir, "reports"))
			got.assertNoSecrets(t, append(echoEncodings(echoToken), forbidden(echoToken)...))
		})
	}
}
