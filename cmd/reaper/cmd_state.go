package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

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

func cmdState(ctx context.Context, env Env, args []string) int {
	const synopsis = "check | backup FILE | reset --yes | accept-clock --yes  [--config F] [--dir STATE_DIR]"
	if len(args) == 0 {
		return usageErr(env, "state needs a subcommand: %s", synopsis)
	}
	sub := args[0]
	fs := newFlags(env, "state "+sub, synopsis)
	cfgFlag := configFlag(fs)
	dirFlag := fs.String("dir", "", "state directory (default: state_dir from the config)")
	yes := fs.Bool("yes", false, "reset, accept-clock: really do it")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	rest := fs.Args()
	switch {
	case sub == "check" && len(rest) == 0, sub == "backup" && len(rest) == 1:
	case (sub == "reset" || sub == "accept-clock") && len(rest) == 0:
		if !*yes {
			return usageErr(env, "state %s changes the state store; add --yes to confirm", sub)
		}
	default:
		return usageErr(env, "usage: reaper state %s", synopsis)
	}
	dir, err := stateDir(env, *dirFlag, *cfgFlag)
	if err != nil {
		return fail(env, err)
	}
	switch sub {
	case "check":
		return stateCheck(env, dir)
	case "backup":
		return stateBackup(env, dir, rest[0])
	case "reset":
		return stateReset(env, dir)
	}
	return stateAcceptClock(env, dir)
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
