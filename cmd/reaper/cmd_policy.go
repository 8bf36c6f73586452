package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

var timeZero time.Time

func policyCommand(cl *cli) *cobra.Command {
	var t policyTestOptions
	test := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "run Rego unit tests as opa test does (no DIR: the bundled policies)",
		Long: "Run Rego unit tests as opa test does, in the production sandbox. With no DIR it tests the\n" +
			"bundled policies. Exit 0 when all pass, 2 when a test fails or errs, 1 on an error.",
		Args: cobra.ArbitraryArgs,
		RunE: cl.run(func(ctx context.Context, env Env, args []string) int { return policyTest(ctx, env, t, args) }),
	}
	test.Flags().StringVar(&t.run, "run", "", "run only tests whose name matches REGEX")
	test.Flags().BoolVarP(&t.verbose, "verbose", "v", false, "list every test and its duration")
	timeoutFlag(test.Flags(), &t.timeout, policy.DefaultTestTimeout, "stop each test after this long (it counts as an error)")

	var e policyEvalOptions
	eval := &cobra.Command{
		Use:   "eval --instance FILE|-",
		Short: "show the decision for one instance document, with reasons",
		Long: "Show the decision of the policies for one instance document (as reaper inventory --format\n" +
			"json prints them, or a whole input document), with the reasons of each policy and, with\n" +
			"--explain, an evaluation trace. The policies and their parameters come from --config, else\n" +
			"the bundled ones with their defaults.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return policyEval(ctx, env, e) }),
	}
	eval.Flags().StringVar(&e.file, "instance", "", "instance document (JSON), or - for standard input")
	eval.Flags().StringVar(&e.config, "config", "", "config file for policies.dir and policies.params (default: the bundled policies and defaults)")
	_ = eval.MarkFlagFilename("config", "yaml", "yml")
	_ = eval.MarkFlagFilename("instance", "json")
	eval.Flags().StringVar(&e.now, "now", "", "evaluate at this time (RFC 3339; default: now)")
	eval.Flags().BoolVar(&e.explain, "explain", false, "print an evaluation trace")
	timeoutFlag(eval.Flags(), &e.timeout, defaultEvalTimeout, "stop the evaluation after this long")

	return cl.group("policy", "test and evaluate Rego policies (test, eval)", test, eval)
}

type policyTestOptions struct {
	run     string
	verbose bool
	timeout time.Duration
}

type policyEvalOptions struct {
	file, config, now string
	explain           bool
	timeout           time.Duration
}

// policyTest runs Rego unit tests as `opa test` does: exit 0 when all pass, 2 when a test fails,
// 1 on error. With no DIR it tests the bundled policies.
func policyTest(ctx context.Context, env Env, o policyTestOptions, dirs []string) int {
	opts := policy.TestOptions{Run: o.run, Verbose: o.verbose, Timeout: o.timeout, MemoryLimit: policyMemoryLimit()}
	sum, err := policy.RunTests(ctx, dirs, policies.FS, opts, env.Stdout)
	switch {
	case err != nil:
		return fail(env, err)
	case sum.Failed+sum.Errored > 0:
		return exitUsage
	}
	return exitOK
}

// policyEval shows the decision for one instance document (as `reaper inventory --format json`
// prints them, or a whole input document with now, params and instance).
func policyEval(ctx context.Context, env Env, o policyEvalOptions) int {
	if o.file == "" {
		return usageErr(env, "policy eval needs --instance FILE (or - for standard input)")
	}
	now := env.now().UTC()
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return usageErr(env, "--now: %v", err)
		}
		now = t
	}
	cfg := config.Default()
	if o.config != "" {
		c, err := loadConfigNoSecrets(env, o.config)
		if err != nil {
			return fail(env, err)
		}
		cfg = c
	}
	in, err := readInstance(env, o.file)
	if err != nil {
		return fail(env, err)
	}
	engine, err := loadEngine(ctx, cfg, newLogger(env, cfg.Log), oneCommand)
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := withDeadline(ctx, o.timeout, "--timeout")
	defer cancel()
	var d policy.Decision
	var trace bytes.Buffer
	if o.explain {
		d, err = engine.Explain(ctx, now, params(cfg, engine), in, &trace)
	} else {
		var ds []policy.Decision
		ds, err = engine.Evaluate(ctx, now, params(cfg, engine), []policy.Instance{in})
		if err == nil {
			d = ds[0]
		}
	}
	if err != nil {
		return fail(env, err)
	}
	for _, w := range reconcile.RepeatedTagWarnings(zenTags(in.TagList)) {
		d.Warn = append(d.Warn, policy.Reason{Policy: "reaper", Reason: w})
	}
	printDecision(env.Stdout, in, now, d)
	if o.explain {
		fmt.Fprintf(env.Stdout, "\ntrace:\n%s", inertLines(trace.String()))
	}
	return exitOK
}

// zenTags converts a document's tag list for the checks reconcile makes on every instance.
func zenTags(tags []policy.Tag) []zen.Tag {
	out := make([]zen.Tag, len(tags))
	for i, t := range tags {
		out[i] = zen.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// readInstance reads an instance document, or the instance of a whole input document.
func readInstance(env Env, file string) (policy.Instance, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(env.Stdin, 16<<20))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return policy.Instance{}, fmt.Errorf("instance file %s does not exist", file)
		}
		return policy.Instance{}, fmt.Errorf("read instance: %w", err)
	}
	var wrapper struct {
		Instance *json.RawMessage `json:"instance"`
	}
	if json.Unmarshal(data, &wrapper) == nil && wrapper.Instance != nil {
		data = *wrapper.Instance
	}
	// age_seconds is accepted (documents of older versions carry it) and ignored: the engine
	// derives the age from --now and created_at.
	var doc struct {
		policy.Instance
		AgeSeconds json.RawMessage `json:"age_seconds"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return policy.Instance{}, fmt.Errorf("instance document %s: %w", file, err)
	}
	in := reconcile.WithoutMarkTags(doc.Instance) // reaper's own tags are never policy input
	if in.ID == "" {
		return policy.Instance{}, fmt.Errorf("instance document %s: missing \"id\"", file)
	}
	return in, nil
}

func printDecision(w io.Writer, in policy.Instance, now time.Time, d policy.Decision) {
	fmt.Fprintf(w, "instance %s (%s), evaluated at %s\n", inert.Text(in.ID), inert.Text(in.Name), now.Format(time.RFC3339))
	verdict := "kept: no policy asks to terminate it"
	switch {
	case d.Err != nil:
		verdict = "kept: evaluation failed: " + inert.Text(d.Err.Error())
	case len(d.Exempt) > 0:
		verdict = "exempt: an exemption wins over every terminate reason"
	case d.Candidate():
		verdict = "candidate for termination (after the grace period and the guards)"
	}
	fmt.Fprintf(w, "decision: %s\n", verdict)
	for _, g := range []struct {
		title string
		rs    []policy.Reason
	}{{"terminate", d.Terminate}, {"exempt", d.Exempt}, {"warn", d.Warn}} {
		for _, r := range g.rs {
			fmt.Fprintf(w, "  %-9s %-15s %s\n", g.title, inert.Text(r.Policy), inert.Text(r.Reason))
		}
	}
}
