package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

const (
	testKeyID  = "AK-CMD-TEST"
	testSecret = "cmd-test-secret-9f8e7d6c"
)

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSim serves fleet on loopback and returns the simulator and its URL.
func startSim(t *testing.T, fleet []zensim.FleetInstance) (*zensim.Server, string) {
	t.Helper()
	sim := zensim.New(zensim.Options{Keys: map[string]string{testKeyID: testSecret}, Seed: 3})
	if err := sim.Load(zensim.Fleet{Instances: fleet}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// writeConfig writes a config for url with the given extra YAML and a secret file holding secret.
func writeConfig(t *testing.T, url, secret, extra string) (path string, dir string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("zenlayer:\n  endpoint: %s\n  access_key_id: %s\n  access_key_secret_file: secret\n"+
		"  requests_per_second: 1000\n"+
		"state_dir: state\nlog: {format: json, level: debug}\n%s", url, testKeyID, extra)
	if !strings.Contains(extra, "report:") {
		body += "report: {dir: reports, formats: [json, csv, md, html]}\n"
	}
	if !strings.Contains(extra, "metrics:") {
		body += "metrics: {listen: \"\"}\n"
	}
	path = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

type result struct {
	code           int
	stdout, stderr string
}

// reaper runs Main with args and an empty environment.
func reaper(t *testing.T, args ...string) result {
	t.Helper()
	return reaperEnv(t, context.Background(), map[string]string{}, args...)
}

func reaperEnv(t *testing.T, ctx context.Context, envVars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	code := Main(ctx, Env{
		Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return envVars[k] }, IsTTY: func() bool { return false },
	})
	return result{code, out.String(), errOut.String()}
}

func expiredInstance(id string) zensim.FleetInstance {
	return zensim.FleetInstance{
		ID: id, Name: "expired-" + id, Zone: "HKG-A", Type: "S9I", Status: zen.StatusRunning,
		ChargeType: zen.ChargePostpaid, CreatedAt: time.Now().Add(-30 * 24 * time.Hour),
		Tags:    map[string]string{"reaper-expires-at": "2020-01-01", "owner": "ci"},
		Traffic: zensim.TrafficProfile{InBps: 5_000_000, OutBps: 3_000_000}, // busy: never idle
	}
}

func healthyInstance(id string) zensim.FleetInstance {
	in := expiredInstance(id)
	in.Name = "healthy-" + id
	in.Tags = map[string]string{"owner": "web"}
	return in
}

func fleetN(n int, mk func(string) zensim.FleetInstance) []zensim.FleetInstance {
	out := make([]zensim.FleetInstance, n)
	for i := range out {
		out[i] = mk(fmt.Sprintf("77%016d", i))
	}
	return out
}

func terminateCount(sim *zensim.Server) int { return len(sim.TerminateCalls()) }
