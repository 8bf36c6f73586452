package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// demoConfig is the config `reaper demo` writes: the sample fleet's candidates are due at once
// (grace_period 0s) and the limits are loose enough for a 20-instance fleet. It is written to the
// demo directory so a newcomer can read it and run other commands against the simulator.
const demoConfig = `# Written by 'reaper demo': a config for the built-in simulator.
zenlayer:
  endpoint: %s
  access_key_id: %s
  access_key_secret_file: secret
  requests_per_second: 200   # a local simulator; keep the default (10) against the real API
state_dir: state
report:
  dir: reports
  formats: [json, csv, md, html]
safety:
  grace_period: 0s
  max_terminations_per_run: 20
  max_terminations_percent: 60
policies:
  params:
    tags: { required: [owner] }
pricing: { S9I: 420, S12I: 690, M7I: 310, G4: 1250 }
metrics: { listen: "" }
log: { level: warn }
`

func demoCommand(cl *cli) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "demo",
		Short: "simulator + sample fleet + plan: the newcomer's first command",
		Long: "Start the simulator with a sample fleet, write a config for it into --dir, run a plan\n" +
			"against it and print the next steps. Nothing real is touched. The directory must be new,\n" +
			"empty, or one an earlier demo wrote.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return cmdDemo(ctx, env, dir) }),
	}
	c.Flags().StringVar(&dir, "dir", ".demo", "where the demo writes its config, state and reports")
	_ = c.MarkFlagDirname("dir")
	return c
}

func cmdDemo(ctx context.Context, env Env, dir string) int {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fail(env, err)
	}
	if err := claimDemoDir(abs); err != nil {
		return fail(env, err)
	}
	// Each demo starts from a fresh state: marks and the fleet baseline of an earlier demo would
	// make the result depend on when it last ran. Reports accumulate. The store is discarded under
	// its lock, so a reaper running on the demo's config keeps it (and the demo stops here).
	if err := state.Discard(filepath.Join(abs, "state")); err != nil {
		return fail(env, fmt.Errorf("demo: %w", err))
	}

	sim := zensim.New(zensim.Options{Now: env.now, Keys: map[string]string{simKeyID: simSecret}})
	if err := sim.Load(zensim.DemoFleet(env.now())); err != nil {
		return fail(env, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(env, fmt.Errorf("demo: listen on loopback: %w", err))
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	safego.Go("demo simulator", func() { served <- srv.Serve(ln) }, func(err error) { served <- err })
	defer srv.Close()

	path, err := writeDemoConfig(abs, "http://"+ln.Addr().String())
	if err != nil {
		return fail(env, err)
	}
	fmt.Fprintf(env.Stdout, "reaper demo: the simulator serves a sample fleet on %s\nconfig: %s\n\n", ln.Addr(), path)
	cfg, err := loadConfig(env, path, true)
	if err != nil {
		return fail(env, err)
	}
	code := cycleOnce(ctx, env, cfg, reconcile.CommandPlan, true, "", false, "", "")
	select {
	case err := <-served: // the simulator stopped under the plan: an internal error
		return fail(env, fmt.Errorf("demo: %w", err))
	default:
	}
	if code == exitOK {
		fmt.Fprintf(env.Stdout, "\nThis was a plan: nothing was terminated. Open the HTML report above in a browser.\n"+
			"Next: read %s, then `%s validate --config %s`, and list the reports with `%s report list --config %s`.\n",
			path, env.executable(), path, env.executable(), path)
	}
	return code
}

func writeDemoConfig(dir, endpoint string) (string, error) {
	if err := replaceFile(dir, "secret", []byte(simSecret+"\n")); err != nil {
		return "", fmt.Errorf("demo: write secret file: %w", err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := replaceFile(dir, "config.yaml", fmt.Appendf(nil, demoConfig, endpoint, simKeyID)); err != nil {
		return "", fmt.Errorf("demo: write config: %w", err)
	}
	return path, nil
}

// replaceFile writes dir/name (0600) through a temporary file and a rename, so a symbolic link
// planted at that name is replaced, never followed.
func replaceFile(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// demoMarker is the file that marks a directory as the demo's own. The demo writes only into a
// directory that is new, empty, or holds this file.
const demoMarker = ".reaper-demo"

const demoMarkerText = "Created by 'reaper demo'. A later 'reaper demo --dir' here rewrites config.yaml and secret\n" +
	"and starts state/ afresh; delete this file to stop that.\n"

// claimDemoDir makes sure dir is the demo's to write: it creates a missing dir, marks an empty one,
// and refuses anything else that lacks the marker (a file, or a directory with someone's files).
func claimDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("demo: create %s: %w", dir, err)
		}
	case err != nil:
		return fmt.Errorf("demo: %s must be a new or empty directory: %w", dir, err)
	case len(entries) > 0:
		if fi, err := os.Lstat(filepath.Join(dir, demoMarker)); err == nil && fi.Mode().IsRegular() {
			return nil
		}
		return fmt.Errorf("demo: %s is not empty and was not created by 'reaper demo' (it has no %s file); "+
			"the demo writes only into a new or empty directory: choose one with --dir", dir, demoMarker)
	}
	if err := os.WriteFile(filepath.Join(dir, demoMarker), []byte(demoMarkerText), 0o600); err != nil {
		return fmt.Errorf("demo: mark %s: %w", dir, err)
	}
	return nil
}
