package record

import (
	"context"
	"log/slog"
	"slices"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
)

// Policies is what a report says about the policies a cycle ran with (*policy.Engine).
type Policies interface {
	Digest() string
	Packages() []string
}

// Options configures a Recorder. Config and Policies are required; the rest is optional.
type Options struct {
	Config   *config.Config
	Policies Policies
	// Params are the merged policy params the cycle ran with (reconcile.Settings.Params: the
	// policies' defaults with the config's policies.params over them); owner notices quote the
	// snooze limit from them.
	Params map[string]any
	// OutDir writes the report there instead of the config's report directory (plan --out); the
	// retention of report.keep does not apply to it.
	OutDir string
	// Metrics receives the cycle's figures; nil outside the daemon.
	Metrics *metrics.Metrics
	// Announcer sends the cycle's notification events; nil when no webhook is configured.
	// Plan, when set, makes Record write the plan file (README, Plans and approval) of a cycle that did not act:
	// to Plan.File (plan --out FILE), or, for an approve-mode run, to <run dir>/plan.json.
	Plan      *PlanOptions
	Announcer *Announcer
	Logger    *slog.Logger
	// Pricer prices the instances and Ledger keeps the realized savings; nil leaves the costs to
	// the configured overrides and the cumulative savings out of the report.
	Pricer Pricer
	Ledger Ledger
}

// Recorder records finished cycles. Build one per cycle (or per loaded config) with New.
type Recorder struct {
	opts Options
	log  *slog.Logger
}

// New returns a Recorder for opts.
func New(opts Options) *Recorder {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{opts: opts, log: log}
}

// Run is one recorded cycle: the cycle's result, the report derived from it and where the report
// files went.
type Run struct {
	Result *reconcile.Result
	Report *report.Run
	// Dir is the run's report directory; empty when the report could not be written.
	Dir string
	// PlanFile is the plan file Record wrote, or "".
	PlanFile string
}

// Record derives everything from a finished cycle, in order: the report document, its files
// (and the retention of old ones), the metrics and the notification events. It returns the
// recorded run, never nil. The error is about reaper itself (the report could not be written); it
// is returned, not logged, so that the caller reports it once. The cycle's own outcome is in
// res.Status. Metrics and notifications are derived even when the files could not be written.
func (r *Recorder) Record(ctx context.Context, res *reconcile.Result) (*Run, error) {
	rep, rows := buildReport(res, r.opts.Config, r.opts.Policies)
	run := &Run{Result: res, Report: rep}
	r.price(ctx, res, rep, rows)
	var err error
	p, planFile := r.plan(res)
	if p != nil {
		run.Report.ApplyCommand = ApplyCommand(planFile, r.opts.Plan.ConfigPath)
	}
	run.Dir, err = r.write(run.Report)
	if p != nil && err == nil {
		if err = writePlan(planFile, p); err == nil {
			run.PlanFile = planFile
		}
	}
	Observe(r.opts.Metrics, res, run.Report)
	if a := r.opts.Announcer; a != nil {
		a.Announce(ctx, run.Report)
		a.owners.Notify(ctx, res, run.Report, snoozeMax(r.opts.Params))
	}
	return run, err
}

// write writes the report files and applies report.keep to the report directory.
func (r *Recorder) write(rep *report.Run) (string, error) {
	cfg := r.opts.Config
	dir := r.opts.OutDir
	if dir == "" {
		dir = cfg.ReportDir()
	}
	runDir, err := report.WriteWith(dir, rep, Formats(cfg.Report.Formats),
		report.Options{Compress: cfg.Report.Compress, TrendRuns: cfg.Report.TrendRuns})
	if err == nil && cfg.Report.Keep > 0 && r.opts.OutDir == "" {
		if _, err := report.Prune(dir, cfg.Report.Keep); err != nil {
			r.log.Warn("report retention failed", "error", err)
		}
	}
	return runDir, err
}

// Formats is the configured report formats with json added: report list, show, diff and
// retention read report.json, so every run writes it whatever report.formats says.
func Formats(configured []string) []string {
	if slices.Contains(configured, report.FormatJSON) {
		return configured
	}
	return append([]string{report.FormatJSON}, configured...)
}

// snoozeMax is how far ahead reaper-snooze-until may reach, as owner notices say it: the merged
// params' snooze.max (the bundled default, or the config's), or "" when the loaded policies have
// none.
func snoozeMax(params map[string]any) string {
	if p, ok := params["snooze"].(map[string]any); ok {
		if s, ok := p["max"].(string); ok {
			return s
		}
	}
	return ""
}
