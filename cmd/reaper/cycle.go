package main

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// loaded is everything built from one config: swapped whole on reload, never half applied.
type loaded struct {
	cfg    *config.Config
	engine *policy.Engine
	client *zen.Client
}

// buildLoaded loads policies and builds the client for cfg. It makes no network call.
func buildLoaded(ctx context.Context, cfg *config.Config, log *slog.Logger, m *metrics.Metrics) (*loaded, error) {
	engine, err := loadEngine(ctx, cfg, log)
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
	return &loaded{cfg: cfg, engine: engine, client: client}, nil
}

// cycler runs one cycle and everything derived from it: report files, metrics, notifications.
type cycler struct {
	env     Env
	log     *slog.Logger
	store   state.Backend
	metrics *metrics.Metrics // nil outside the daemon
	notify  *announcer       // nil when no webhook is configured
	fence   reconcile.Fencer // nil without leadership (bbolt)
}

// cycleRun is one finished cycle: the reconcile result and where its report went.
type cycleRun struct {
	res       *reconcile.Result
	report    *report.Run
	reportDir string
}

// run executes one cycle with rt. command is "run" or "plan"; outDir overrides the report
// directory. Errors here are about reaper itself (reports could not be written); the cycle's own
// outcome is in res.Status.
func (c *cycler) run(ctx context.Context, rt *loaded, command string, dryRun bool, outDir string) (*cycleRun, error) {
	cfg := rt.cfg
	rec, err := reconcile.New(reconcile.Options{
		API:       rt.client,
		Evaluator: c.timedEvaluator(rt.engine),
		Store:     c.store,
		Enricher:  newEnricher(rt.client, c.store, c.log),
		Fence:     c.fence,
		Settings:  settings(cfg, rt.engine),
		Now:       c.env.now,
		Logger:    c.log,
	})
	if err != nil {
		return nil, err
	}
	runID := report.NewRunID(c.env.now())
	res, _ := rec.Run(ctx, reconcile.Cycle{RunID: runID, Command: command, DryRun: dryRun})

	rep := toReport(res, cfg, rt.engine)
	dir := outDir
	if dir == "" {
		dir = cfg.ReportDir()
	}
	out := &cycleRun{res: res, report: rep}
	var werr error
	out.reportDir, werr = report.Write(dir, rep, withJSON(cfg.Report.Formats))
	// A report not written is returned, not logged: the caller reports it once (the daemon's
	// "cycle failed", the command's error line).
	if werr == nil && cfg.Report.Keep > 0 && outDir == "" {
		if _, err := report.Prune(dir, cfg.Report.Keep); err != nil {
			c.log.Warn("report retention failed", "error", err)
		}
	}
	c.observe(res, rep)
	if c.notify != nil {
		c.notify.announce(ctx, rep)
	}
	return out, werr
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

// observe derives the metrics from the cycle's result and its report. Candidates by policy are
// the report's by_policy (instances per policy), so the metric and the report always agree.
func (c *cycler) observe(res *reconcile.Result, rep *report.Run) {
	m := c.metrics
	if m == nil {
		return
	}
	ok := res.Status == reconcile.StatusOK && res.Failures() == 0
	m.ObserveCycle(string(res.Status), res.FinishedAt.Sub(res.StartedAt), ok, res.FinishedAt)
	if res.Block != nil {
		m.AddBlocked(res.Block.Limit)
	}
	m.AddTrafficCalls(res.TrafficCalls)
	if !res.InventoryComplete {
		return
	}
	byStatus := map[string]int{}
	for _, e := range res.Entries {
		byStatus[string(e.Instance.Status)]++
		switch e.Action {
		case reconcile.ActionTerminated, reconcile.ActionFailed, reconcile.ActionUnconfirmed:
			m.AddTermination(string(e.Action))
		case reconcile.ActionSkipped:
			if e.RequestID != "" { // the API refused the call
				m.AddTermination("refused_" + e.SkipReason)
			}
		}
	}
	m.SetInstances(byStatus)
	m.SetCandidates(rep.Summary.ByPolicy)
}

// isCandidate is report.IsCandidate for a reconcile action: one definition of a candidate.
func isCandidate(a reconcile.Action) bool { return report.IsCandidate(string(a)) }

// exitCode maps a cycle to the process exit code (DESIGN.md §3).
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

// withJSON adds json to the formats: report list, show, diff and retention read report.json, so
// every run writes it whatever report.formats says.
func withJSON(formats []string) []string {
	if slices.Contains(formats, report.FormatJSON) {
		return formats
	}
	return append([]string{report.FormatJSON}, formats...)
}
