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

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/policies"
)

var timeZero time.Time

func cmdPolicy(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 {
		return usageErr(env, "policy needs a subcommand: test [DIR...] | eval --instance FILE")
	}
	switch args[0] {
	case "test":
		return policyTest(ctx, env, args[1:])
	case "eval":
		return policyEval(ctx, env, args[1:])
	}
	return usageErr(env, "unknown policy subcommand %q (test, eval)", args[0])
}

// policyTest runs Rego unit tests as `opa test` does: exit 0 when all pass, 2 when a test fails,
// 1 on error. With no DIR it tests the bundled policies.
func policyTest(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "policy test", "[--run REGEX] [-v] [--timeout D] [DIR...]")
	run := fs.String("run", "", "run only tests whose name matches REGEX")
	verbose := fs.Bool("v", false, "list every test and its duration")
	timeout := timeoutFlag(fs, policy.DefaultTestTimeout, "stop each test after this long (it counts as an error)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	opts := policy.TestOptions{Run: *run, Verbose: *verbose, Timeout: *timeout, MemoryLimit: policyMemoryLimit()}
	sum, err := policy.RunTests(ctx, fs.Args(), policies.FS, opts, env.Stdout)
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
func policyEval(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "policy eval", "--instance FILE|- [--config F] [--now RFC3339] [--explain] [--timeout D]")
	file := fs.String("instance", "", "instance document (JSON), or - for standard input")
	cfgFlag := fs.String("config", "", "config file for policies.dir and policies.params (default: the bundled policies and defaults)")
	nowFlag := fs.String("now", "", "evaluate at this time (RFC 3339; default: now)")
	explain := fs.Bool("explain", false, "print an evaluation trace")
	timeout := timeoutFlag(fs, defaultEvalTimeout, "stop the evaluation after this long")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *file == "" {
		return usageErr(env, "policy eval needs --instance FILE (or - for standard input)")
	}
	now := env.now().UTC()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usageErr(env, "--now: %v", err)
		}
		now = t
	}
	cfg := config.Default()
	if *cfgFlag != "" {
		c, err := loadConfigNoSecrets(env, *cfgFlag)
		if err != nil {
			return fail(env, err)
		}
		cfg = c
	}
	in, err := readInstance(env, *file)
	if err != nil {
		return fail(env, err)
	}
	engine, err := loadEngine(ctx, cfg, newLogger(env, cfg.Log))
	if err != nil {
		return fail(env, err)
	}
	ctx, cancel := withDeadline(ctx, *timeout, "--timeout")
	defer cancel()
	var d policy.Decision
	var trace bytes.Buffer
	if *explain {
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
	if *explain {
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
	in := doc.Instance
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
