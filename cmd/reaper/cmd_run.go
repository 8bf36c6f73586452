package main

import (
	"context"
	"fmt"

	"github.com/reaper-bmc/reaper/internal/config"
)

func cmdRun(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "run", "[--config F] [--once] [--dry-run]")
	cfgFlag := configFlag(fs)
	once := fs.Bool("once", false, "run one cycle and exit")
	dry := fs.Bool("dry-run", false, "force dry-run (nothing on the command line can force acting)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(env, "run takes no arguments, got %q", fs.Args())
	}
	path := configPath(env, *cfgFlag)
	if !*once {
		return runDaemon(ctx, env, path, *dry)
	}
	cfg, err := loadConfig(env, path, true)
	if err != nil {
		return fail(env, err)
	}
	dryRun := *dry || !cfg.MayAct()
	return cycleOnce(ctx, env, cfg, "run", dryRun, "", false)
}

func cmdPlan(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "plan", "[--config F] [--out DIR] [--detailed-exitcode]")
	cfgFlag := configFlag(fs)
	out := fs.String("out", "", "write the report here instead of the report directory")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when there are candidates (as terraform plan does)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageErr(env, "plan takes no arguments, got %q", fs.Args())
	}
	cfg, err := loadConfig(env, configPath(env, *cfgFlag), true)
	if err != nil {
		return fail(env, err)
	}
	return cycleOnce(ctx, env, cfg, "plan", true, *out, *detailed)
}

// cycleOnce runs a single cycle (run --once, plan), prints the summary and returns the exit code.
// The cycle is bounded as the daemon's are: by cycle_timeout, or 80% of the schedule's shortest
// interval.
func cycleOnce(ctx context.Context, env Env, cfg *config.Config, command string, dryRun bool, outDir string, detailed bool) int {
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
	store, err := openState(ctx, cfg, env.now)
	if err != nil {
		return fail(env, err)
	}
	defer store.Close()
	var lead campaigner
	cycleStore := store
	switch _, shared := store.(sharedState); {
	case command == "run": // takes leadership of a shared state, or refuses
		if lead, err = leadOnce(ctx, store, nodeName(cfg), log); err != nil {
			return fail(env, err)
		}
		if lead != nil {
			defer lead.Release(context.WithoutCancel(ctx))
		}
	case shared: // plan needs no leadership and changes nothing the leader keeps
		cycleStore = planStore{store}
	}
	rt, err := buildLoaded(ctx, cfg, log, nil)
	if err != nil {
		return fail(env, err)
	}
	c := &cycler{env: env, log: log, store: cycleStore, notify: newAnnouncer(cfg, store, log), fence: fencer(lead)}
	cr, werr := c.run(ctx, rt, command, dryRun, outDir)
	if cr == nil {
		return fail(env, werr)
	}
	printSummary(env.Stdout, cr)
	if err := cr.res.Err; err != nil {
		fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(apiError(command, err).Error()))
		printPanicStack(env, err)
	}
	code := exitCode(cr.res, detailed && command == "plan")
	if werr != nil {
		fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(werr.Error()))
		return exitFailure
	}
	return code
}
