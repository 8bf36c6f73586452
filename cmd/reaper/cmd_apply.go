package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/plan"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/record"
	"github.com/reaper-bmc/reaper/internal/report"
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
			"exits 3). --only and --exclude narrow the plan to some of its instance IDs.",
		Args: wantArgs("FILE"),
		RunE: cl.run(func(ctx context.Context, env Env, args []string) int { return cmdApply(ctx, env, o, args[0]) }),
	}
	configFlag(c.Flags(), &o.config)
	c.Flags().StringSliceVar(&o.only, "only", nil, "apply only these instance IDs of the plan (comma-separated)")
	c.Flags().StringSliceVar(&o.exclude, "exclude", nil, "leave these instance IDs of the plan out (comma-separated)")
	return c
}

type applyOptions struct {
	config        string
	only, exclude []string
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
	p, err := plan.Parse(b)
	if err != nil {
		return refuse(env, fmt.Errorf("%s: %w", file, err))
	}
	items, err := p.Select(o.only, o.exclude)
	if err != nil {
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
	rt, err := buildLoaded(ctx, cfg, log, nil)
	if err != nil {
		return fail(env, err)
	}
	s := rt.settings
	digest, err := plan.ConfigDigest(s)
	if err != nil {
		return fail(env, err)
	}
	if err := p.Check(plan.Expect{Now: env.now(), Endpoint: cfg.Zenlayer.Endpoint, ConfigDigest: digest, PolicyDigest: rt.engine.Digest()}); err != nil {
		return refuse(env, err)
	}
	store, err := openState(ctx, cfg, env.now)
	if err != nil {
		return fail(env, err)
	}
	defer store.Close()
	// apply terminates, so on a shared state it needs leadership as run --once does, and fences
	// every intent and call with it.
	lead, err := leadOnce(ctx, "apply", store, nodeName(cfg), log)
	if err != nil {
		return fail(env, err)
	}
	if lead != nil {
		defer lead.Release(context.WithoutCancel(ctx))
	}
	c := &cycler{env: env, log: log, store: store}
	rec, err := reconcile.New(reconcile.Options{
		API: rt.client, Evaluator: c.timedEvaluator(rt.engine), Store: store,
		Enricher: newEnricher(rt.client, store, rt.cfg, log), Fence: fencer(lead), Settings: s, Now: env.now, Logger: log,
	})
	if err != nil {
		return fail(env, err)
	}
	ac := reconcile.ApplyCycle{RunID: report.NewRunID(env.now()), PlanRunID: p.RunID, InventorySize: p.InventorySize,
		Fingerprint: plan.Fingerprint}
	for _, it := range items {
		ac.Items = append(ac.Items, reconcile.ApplyItem{ID: it.ID, Name: it.Name, DueAt: it.DueAt,
			Reasons: it.PolicyReasons(), Fingerprint: it.Fingerprint})
	}
	res, err := rec.Apply(ctx, ac, store)
	var refused *reconcile.RefusedError
	if res == nil {
		if errors.As(err, &refused) {
			return refuse(env, err)
		}
		return fail(env, err)
	}
	run, werr := record.New(record.Options{
		Config: cfg, Policies: rt.engine, Params: s.Params, Announcer: record.NewAnnouncer(cfg.Notify, store, log), Logger: log,
	}).Record(ctx, res)
	if run == nil {
		return fail(env, werr)
	}
	record.Summary(env.Stdout, run)
	if err := res.Err; err != nil {
		if errors.As(err, &refused) {
			refuse(env, err)
		} else {
			fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(apiError(reconcile.CommandApply, err).Error()))
			printPanicStack(env, err)
		}
	}
	code := exitCode(res, false)
	if werr != nil {
		fmt.Fprintf(env.Stderr, "reaper: %s\n", inertLines(werr.Error()))
		return exitFailure
	}
	return code
}
