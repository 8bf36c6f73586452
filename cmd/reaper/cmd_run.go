package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/record"
)

func runCommand(cl *cli) *cobra.Command {
	var o runOptions
	c := &cobra.Command{
		Use:   "run",
		Short: "run the daemon on its schedule (--once: one cycle and exit)",
		Long: "Run the daemon: a cycle on each tick of the config's cron schedule until SIGTERM or SIGINT;\n" +
			"SIGHUP reloads the config. Only the daemon serves metrics. --once runs one cycle and exits\n" +
			"with its code. reaper acts only when the config says dry_run: false; --dry-run forces\n" +
			"dry-run, and nothing on the command line can force acting.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return cmdRun(ctx, env, o) }),
	}
	configFlag(c.Flags(), &o.config)
	c.Flags().BoolVar(&o.once, "once", false, "run one cycle and exit")
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "force dry-run (nothing on the command line can force acting)")
	return c
}

type runOptions struct {
	config       string
	once, dryRun bool
}

func cmdRun(ctx context.Context, env Env, o runOptions) int {
	path := configPath(env, o.config)
	if !o.once {
		return runDaemon(ctx, env, path, o.dryRun)
	}
	cfg, err := loadConfig(env, path, true)
	if err != nil {
		return fail(env, err)
	}
	return cycleOnce(ctx, env, cfg, reconcile.CommandRun, o.dryRun, "", false, path, "")
}

func planCommand(cl *cli) *cobra.Command {
	var o planOptions
	c := &cobra.Command{
		Use:   "plan",
		Short: "one cycle that never acts; writes the report and prints a summary",
		Long: "Run one cycle that never acts and writes nothing to Zenlayer (no mark tags, in any mode): it\n" +
			"writes its report to the report directory (or --report-dir) and prints a summary table.\n" +
			"--out FILE also writes the plan file (as terraform plan -out) that `reaper apply FILE`\n" +
			"acts on after review. It exits 0 whether or not there are candidates; with\n" +
			"--detailed-exitcode it exits 2 when there are (as terraform plan does). It exits 3 when a\n" +
			"safety limit would block the same cycle run for real.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return cmdPlan(ctx, env, o) }),
	}
	configFlag(c.Flags(), &o.config)
	c.Flags().StringVar(&o.out, "out", "", "also write the plan file here, for `reaper apply FILE`")
	c.Flags().StringVar(&o.reportDir, "report-dir", "", "write the report here instead of the report directory")
	c.Flags().BoolVar(&o.detailed, "detailed-exitcode", false, "exit 2 when there are candidates (as terraform plan does)")
	return c
}

type planOptions struct {
	config, out, reportDir string
	detailed               bool
}

func cmdPlan(ctx context.Context, env Env, o planOptions) int {
	path := configPath(env, o.config)
	cfg, err := loadConfig(env, path, true)
	if err != nil {
		return fail(env, err)
	}
	return cycleOnce(ctx, env, cfg, reconcile.CommandPlan, false, o.reportDir, o.detailed, path, o.out)
}

// cycleOnce runs a single cycle (run --once, plan), prints the summary and returns the exit code.
// The cycle is bounded as the daemon's are: by cycle_timeout, or 80% of the schedule's shortest
// interval.
//
// configPath names the config in a plan's apply command; planFile is plan --out FILE.
func cycleOnce(ctx context.Context, env Env, cfg *config.Config, command string, forceDry bool, outDir string, detailed bool, configPath, planFile string) int {
	log := newLogger(env, cfg.Log)
	for _, w := range cfg.Warnings {
		log.Warn("config warning", "warning", w)
	}
	timeout, err := cycleDeadline(cfg, env.now())
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := withDeadline(ctx, timeout, "cycle_timeout")
	defer cancel()
	holder := holderPlan
	if command == reconcile.CommandRun {
		holder = holderOnce
	}
	store, err := openState(ctx, cfg, env.now, holder)
	if err != nil {
		return fail(env, err)
	}
	defer store.Close()
	var lead campaigner
	cycleStore := store
	switch _, shared := store.(sharedState); {
	case command == reconcile.CommandRun: // takes leadership of a shared state, or refuses
		if lead, err = leadOnce(ctx, "run --once", store, nodeName(cfg), log); err != nil {
			return fail(env, err)
		}
		if lead != nil {
			defer lead.Release(context.WithoutCancel(ctx))
		}
	case shared: // plan needs no leadership and changes nothing the leader keeps
		cycleStore = planStore{store}
	}
	rt, err := buildLoaded(ctx, cfg, log, nil, oneCommand)
	if err != nil {
		return fail(env, err)
	}
	c := &cycler{env: env, log: log, store: cycleStore, notify: record.NewAnnouncer(cfg.Notify, cycleStore, log), fence: fencer(lead),
		configPath: configPath, planFile: planFile}
	run, werr := c.run(ctx, rt, command, forceDry, outDir)
	if run == nil {
		return fail(env, werr)
	}
	record.Summary(env.Stdout, run)
	if err := run.Result.Err; err != nil {
		fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(apiError(command, err).Error()))
		printPanicStack(env, err)
	}
	code := exitCode(run.Result, detailed && command == reconcile.CommandPlan)
	if werr != nil {
		fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(werr.Error()))
		return exitFailure
	}
	return code
}
