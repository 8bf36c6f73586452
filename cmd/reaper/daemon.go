package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/record"
	"github.com/reaper-bmc/reaper/internal/scheduler"
	"github.com/reaper-bmc/reaper/internal/sdnotify"
	"github.com/reaper-bmc/reaper/internal/state"
)

// daemon is `reaper run` without --once: cycles on the schedule, reloads on SIGHUP, serves
// metrics, and talks to systemd.
type daemon struct {
	env      Env
	path     string
	forceDry bool
	log      *slog.Logger
	store    state.Backend
	metrics  *metrics.Metrics
	sd       *sdnotify.Notifier
	runner   *scheduler.Runner
	lead     campaigner // nil with bbolt: the only reaper on the store always leads
	node     string
	queue    approvalQueue // approvals `reaper apply` left for this reaper
	// cycleMu is held by a cycle and by a look at the approval queue: never both at once.
	cycleMu sync.Mutex
	// unfinished holds the outcomes this reaper computed but could not record, by approval
	// (cycleMu): recorded at a later look while the approval still carries this reaper's take.
	unfinished map[string]state.ApprovalOutcome

	mu          sync.Mutex
	rt          *loaded
	ann         *record.Announcer
	sched       scheduler.Schedule
	lastSuccess time.Time
	lastResult  string
	probe       apiProbe // /readyz before the first cycle has finished
	campaignErr error    // why the last campaign for leadership failed; nil when it leads
}

func runDaemon(ctx context.Context, env Env, path string, forceDry bool) int {
	cfg, err := loadConfig(env, path, true)
	if err != nil {
		return fail(env, err)
	}
	log := newLogger(env, cfg.Log)
	for _, w := range cfg.Warnings {
		log.Warn("config warning", "warning", w)
	}
	sched, err := scheduler.Parse(cfg.Schedule, cfg.Timezone)
	if err != nil {
		return fail(env, err)
	}
	store, err := openState(ctx, cfg, env.now, holderDaemon)
	if err != nil {
		return fail(env, err)
	}
	defer store.Close()
	m := record.NewMetrics()
	_ = m.SetBuildInfo(buildInfo())
	lead, err := newLeadership(store, nodeName(cfg), log, m.SetLeader)
	if err != nil {
		return fail(env, err)
	}
	if lead == nil {
		m.SetLeader(true)
	}
	rt, err := buildLoaded(ctx, cfg, log, m, daemonCycles)
	if err != nil {
		return fail(env, err)
	}
	d := &daemon{env: env, path: path, forceDry: forceDry, log: log, store: store, metrics: m,
		sd: sdnotify.New(env.Getenv("NOTIFY_SOCKET")), rt: rt, ann: record.NewAnnouncer(cfg.Notify, store, log), sched: sched, lead: lead,
		node: nodeName(cfg), queue: queueFor(cfg, store), unfinished: map[string]state.ApprovalOutcome{}}
	if in, ok := d.queue.(*state.Inbox); ok {
		if err := in.Prepare(); err != nil { // made by the daemon's user, so apply run as root writes files it can read
			log.Error("cannot create the approval inbox", "dir", in.Dir(), "error", err)
		}
	}
	d.runner = scheduler.New(scheduler.Options{
		Schedule: sched, Jitter: cfg.ScheduleJitter.D(), Timeout: cfg.CycleTimeout.D(), Clock: env.Clock, Logger: log,
		OnPanic: func(v any) { m.ObserveCycle(metrics.CyclePanic, 0, false, env.now()) },
	})
	return d.serve(ctx, cfg)
}

// serve runs until ctx is cancelled (SIGTERM/SIGINT) or the metrics listener fails.
func (d *daemon) serve(ctx context.Context, cfg *config.Config) int {
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel(nil) // before the wait: however serve returns, its goroutines are told to stop
	if addr := cfg.Metrics.Listen; addr != "" {
		wg.Go(goContained(d.log, cancel, "metrics", func() {
			if err := metrics.Serve(ctx, addr, d.metrics, d.ready, d.log); err != nil {
				cancel(fmt.Errorf("metrics listener %s: %w", addr, err))
			}
		}))
	}
	wg.Go(goContained(d.log, cancel, "api probe", func() {
		d.probe.run(ctx, d.pinger, cfg.Zenlayer.Timeout.D(), d.log)
	}))
	wg.Go(goContained(d.log, cancel, "watchdog", func() { d.watchdog(ctx) }))
	wg.Go(goContained(d.log, cancel, "reload", func() { d.reloads(ctx) }))
	wg.Go(goContained(d.log, cancel, "approvals", func() { d.pollApprovals(ctx) }))

	d.log.Info("reaper started", "version", version, "schedule", cfg.Schedule, "timezone", cfg.Timezone,
		"mode", reconcile.Permit(cfg.Mode, d.forceDry, reconcile.CommandRun).Mode, "state_dir", cfg.StateDir, "metrics", cfg.Metrics.Listen)
	d.campaign(ctx)
	_ = d.sd.Ready()
	err := d.runner.Run(ctx, d.job)
	_ = d.sd.Stopping()
	if d.lead != nil {
		d.lead.Release(context.WithoutCancel(ctx))
	}
	d.log.Info("reaper stopping")
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return fail(d.env, cause)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fail(d.env, err)
	}
	return exitOK
}

