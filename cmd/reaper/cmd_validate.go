package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/scheduler"
	"github.com/reaper-bmc/reaper/policies"
)

func validateCommand(cl *cli) *cobra.Command {
	var o validateOptions
	c := &cobra.Command{
		Use:   "validate",
		Short: "check config, schedule and policies (compile and tests); no network",
		Long: "Check everything that can be checked without the network: the config (every problem at\n" +
			"once), the schedule, the policies (compile, sandbox, contract) and their Rego tests, each\n" +
			"stopped after --timeout. A secret file whose path names ${CREDENTIALS_DIRECTORY} while that\n" +
			"variable is unset is reported as checked only inside the service.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return cmdValidate(ctx, env, o) }),
	}
	configFlag(c.Flags(), &o.config)
	timeoutFlag(c.Flags(), &o.timeout, policy.DefaultTestTimeout, "stop each Rego test after this long (it counts as an error)")
	return c
}

type validateOptions struct {
	config  string
	timeout time.Duration
}

// cmdValidate checks everything that can be checked without the network: the config (every
// problem at once), the schedule, the policies (compile, sandbox, contract) and their Rego tests.
// It never prints a secret.
func cmdValidate(ctx context.Context, env Env, o validateOptions) int {
	path := configPath(env, o.config)
	cfg, err := loadConfig(env, path, false)
	if err != nil {
		return fail(env, err)
	}
	w := env.Stdout
	fmt.Fprintf(w, "config    %s: ok (digest %s)\n", path, short(cfg.Digest()))
	for _, warn := range cfg.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", inert.Text(fmt.Sprint(warn)))
	}
	problems := 0
	if err := cfg.CheckCredentials(); err != nil {
		problems++
		fmt.Fprintf(w, "  error: %v\n", err)
	}
	problems += validateSchedule(w, cfg)
	problems += validatePolicies(ctx, w, cfg, o.timeout)
	if problems > 0 {
		fmt.Fprintf(env.Stderr, "reaper: validate: %d problems\n", problems)
		return exitFailure
	}
	fmt.Fprintf(w, "mode      %s\n", modeLine(reconcile.Permit(cfg.Mode, false, reconcile.CommandRun)))
	return exitOK
}

func validateSchedule(w io.Writer, cfg *config.Config) int {
	s, err := scheduler.Parse(cfg.Schedule, cfg.Timezone)
	if err != nil {
		fmt.Fprintf(w, "schedule  error: %v\n", err)
		return 1
	}
	fmt.Fprintf(w, "schedule  %q in %s: ok, shortest interval %s\n", cfg.Schedule, cfg.Timezone, s.MinInterval(s.Next(timeZero)))
	return 0
}

func validatePolicies(ctx context.Context, w io.Writer, cfg *config.Config, timeout time.Duration) int {
	e, err := policy.Load(ctx, policy.Options{Dir: cfg.Policies.Dir, FS: policies.FS})
	if err != nil {
		fmt.Fprintf(w, "policies  error:\n%v\n", indent(err))
		return 1
	}
	fmt.Fprintf(w, "policies  %s: ok (%s)\n", policySource(cfg), strings.Join(e.Packages(), ", "))
	var out strings.Builder
	opts := policy.TestOptions{Timeout: timeout, MemoryLimit: policyMemoryLimit()}
	sum, err := policy.RunTests(ctx, policyPaths(cfg), policies.FS, opts, &out)
	switch {
	case err != nil:
		fmt.Fprintf(w, "tests     error: %v\n", err)
		return 1
	case sum.Failed+sum.Errored > 0:
		fmt.Fprintf(w, "tests     %d passed, %d failed, %d errors\n%s", sum.Passed, sum.Failed, sum.Errored, out.String())
		return 1
	}
	fmt.Fprintf(w, "tests     %d passed\n", sum.Passed)
	return 0
}

func policySource(cfg *config.Config) string {
	if cfg.Policies.Dir == "" {
		return "bundled"
	}
	return cfg.Policies.Dir
}

func policyPaths(cfg *config.Config) []string {
	if cfg.Policies.Dir == "" {
		return nil
	}
	return []string{cfg.Policies.Dir}
}

func short(digest string) string {
	digest = strings.TrimPrefix(digest, "sha256:")
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

// modeLine says in words what a daemon cycle in this config may do.
func modeLine(p reconcile.Permissions) string {
	switch {
	case p.Terminate:
		return p.Mode + ": ACTING: marks candidates and terminates due instances"
	case p.Tags && p.Mode == reconcile.ModeApprove:
		return p.Mode + ": marks candidates; terminates only through reaper apply of an approved plan"
	case p.Tags:
		return p.Mode + ": marks candidates; never terminates"
	}
	return p.Mode + ": decides and reports; writes nothing to Zenlayer (set mode in the file to act)"
}
