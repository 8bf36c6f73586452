package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/plan"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/record"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// loaded is everything built from one config: swapped whole on reload, never half applied.
type loaded struct {
	cfg    *config.Config
	engine *policy.Engine
	client *zen.Client
	// settings is what a cycle obeys, derived from cfg and engine once (merged params included).
	settings reconcile.Settings
	// cacheOnce loads engine's decision cache from the state before its first cycle.
	cacheOnce sync.Once
}

// buildLoaded loads policies and builds the client for cfg. It makes no network call.
func buildLoaded(ctx context.Context, cfg *config.Config, log *slog.Logger, m *metrics.Metrics, life engineLife) (*loaded, error) {
	engine, err := loadEngine(ctx, cfg, log, life)
	if err != nil {
		return nil, err
	}
	var observe func(action, code string, d time.Duration)
	if m != nil {
		observe = m.ObserveAPI
	}
	client, err := newClient(cfg, log, observe)
	if err != nil {
		return nil, err
	}
	return &loaded{cfg: cfg, engine: engine, client: client, settings: settings(cfg, engine)}, nil
}

// cycler runs one cycle and records it (internal/record): report files, metrics, notifications.
type cycler struct {
	env     Env
	log     *slog.Logger
	store   state.Backend
	metrics *metrics.Metrics  // nil outside the daemon
	notify  *record.Announcer // nil when no webhook is configured
	fence   reconcile.Fencer  // nil without leadership (bbolt)
	// configPath is the config file, named in the apply command of a plan's reports.
	configPath string
	// planFile is plan --out FILE; an approve-mode run writes <run dir>/plan.json without it.
	planFile string
}

// run executes one cycle with rt and records it. command is reconcile.CommandRun or
// CommandPlan; forceDry is --dry-run (reconcile.Permit decides); outDir overrides the report
// directory. The run is nil only when the cycle could not start. Errors are about reaper itself
// (reports could not be written); the cycle's own outcome is in Result.Status.
func (c *cycler) run(ctx context.Context, rt *loaded, command string, forceDry bool, outDir string) (*record.Run, error) {
	rec, err := reconcile.New(reconcile.Options{
		API:       rt.client,
		Evaluator: c.timedEvaluator(rt.engine),
		Store:     c.store,
		Enricher:  newEnricher(rt.client, c.store, rt.cfg, c.log),
		Fence:     c.fence,
		Tags:      rt.client, // mark tags, in the modes that write them (reconcile.Permit)
		Settings:  rt.settings,
		Now:       c.env.now,
		Logger:    c.log,
	})
	if err != nil {
		return nil, err
	}
	po, err := planFileOptions(rt, c.planFile, c.configPath)
	if err != nil {
		return nil, err
	}
	c.warmCache(rt)
	res, _ := rec.Run(ctx, reconcile.Cycle{RunID: report.NewRunID(c.env.now()), Command: command, DryRun: forceDry})
	c.saveCache(ctx, rt)
	return record.New(record.Options{
		Config: rt.cfg, Policies: rt.engine, Params: rt.settings.Params, OutDir: outDir, Metrics: c.metrics, Announcer: c.notify, Logger: c.log,
		Plan: po, Pricer: c.pricer(rt), Ledger: c.store,
	}).Record(ctx, res)
}

// planFileOptions is what a plan file made under rt records of its origin (README, Plans and approval).
func planFileOptions(rt *loaded, file, configPath string) (*record.PlanOptions, error) {
	digest, err := plan.ConfigDigest(rt.settings)
	if err != nil {
		return nil, err
	}
	return &record.PlanOptions{
		Meta: plan.Meta{TTL: rt.cfg.Approval.PlanTTL.D(), Endpoint: rt.cfg.Zenlayer.Endpoint,
			ConfigDigest: digest, PolicyDigest: rt.engine.Digest()},
		File: file, ConfigPath: configPath,
	}, nil
}

// timedEvaluator measures policy evaluation for the metrics.
func (c *cycler) timedEvaluator(e *policy.Engine) reconcile.Evaluator {
	if c.metrics == nil {
		return e
	}
	return evalFunc(func(ctx context.Context, now time.Time, p map[string]any, in []policy.Instance) ([]policy.Decision, error) {
		start := time.Now()
		defer func() { c.metrics.ObservePolicyEval(time.Since(start)) }()
		return e.Evaluate(ctx, now, p, in)
	})
}

type evalFunc func(ctx context.Context, now time.Time, p map[string]any, in []policy.Instance) ([]policy.Decision, error)

func (f evalFunc) Evaluate(ctx context.Context, now time.Time, p map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	return f(ctx, now, p, in)
}

// exitCode maps a cycle to the process exit code (README, Commands and exit codes).
func exitCode(res *reconcile.Result, detailed bool) int {
	switch {
	case res.Status == reconcile.StatusAborted, res.Status == reconcile.StatusFailed, res.Failures() > 0:
		return exitFailure
	case res.Status == reconcile.StatusBlocked:
		return exitBlocked
	}
	if detailed {
		c := res.Count()
		if c[reconcile.ActionWouldTerminate]+c[reconcile.ActionMarked] > 0 {
			return exitUsage
		}
	}
	return exitOK
}

// pricer prices instances for the report from rt's config and client, caching in the store.
// With leadership (PostgreSQL) it first proves, like every action, that this process still leads:
// a cut-off leader makes no further API call, not even for prices.
func (c *cycler) pricer(rt *loaded) record.Pricer {
	p := rt.cfg.Pricing
	pr := pricing.New(pricing.Config{Override: p.Monthly, Bills: p.Bills, Refresh: p.Refresh.D()},
		rt.client, c.store, c.env.now, c.log)
	if c.fence == nil {
		return pr
	}
	return fencedPricer{pricer: pr, fence: c.fence}
}

type fencedPricer struct {
	pricer record.Pricer
	fence  reconcile.Fencer
}

func (f fencedPricer) Costs(ctx context.Context, in []pricing.Instance) ([]pricing.Cost, []string) {
	if err := f.fence.Fence(context.WithoutCancel(ctx)); err != nil {
		return nil, []string{"prices not read: leadership not proven: " + err.Error()}
	}
	return f.pricer.Costs(ctx, in)
}
