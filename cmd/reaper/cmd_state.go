package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
)

// stateRecovery is what an operator can do about a state file that is not a readable store.
const stateRecovery = "to recover, stop reaper, keep a copy with `reaper state backup FILE`, then " +
	"`reaper state reset --yes` moves the file aside and starts a fresh store " +
	"(marks, intents, refusals and the fleet-drop baseline are lost; see README, \"Recovering the state\")"

// openState opens the state store for a cycle and makes its run sequence continue after the
// reports already in the report directory (a reset or restored store would otherwise number its
// runs below them, and retention would delete the new reports).
func openState(cfg *config.Config, now func() time.Time) (*state.Store, error) {
	store, err := state.Open(cfg.StateDir, state.WithNow(now))
	if err != nil {
		return nil, stateError(err)
	}
	max, err := report.MaxSeq(cfg.ReportDir())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("report.dir: %w", err)
	}
	if err := store.AdvanceRunSeq(max); err != nil {
		store.Close()
		return nil, fmt.Errorf("open state: %w", err)
	}
	return store, nil
}

// stateError wraps an error opening the state and, for a damaged file, says how to recover.
func stateError(err error) error {
	if errors.As(err, new(*state.CorruptError)) {
		return fmt.Errorf("open state: %w; %s", err, stateRecovery)
	}
	return fmt.Errorf("open state: %w", err)
}

// stateCommand is `reaper state check|backup|reset|accept-clock`. --config and --dir belong to
// all of them; a subcommand is one more entry in the group.
func stateCommand(cl *cli) *cobra.Command {
	var cfgFlag, dirFlag string
	// sub runs a subcommand's body with the state directory. A subcommand that changes the store
	// passes confirm, its --yes: without it, it is a usage error and nothing is opened.
	sub := func(confirm *bool, body func(ctx context.Context, env Env, dir string, args []string) int) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			return cl.run(func(ctx context.Context, env Env, args []string) int {
				if confirm != nil && !*confirm {
					return usageErr(env, "state %s changes the state store; add --yes to confirm", cmd.Name())
				}
				dir, err := stateDir(env, dirFlag, cfgFlag)
				if err != nil {
					return fail(env, err)
				}
				return body(ctx, env, dir, args)
			})(cmd, args)
		}
	}
	var yesReset, yesClock bool
	reset := &cobra.Command{
		Use:   "reset --yes",
		Short: "move the state file aside (timestamped) and start a fresh store",
		Long: "Move the state file aside under a timestamped name (nothing is deleted) and start a fresh\n" +
			"store: marks, intents, refusals and the fleet-drop baseline are lost, grace periods start\n" +
			"again. It takes the state lock, so stop the daemon first; --yes confirms.",
		Args: wantArgs(),
		RunE: sub(&yesReset, func(_ context.Context, env Env, dir string, _ []string) int { return stateReset(env, dir) }),
	}
	reset.Flags().BoolVar(&yesReset, "yes", false, "really do it")
	acceptClock := &cobra.Command{
		Use:   "accept-clock --yes",
		Short: "make now the clock baseline (after a clock that was wrong)",
		Long: "Make now the clock baseline. A cycle is blocked (limit clock) while the clock is more than\n" +
			"5 minutes behind the last recorded run; when that run's clock was the wrong one, this\n" +
			"accepts the current clock. It takes the state lock; --yes confirms.",
		Args: wantArgs(),
		RunE: sub(&yesClock, func(_ context.Context, env Env, dir string, _ []string) int { return stateAcceptClock(env, dir) }),
	}
	acceptClock.Flags().BoolVar(&yesClock, "yes", false, "really do it")
	c := cl.group("state", "check, back up, reset the state store (check, backup, reset, accept-clock)",
		&cobra.Command{
			Use:   "check",
			Short: "verify every page of the state file and say what it holds",
			Args:  wantArgs(),
			RunE:  sub(nil, func(_ context.Context, env Env, dir string, _ []string) int { return stateCheck(env, dir) }),
		},
		&cobra.Command{
			Use:   "backup FILE",
			Short: "write a consistent copy of the state (or the damaged file byte for byte)",
			Args:  wantArgs("FILE"),
			RunE:  sub(nil, func(_ context.Context, env Env, dir string, args []string) int { return stateBackup(env, dir, args[0]) }),
		},
		reset,
		acceptClock,
	)
	configFlag(c.PersistentFlags(), &cfgFlag)
	c.PersistentFlags().StringVar(&dirFlag, "dir", "", "state directory (default: state_dir from the config)")
	_ = c.MarkPersistentFlagDirname("dir")
	return c
}

// stateDir is --dir, or the config's state_dir. It needs no credentials.
func stateDir(env Env, dirFlag, cfgFlag string) (string, error) {
	if dirFlag != "" {
		return dirFlag, nil
	}
	cfg, err := loadConfigNoSecrets(env, configPath(env, cfgFlag))
	if err != nil {
		return "", err
	}
	return cfg.StateDir, nil
}

func stateCheck(env Env, dir string) int {
	info, err := state.Inspect(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(env.Stdout, "no state database in %s: the first run creates one\n", dir)
		return exitOK
	case err != nil:
		return fail(env, stateError(err))
	}
	last := "none"
	if !info.LastRunTime.IsZero() {
		last = info.LastRunTime.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(env.Stdout, "%s: ok (schema %s, %d bytes, %d runs, last run seq %d, last run time %s, %d open intents)\n",
		info.Path, info.SchemaVersion, info.Size, info.Runs, info.LastSeq, last, info.OpenIntents)
	if behind := info.LastRunTime.Sub(env.now()); behind > 0 {
		fmt.Fprintf(env.Stdout, "warning: the clock is %s behind the last run time; beyond %s a cycle is blocked (limit clock): "+
			"fix the clock, or `reaper state accept-clock --yes` if the earlier run's clock was wrong\n",
			behind.Round(time.Second), reconcile.DefaultClockTolerance)
	}
	return exitOK
}

func stateBackup(env Env, dir, dst string) int {
	raw, err := state.Backup(dir, dst)
	if err != nil {
		return fail(env, err)
	}
	if raw {
		fmt.Fprintf(env.Stdout, "copied the damaged state file byte for byte to %s\n", dst)
		return exitOK
	}
	fmt.Fprintf(env.Stdout, "wrote a consistent copy of the state to %s\n", dst)
	return exitOK
}

func stateReset(env Env, dir string) int {
	movedTo, err := state.Reset(dir, env.now())
	if err != nil {
		return fail(env, err)
	}
	if movedTo != "" {
		fmt.Fprintf(env.Stdout, "moved the old state file to %s (nothing was deleted)\n", movedTo)
	}
	fmt.Fprintf(env.Stdout, "started a fresh state store in %s: grace periods start again, the next cycle sets the fleet-drop baseline\n", dir)
	return exitOK
}

func stateAcceptClock(env Env, dir string) int {
	store, err := state.Open(dir, state.WithNow(env.now))
	if err != nil {
		return fail(env, stateError(err))
	}
	defer store.Close()
	now := env.now()
	prev, err := store.AcceptClock(now)
	if err != nil {
		return fail(env, err)
	}
	was := "none"
	if !prev.IsZero() {
		was = prev.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(env.Stdout, "clock accepted: the last run time is now %s (was %s)\n", now.UTC().Format(time.RFC3339), was)
	return exitOK
}
