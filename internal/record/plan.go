package record

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/reaper-bmc/reaper/internal/plan"
	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// PlanOptions say where a cycle's plan file goes and what it records of its origin.
type PlanOptions struct {
	// Meta is the plan's origin; its Now is ignored (a plan is made at its cycle's start, when
	// the inventory it rests on was listed).
	Meta plan.Meta
	// File is plan --out FILE. Empty: only an approve-mode run writes a plan, as
	// <run dir>/plan.json.
	File string
	// ConfigPath is the config file the cycle ran with, for the apply command the reports show.
	ConfigPath string
}

// plan returns the plan a cycle writes and where, or nil. Only a cycle whose inventory was
// complete (ok or blocked) makes one: an aborted cycle decided nothing.
func (r *Recorder) plan(res *reconcile.Result) (*plan.Plan, string) {
	o := r.opts.Plan
	if o == nil || (res.Status != reconcile.StatusOK && res.Status != reconcile.StatusBlocked) {
		return nil, ""
	}
	file := o.File
	if file == "" {
		if res.Command != reconcile.CommandRun || res.Permissions.Mode != reconcile.ModeApprove || res.Permissions.Terminate {
			return nil, ""
		}
		dir := r.opts.OutDir
		if dir == "" {
			dir = r.opts.Config.ReportDir()
		}
		file = filepath.Join(dir, res.RunID, plan.FileName)
	}
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	m := o.Meta
	m.Now = res.StartedAt
	return plan.Build(res, m), file
}

// writePlan writes the plan file atomically (a temporary file renamed over it), readable by its
// owner and group.
func writePlan(file string, p *plan.Plan) error {
	b, err := plan.Marshal(p)
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".plan-*.json")
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan %s: %w", file, err)
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan %s: %w", file, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write plan %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write plan %s: %w", file, err)
	}
	return nil
}

// ApplyCommand is the exact command that applies planFile under the config at configPath
// (omitted when empty), each path quoted for a POSIX shell where it needs to be.
func ApplyCommand(planFile, configPath string) string {
	cmd := "reaper apply " + shellQuote(planFile)
	if configPath != "" {
		if abs, err := filepath.Abs(configPath); err == nil {
			configPath = abs
		}
		cmd += " --config " + shellQuote(configPath)
	}
	return cmd
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
