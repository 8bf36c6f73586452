package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

const defaultConfigPath = "/etc/reaper/config.yaml"

// configFlag adds --config; shell completion offers YAML files.
func configFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "config", "", "config file (default $REAPER_CONFIG, else "+defaultConfigPath+")")
	_ = cobra.MarkFlagFilename(fs, "config", "yaml", "yml")
}

func configPath(env Env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := env.Getenv("REAPER_CONFIG"); p != "" {
		return p
	}
	return defaultConfigPath
}

// loadConfig loads and validates the config. Commands that talk to the API also require
// credentials; the others (validate, policy eval, report) do not.
func loadConfig(env Env, path string, needCredentials bool) (*config.Config, error) {
	cfg, err := config.Load(path, env.Getenv)
	if err != nil {
		if msg := strings.TrimSpace(err.Error()); !strings.Contains(msg, "\n") {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		return nil, fmt.Errorf("config %s:\n%w", path, indent(err))
	}
	if needCredentials {
		if err := cfg.ValidateCredentials(); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	return cfg, nil
}

// indent puts every line of a joined error on its own indented line.
func indent(err error) error {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}

// newLogger picks the handler: colour text on a terminal, JSON otherwise (journald, pipes),
// unless log.format says which.
func newLogger(env Env, c config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	tty := false
	if env.IsTTY != nil {
		tty = env.IsTTY()
	} else if f, ok := env.Stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return slog.New(secondsHandler{newInertHandler(logHandler(env.Stderr, c.Format, level, tty))})
}

func logHandler(w io.Writer, format string, level slog.Level, tty bool) slog.Handler {
	switch {
	case format == "json", format != "text" && !tty:
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	case format == "text" && !tty:
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	default:
		return tint.NewTextHandler(w, &tint.Options{Level: level, TimeFormat: time.TimeOnly})
	}
}

// newClient builds the Zenlayer client from the config. observe, when set, sees every HTTP
// attempt (for metrics).
func newClient(cfg *config.Config, log *slog.Logger, observe func(action, code string, d time.Duration)) (*zen.Client, error) {
	z := cfg.Zenlayer
	opts := []zen.Option{
		zen.WithEndpoint(z.Endpoint),
		zen.WithTimeout(z.Timeout.D()),
		zen.WithRequestsPerSecond(z.RequestsPerSecond),
		zen.WithLogger(log),
		zen.WithUserAgent("reaper/" + version),
	}
	if z.Token != "" {
		opts = append(opts, zen.WithToken(z.Token.Reveal()))
	} else {
		opts = append(opts, zen.WithAccessKey(z.AccessKeyID, z.AccessKeySecret.Reveal()))
	}
	if observe != nil {
		opts = append(opts, zen.WithObserver(observe))
	}
	c, err := zen.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("zenlayer client: %w", err)
	}
	return c, nil
}

// loadEngine compiles the configured policies, or the bundled ones. life says whether the engine
// serves a daemon's cycles or one command's (policy.Options.OneShot).
func loadEngine(ctx context.Context, cfg *config.Config, log *slog.Logger, life engineLife) (*policy.Engine, error) {
	e, err := policy.Load(ctx, policy.Options{Dir: cfg.Policies.Dir, FS: policies.FS, Logger: log, MemoryLimit: policyMemoryLimit(),
		OneShot: life == oneCommand})
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return e, nil
}

// engineLife is how long a policy engine lives: a daemon's cycles, or one command.
type engineLife int

const (
	daemonCycles engineLife = iota
	oneCommand
)

// params merges the config's policies.params over the defaults that came with the policies.
func params(cfg *config.Config, e *policy.Engine) map[string]any {
	return policy.MergeParams(e.DefaultParams(), cfg.Policies.Params)
}

// scope is the inventory filter from the config.
func scope(cfg *config.Config) zen.Filter {
	return zen.Filter{Zones: cfg.Scope.Zones, ResourceGroups: cfg.Scope.ResourceGroups}
}

// settings takes what a cycle obeys from the config.
func settings(cfg *config.Config, e *policy.Engine) reconcile.Settings {
	s := cfg.Safety
	return reconcile.Settings{
		Mode:                    cfg.Mode,
		Filter:                  scope(cfg),
		Params:                  params(cfg, e),
		GracePeriod:             s.GracePeriod.D(),
		MaxTerminationsPerRun:   s.MaxTerminationsPerRun,
		MaxTerminationsPercent:  s.MaxTerminationsPercent,
		MaxFleetDropPercent:     s.MaxFleetDropPercent,
		AllowSubscriptionCancel: s.AllowSubscriptionCancel,
		CommitmentRetryAfter:    s.CommitmentRetryAfter.D(),
		UnconfirmedRetryAfter:   s.UnconfirmedRetryAfter.D(),
		Protect: reconcile.Protection{
			InstanceIDs: s.Protect.InstanceIDs, NamePatterns: s.Protect.NamePatterns, Tags: s.Protect.Tags,
		},
		CallTimeout: 2 * cfg.Zenlayer.Timeout.D(), // inside systemd's TimeoutStopSec=90s at the default 30s
	}
}
