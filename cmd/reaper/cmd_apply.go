package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/leader"
	"github.com/reaper-bmc/reaper/internal/plan"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/record"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
)

func applyCommand(cl *cli) *cobra.Command {
	var o applyOptions
	c := &cobra.Command{
		Use:   "apply FILE",
		Short: "act on exactly an approved plan file (reaper plan --out FILE)",
		Long: "Terminate the instances of an approved plan file, and nothing else. The config must say\n" +
			"mode: approve or enforce. A plan that expired, was edited, was already applied, or was made\n" +
			"for another endpoint, config or policy set is refused (exit 1, nothing terminated). Every\n" +
			"item is described again: only those still due, unchanged and passing every guard are\n" +
			"terminated; the others are skipped (changed). The blast-radius limits apply (a blocked apply\n" +
			"exits 3). --only and --exclude narrow the plan to some of its instance IDs.\n\n" +
			"While a reaper daemon holds the state (the bbolt state directory's lock, or leadership of a\n" +
			"shared PostgreSQL state), apply makes every check it can without it and queues the approval\n" +
			"for that daemon (the state directory's inbox, or the shared approvals table), which checks\n" +
			"the plan again against its own config and applies it within 15s, after any cycle in progress,\n" +
			"writing its own apply report. --wait (alone: 30m; a duration as --wait=10m) waits for that\n" +
			"apply and exits as it did (0, 1 refused or failed, 3 blocked), or 4 when the wait runs out\n" +
			"(the approval stays queued). While a one-off reaper (plan, run --once, another apply) holds\n" +
			"the bbolt state directory, apply queues nothing and fails, naming it.",
		Args: applyArgs,
		RunE: cl.run(func(ctx context.Context, env Env, args []string) int { return cmdApply(ctx, env, o, args[0]) }),
	}
	configFlag(c.Flags(), &o.config)
	c.Flags().StringSliceVar(&o.only, "only", nil, "apply only these instance IDs of the plan (comma-separated)")
	c.Flags().StringSliceVar(&o.exclude, "exclude", nil, "leave these instance IDs of the plan out (comma-separated)")
	c.Flags().DurationVar(&o.wait, "wait", 0, "when the running reaper takes the approval, wait up to this long (--wait alone: 30m) for its apply and exit as it did")
	c.Flags().Lookup("wait").NoOptDefVal = "30m"
	return c
}

// applyArgs is FILE, and names the fix for `--wait 10m`: an optional value follows an "=".
func applyArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 2 && cmd.Flags().Changed("wait") {
		if _, err := time.ParseDuration(args[1]); err == nil {
			return fmt.Errorf("apply takes only FILE, got %q: write --wait=%s (the wait's duration follows an =)", args, args[1])
		}
	}
	return wantArgs("FILE")(cmd, args)
}

type applyOptions struct {
	config        string
	only, exclude []string
	wait          time.Duration // --wait: how long to wait for a queued approval's outcome
}

// refuse prints why an apply did not start, on one line, and returns exitFailure.
func refuse(env Env, err error) int {
	line := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintf(env.Stderr, "reaper: apply refused: %s\n", inert.Text(line))
	return exitFailure
}

func cmdApply(ctx context.Context, env Env, o applyOptions, file string) int {
	path := configPath(env, o.config)
	cfg, err := loadConfig(env, path, true)
	if err != nil {
		return fail(env, err)
	}
	if perm := reconcile.Permit(cfg.Mode, false, reconcile.CommandApply); !perm.Terminate {
		return refuse(env, fmt.Errorf("apply needs mode: approve or enforce in %s; its mode is %s", path, perm.Mode))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return fail(env, fmt.Errorf("read plan: %w", err))
	}
	if p, err := plan.Parse(b); err != nil {
		return refuse(env, fmt.Errorf("%s: %w", file, err))
	} else if _, err := p.Select(o.only, o.exclude); err != nil {
		return usageErr(env, "%s", inert.Text(err.Error()))
	}
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
	rt, err := buildLoaded(ctx, cfg, log, nil, oneCommand)
	if err != nil {
		return fail(env, err)
	}
	ap, err := checkPlan(rt, path, file, b, o.only, o.exclude, env.now())
	if err != nil {
		return refuse(env, err)
	}
	store, err := openState(ctx, cfg, env.now, holderApply)
	if locked := (*state.LockedError)(nil); errors.As(err, &locked) {
		if locked.Holder != holderDaemon {
			return fail(env, stateBusy(locked))
		}
		// A daemon holds the state directory: hand the approval to it.
		return queueApproval(ctx, env, o, cfg, ap, b, state.NewInbox(cfg.StateDir), err)
	}
	if err != nil {
		return fail(env, err)
	}
	defer store.Close()
	// apply terminates, so on a shared state it needs leadership as run --once does, and fences
	// every intent and call with it.
	lead, err := leadOnce(ctx, "apply", store, nodeName(cfg), log)
	if q, ok := store.(approvalQueue); ok && errors.As(err, new(*leader.HeldError)) {
		// Another reaper leads the shared state: queue the approval for whichever leads.
		if applied, ok, merr := store.Meta(reconcile.AppliedKey(ap.plan.RunID)); merr != nil {
			return fail(env, merr)
		} else if ok {
			return refuse(env, fmt.Errorf("plan %s was already applied (%s); make a new plan", ap.plan.RunID, applied))
		}
		return queueApproval(ctx, env, o, cfg, ap, b, q, err)
	}
	if err != nil {
		return fail(env, err)
	}
	if lead != nil {
		defer lead.Release(context.WithoutCancel(ctx))
	}
	a := applier{env: env, log: log, store: store, fence: fencer(lead), notify: record.NewAnnouncer(cfg.Notify, store, log)}
	run, res, werr := a.apply(ctx, rt, ap, report.NewRunID(env.now()))
	if res == nil {
		if isRefusal(werr) {
			return refuse(env, werr)
		}
		return fail(env, werr)
	}
	if run == nil {
		return fail(env, werr)
	}
	record.Summary(env.Stdout, run)
	if err := res.Err; err != nil {
		if isRefusal(err) {
			refuse(env, err)
		} else {
			fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(apiError(reconcile.CommandApply, err).Error()))
			printPanicStack(env, err)
		}
	}
	if werr != nil {
		fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(werr.Error()))
	}
	return applyExit(res, werr)
}

// stateBusy is why apply neither acts nor queues while a reaper that is not the daemon (a plan,
// run --once, another apply, or one that does not say what it is) holds the state directory: only
// a running daemon takes a queued approval, so one queued now could wait for good.
func stateBusy(l *state.LockedError) error {
	who := "another reaper"
	if l.Holder != "" {
		who = l.Holder
	}
	if l.PID > 0 {
		who += fmt.Sprintf(" (pid %d)", l.PID)
	}
	if l.Holder == "" {
		who += ", which does not say what it is,"
	}
	return fmt.Errorf("apply: state directory %s is busy: %s holds it and is not a running reaper daemon, "+
		"the only reaper that takes a queued approval; nothing was queued or terminated: run reaper apply again once it has finished", l.Dir, who)
}
