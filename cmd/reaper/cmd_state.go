package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/migrate"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
)

// stateRecovery is what an operator can do about a state file that is not a readable store.
const stateRecovery = "to recover, stop reaper, keep a copy with `reaper state backup FILE`, then " +
	"`reaper state reset --yes` moves the file aside and starts a fresh store " +
	"(marks, intents, refusals and the fleet-drop baseline are lost; see README, \"Recovering the state\")"

// openState opens the configured state store for a cycle and makes its run sequence continue
// after the reports already in the report directory (a reset or restored store would otherwise
// number its runs below them, and retention would delete the new reports).
//
// holder names this command in the bbolt directory's PID file (holderDaemon, holderPlan, ...).
func openState(ctx context.Context, cfg *config.Config, now func() time.Time, holder string) (state.Backend, error) {
	store, err := openBackend(ctx, cfg, cfg.State.Backend, now, holder)
	if err != nil {
		return nil, err
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
				if dirFlag == "" {
					if code, done := statePostgres(ctx, env, cmd.Name(), cfgFlag); done {
						return code
					}
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
	var to string
	migrate := &cobra.Command{
		Use:   "migrate --to postgres|bbolt",
		Short: "copy the whole state into the empty store of the other backend, and verify it",
		Args:  wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int {
			if to != config.BackendPostgres && to != config.BackendBbolt {
				return usageErr(env, "state migrate needs --to postgres or --to bbolt, got %q", to)
			}
			return stateMigrate(ctx, env, cfgFlag, dirFlag, to)
		}),
	}
	migrate.Flags().StringVar(&to, "to", "", "the backend to copy the state to, postgres or bbolt")
	_ = migrate.RegisterFlagCompletionFunc("to", cobra.FixedCompletions([]string{config.BackendPostgres, config.BackendBbolt}, cobra.ShellCompDirectiveNoFileComp))
	c := cl.group("state", "check, back up, reset, migrate the state store (check, backup, reset, accept-clock, migrate)",
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
		migrate,
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

// statePostgres runs check and accept-clock on the postgres backend when the config names it
// (done is false for the bbolt backend); backup and reset are for the bbolt file only.
func statePostgres(ctx context.Context, env Env, sub, cfgFlag string) (code int, done bool) {
	path := configPath(env, cfgFlag)
	cfg, err := loadConfigNoSecrets(env, path)
	if err != nil {
		return fail(env, err), true
	}
	if cfg.State.Backend != config.BackendPostgres {
		return 0, false
	}
	if sub == "backup" || sub == "reset" {
		return fail(env, fmt.Errorf("state %s works on a bbolt store (--dir DIR); the state is on postgres (state.backend): "+
			"back it up with pg_dump -n %s", sub, cfg.State.Postgres.Schema)), true
	}
	if cfg, err = loadConfig(env, path, false); err != nil {
		return fail(env, err), true
	}
	if sub == "accept-clock" {
		store, err := openBackend(ctx, cfg, config.BackendPostgres, env.now, holderState)
		if err != nil {
			return fail(env, err), true
		}
		defer store.Close()
		return acceptClock(env, store), true
	}
	store, err := openPostgres(ctx, cfg, pgstate.WithoutMigrations())
	if errors.Is(err, pgstate.ErrNoSchema) {
		fmt.Fprintf(env.Stdout, "no reaper state in %s: the first run creates it\n", describeBackend(cfg, config.BackendPostgres))
		return exitOK, true
	}
	if err != nil {
		return fail(env, err), true
	}
	defer store.Close()
	snap, err := store.Export()
	if err != nil {
		return fail(env, err), true
	}
	fmt.Fprintf(env.Stdout, "%s: ok (schema version %d; %s; run sequence %d, last run time %s, %d open intents)\n",
		describeBackend(cfg, config.BackendPostgres), pgstate.SchemaVersion(), state.FormatCounts(snap.Counts()),
		snap.RunSeq, formatOrNone(snap.LastRunTime), countOpen(snap.Intents))
	return exitOK, true
}

func formatOrNone(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339)
}

func countOpen(intents []state.Intent) int {
	n := 0
	for _, in := range intents {
		if in.Outcome == nil {
			n++
		}
	}
	return n
}

// stateMigrate copies the configured state into the empty store of the other backend. The bbolt
// side lies in --dir, or state_dir; the postgres side is state.postgres.
func stateMigrate(ctx context.Context, env Env, cfgFlag, dirFlag, to string) int {
	cfg, err := loadConfig(env, configPath(env, cfgFlag), false)
	if err != nil {
		return fail(env, err)
	}
	if dirFlag != "" {
		cfg.StateDir = dirFlag
	}
	from := cfg.State.Backend
	if from == to {
		return fail(env, fmt.Errorf("state migrate: the state is already on %s (state.backend); --to names the backend to copy it to", to))
	}
	src, err := openBackend(ctx, cfg, from, env.now, holderMigrate)
	if err != nil {
		return fail(env, fmt.Errorf("state migrate: the source: %w", err))
	}
	defer src.Close()
	dst, err := openBackend(ctx, cfg, to, env.now, holderMigrate)
	if err != nil {
		return fail(env, fmt.Errorf("state migrate: the target: %w", err))
	}
	defer dst.Close()
	res, err := migrate.Copy(dst, src)
	if errors.As(err, new(*state.NotEmptyError)) {
		return fail(env, fmt.Errorf("state migrate: %w; nothing was copied (%s)", err, emptyHint(to)))
	}
	if err != nil {
		return fail(env, fmt.Errorf("state migrate: %w", err))
	}
	fmt.Fprintf(env.Stdout, "copied %s to %s and verified it: %s; the next run is numbered after %d\n",
		describeBackend(cfg, from), describeBackend(cfg, to), state.FormatCounts(res.Counts), res.RunSeq)
	fmt.Fprintf(env.Stdout, "next: set state.backend: %s in the config of every reaper and restart them; %s was left as it was\n",
		to, describeBackend(cfg, from))
	return exitOK
}

// emptyHint says how to get an empty target of kind.
func emptyHint(kind string) string {
	if kind == config.BackendPostgres {
		return "use another state.postgres.schema, or drop the schema after keeping a copy (pg_dump -n SCHEMA)"
	}
	return "`reaper state reset --yes --dir DIR` moves the old store aside and leaves an empty one"
}

func stateAcceptClock(env Env, dir string) int {
	store, err := state.Open(dir, state.WithNow(env.now), state.WithHolder(holderState))
	if err != nil {
		return fail(env, stateError(err))
	}
	defer store.Close()
	return acceptClock(env, store)
}

// acceptClock sets the clock baseline of store to now and says what it was.
func acceptClock(env Env, store state.Backend) int {
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
