package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/leader"
	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
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
	os.Exit(pgtest.Main(m))
}

// openSpec opens the state a child uses: spec is a bbolt directory, or a postgres:// DSN (the
// schema "reaper").
func openSpec(spec string) (state.Backend, error) {
	if strings.HasPrefix(spec, "postgres:") {
		return pgstate.Open(context.Background(), pgstate.Config{DSN: spec, Schema: "reaper", Node: fmt.Sprintf("child-%d", os.Getpid())})
	}
	return state.Open(spec)
}

// childLeadership takes leadership of a shared store, as `run --once` does, waiting for a killed
// predecessor's session to end (the server ends it as soon as it sees the closed connection). It
// returns nil for a store that is not shared.
func childLeadership(store state.Backend) (*leader.Leader, error) {
	pg, ok := store.(*pgstate.Store)
	if !ok {
		return nil, nil
	}
	l, err := leader.New(leader.Options{Conn: pg.ConnConfig(), Schema: pg.Schema(), Node: fmt.Sprintf("child-%d", os.Getpid())})
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := l.Acquire(context.Background())
		var held *leader.HeldError
		if err == nil || !errors.As(err, &held) || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(10 * time.Millisecond) // a child's retry, not a test's wait
	}
}

// childCycle is the whole of a reaper `run --once` that matters here, on the real clock.
func childCycle(url, dir string) int {
	client, err := zen.New(zen.WithEndpoint(url), zen.WithAccessKey(keyID, secret),
		zen.WithRetry(3, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	store, err := openSpec(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	lead, err := childLeadership(store)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var fence reconcile.Fencer
	if lead != nil {
		defer lead.Release(context.Background())
		fence = lead
	}
	engine, err := policy.Load(context.Background(), policy.Options{FS: policies.FS})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s := defaultSettings(engine)
	s.MaxTerminationsPerRun = 1000
	rec, err := reconcile.New(reconcile.Options{API: client, Evaluator: engine, Store: store, Settings: s, Fence: fence})
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
