package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

// A child process runs one acting cycle against the simulator named by these variables; the crash
// tests kill it at chosen or random points.
const (
	childEnvURL   = "REAPER_E2E_CHILD_URL"
	childEnvState = "REAPER_E2E_CHILD_STATE"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnvURL); url != "" {
		os.Exit(childCycle(url, os.Getenv(childEnvState)))
	}
	os.Exit(m.Run())
}

// childCycle is the whole of a reaper `run --once` that matters here, on the real clock.
func childCycle(url, dir string) int {
	client, err := zen.New(zen.WithEndpoint(url), zen.WithAccessKey(keyID, secret),
		zen.WithRetry(3, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	store, err := state.Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	engine, err := policy.Load(context.Background(), policy.Options{FS: policies.FS})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s := defaultSettings(engine)
	s.MaxTerminationsPerRun = 1000
	rec, err := reconcile.New(reconcile.Options{API: client, Evaluator: engine, Store: store, Settings: s})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	res, _ := rec.Run(context.Background(), reconcile.Cycle{RunID: report.NewRunID(time.Now()), Command: "run"})
	if res.Status != reconcile.StatusOK {
		fmt.Fprintln(os.Stderr, res.Status, res.Err)
		return 1
	}
	return 0
}

// startChild starts one child cycle; the caller waits for it or kills it.
func startChild(t *testing.T, url, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnvURL+"="+url, childEnvState+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}
