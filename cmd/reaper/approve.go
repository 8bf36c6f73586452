package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/plan"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/record"
	"github.com/reaper-bmc/reaper/internal/state"
)

// approvedPlan is a plan file that passed every check apply makes without the state and the API:
// it is well formed and not edited, not expired, made for this config's endpoint, config digest
// and policy digest, under a mode that terminates, and --only/--exclude name its instances.
type approvedPlan struct {
	plan  *plan.Plan
	items []plan.Item // what --only and --exclude leave
}

// selectError is an --only/--exclude ID that is not in the plan: a usage error on the command
// line, a refusal in the daemon.
type selectError struct{ err error }

func (e *selectError) Error() string { return e.err.Error() }

// checkPlan makes the checks of `reaper apply` that need neither the state nor the API, against
// rt's config (configPath names it in messages). Every error but a *selectError is a refusal.
func checkPlan(rt *loaded, configPath, name string, data []byte, only, exclude []string, now time.Time) (*approvedPlan, error) {
	if perm := reconcile.Permit(rt.cfg.Mode, false, reconcile.CommandApply); !perm.Terminate {
		return nil, fmt.Errorf("apply needs mode: approve or enforce in %s; its mode is %s", configPath, perm.Mode)
	}
	p, err := plan.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	items, err := p.Select(only, exclude)
	if err != nil {
		return nil, &selectError{err}
	}
	digest, err := plan.ConfigDigest(rt.settings)
	if err != nil {
		return nil, err
	}
	if err := p.Check(plan.Expect{Now: now, Endpoint: rt.cfg.Zenlayer.Endpoint, ConfigDigest: digest, PolicyDigest: rt.engine.Digest()}); err != nil {
		return nil, err
	}
	return &approvedPlan{plan: p, items: items}, nil
}

// applier runs an approved plan: the one apply path of `reaper apply` and of a daemon applying a
// queued approval.
type applier struct {
	env     Env
	log     *slog.Logger
	store   state.Backend
	fence   reconcile.Fencer  // nil without leadership (bbolt)
	metrics *metrics.Metrics  // nil outside the daemon
	notify  *record.Announcer // the config's notifications
}

// apply describes every item again and terminates those still due, unchanged and passing every
// guard, within the blast-radius limits, claiming the plan once (reconcile.Reconciler.Apply), and
// records the run as runID (a queued approval's take names it): report (command apply,
// plan_run_id), metrics, notifications. res is nil when
// the apply did not start (err says why: a *reconcile.RefusedError, or the store); run is nil
// when it could not be recorded.
func (a applier) apply(ctx context.Context, rt *loaded, ap *approvedPlan, runID string) (run *record.Run, res *reconcile.Result, err error) {
	c := &cycler{env: a.env, log: a.log, store: a.store, metrics: a.metrics}
	rec, err := reconcile.New(reconcile.Options{
		API: rt.client, Evaluator: c.timedEvaluator(rt.engine), Store: a.store,
		Enricher: newEnricher(rt.client, a.store, rt.cfg, a.log), Fence: a.fence, Settings: rt.settings, Now: a.env.now, Logger: a.log,
	})
	if err != nil {
		return nil, nil, err
	}
	ac := reconcile.ApplyCycle{RunID: runID, PlanRunID: ap.plan.RunID, InventorySize: ap.plan.InventorySize,
		Fingerprint: plan.Fingerprint}
	for _, it := range ap.items {
		ac.Items = append(ac.Items, reconcile.ApplyItem{ID: it.ID, Name: it.Name, DueAt: it.DueAt,
			Reasons: it.PolicyReasons(), Fingerprint: it.Fingerprint})
	}
	res, err = rec.Apply(ctx, ac, a.store)
	if res == nil {
		return nil, nil, err
	}
	run, werr := record.New(record.Options{
		Config: rt.cfg, Policies: rt.engine, Params: rt.settings.Params, Metrics: a.metrics, Announcer: a.notify, Logger: a.log,
	}).Record(ctx, res)
	return run, res, werr
}

// applyExit is the exit code of an apply that ran (res not nil): the cycle's, or 1 when its
// report could not be written.
func applyExit(res *reconcile.Result, werr error) int {
	if werr != nil {
		return exitFailure
	}
	return exitCode(res, false)
}

// isRefusal reports whether err is an apply refused before it started.
func isRefusal(err error) bool {
	var refused *reconcile.RefusedError
	return errors.As(err, &refused)
}