// job is one scheduled cycle with the config loaded when it starts. Afterwards the cycle's
// garbage goes back to the OS at once: between cycles the daemon should be small. (The first GC
// moves sync.Pool contents, such as encoding/json's buffers, to their victim caches; the GC inside
// FreeOSMemory drops them.)
func (d *daemon) job(ctx context.Context) error {
	defer func() {
		runtime.GC()
		debug.FreeOSMemory()
	}()
	d.cycleMu.Lock()
	defer d.cycleMu.Unlock()
	if !d.campaign(ctx) {
		return nil // standing by: another reaper leads
	}
	d.drainApprovals(ctx)
	d.mu.Lock()
	rt, ann := d.rt, d.ann
	d.mu.Unlock()
	c := &cycler{env: d.env, log: d.log, store: d.store, metrics: d.metrics, notify: ann, fence: fencer(d.lead), configPath: d.path}
	run, err := c.run(ctx, rt, reconcile.CommandRun, d.forceDry, "")
	if run == nil {
		return err
	}
	d.mu.Lock()
	d.lastResult = string(run.Result.Status)
	if record.Succeeded(run.Result) {
		d.lastSuccess = run.Result.FinishedAt
	}
	d.mu.Unlock()
	if err != nil {
		return err
	}
	return explainAPI(run.Result.Err)
}

// ready is /readyz: on a standby, whether another reaper leads (see standby); before any cycle
// has finished, the API check (see apiProbe); afterwards, the last cycle succeeded within two
// intervals.
func (d *daemon) ready() (bool, string) {
	if standing, ok, why := d.standby(); standing {
		return ok, why
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lastSuccess.IsZero() && d.lastResult == "" {
		return d.probe.status()
	}
	if d.lastSuccess.IsZero() {
		return false, "no successful cycle yet (last result: " + orNone(d.lastResult) + ")"
	}
	window := 2 * d.sched.MinInterval(d.env.now())
	age := d.env.now().Sub(d.lastSuccess)
	if age > window {
		return false, fmt.Sprintf("last successful cycle %s ago, more than two intervals (%s)", age.Round(time.Second), window)
	}
	return true, fmt.Sprintf("ready: last successful cycle %s ago", age.Round(time.Second))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// reloads applies SIGHUPs: a new config and policies are loaded and checked completely before
// they replace the old ones; anything invalid keeps the old ones running.
func (d *daemon) reloads(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.env.Reload:
			_ = d.sd.Reloading()
			if err := d.reload(ctx); err != nil {
				d.metrics.AddReload("error")
				d.log.Error("reload failed, keeping the running config", "error", err)
			} else {
				d.metrics.AddReload("ok")
				d.log.Info("reloaded", "config", d.path)
			}
			_ = d.sd.Ready()
		}
	}
}

func (d *daemon) reload(ctx context.Context) error {
	cfg, err := loadConfig(d.env, d.path, true)
	if err != nil {
		return err
	}
	sched, err := scheduler.Parse(cfg.Schedule, cfg.Timezone)
	if err != nil {
		return err
	}
	rt, err := buildLoaded(ctx, cfg, d.log, d.metrics, daemonCycles)
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := d.rt.cfg
	d.rt, d.ann, d.sched = rt, record.NewAnnouncer(cfg.Notify, d.store, d.log), sched
	d.mu.Unlock()
	d.runner.SetSchedule(sched)
	for _, k := range restartOnly(old, cfg) {
		d.log.Warn("setting changed but needs a restart", "key", k)
	}
	return nil
}

// restartOnly lists the settings a reload cannot apply.
func restartOnly(a, b *config.Config) []string {
	var out []string
	if a.StateDir != b.StateDir {
		out = append(out, "state_dir")
	}
	if a.State != b.State {
		out = append(out, "state")
	}
	if a.Metrics.Listen != b.Metrics.Listen {
		out = append(out, "metrics.listen")
	}
	if a.Log != b.Log {
		out = append(out, "log")
	}
	if a.ScheduleJitter != b.ScheduleJitter || a.CycleTimeout != b.CycleTimeout {
		out = append(out, "schedule_jitter/cycle_timeout")
	}
	return out
}

// watchdog pings systemd at half of WatchdogSec while the daemon is alive.
func (d *daemon) watchdog(ctx context.Context) {
	every := sdnotify.WatchdogInterval(d.env.Getenv("WATCHDOG_USEC"), d.env.Getenv("WATCHDOG_PID"), os.Getpid())
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = d.sd.Watchdog()
		}
	}
}
