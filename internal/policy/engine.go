package policy

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// Options says where a policy set comes from.
type Options struct {
	// Dir is a directory of policies (config policies.dir): *.rego files, found recursively,
	// and an optional params.json at its root.
	Dir string
	// FS is used when Dir is empty: normally the bundled policies (policies.FS).
	FS fs.FS
	// Logger receives print() output at debug level and load messages. Nil discards.
	Logger *slog.Logger
	// MemoryLimit stops an evaluation (with a *LimitError) when the Go heap grows past this
	// many bytes while it runs. 0 means DefaultMemoryLimit.
	MemoryLimit uint64
	// OneShot says the engine serves a short-lived command (plan, run --once, apply) and ends
	// with it. It then keeps no values of time-free rules (memos) in the decision cache: only a
	// later cycle of the same process would read them, and they are not saved with the cache
	// (persist.go), so in a one-shot command they were memory for nothing (issue 14: about a
	// tenth of a 300,000-instance plan's peak heap when it analyses its fleet). Decisions, and
	// what the cache proves and saves, are the same.
	OneShot bool
}

// Engine evaluates instances against a compiled policy set. Its set never changes after Load
// (a reload loads a new Engine), so it is safe for concurrent use.
type Engine struct {
	opts   Options
	logger *slog.Logger
	set    *policySet
	cache  *decisionCache // nil: every instance is evaluated on every call
}

// policySet is one loaded, compiled and prepared policy set. It is immutable.
type policySet struct {
	compiler *ast.Compiler
	store    storage.Store
	query    compiledQuery
	folds    []foldRule
	guards   timeGuards      // what the decision cache may serve
	subsets  *subsetQueries  // queries of some slots only, for the decision cache
	fields   []instanceField // the instance fields the policies read
	slots    []slot
	running  *runningTrie // the slots' refs, to tell which policy an evaluation is in
	packages []string
	digest   string
	params   map[string]any
}

// Load reads the policy set Options names, parses it, checks it against the contract,
// compiles it in the sandbox and prepares its query. Any problem is an error naming
// file:line; nothing is loaded in part.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	set, err := load(ctx, opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, logger: logger, set: set}
	if set.guards.off == "" {
		e.cache = newDecisionCache()
	}
	logger.LogAttrs(ctx, slog.LevelDebug, "policies loaded",
		slog.Any("packages", set.packages), slog.String("digest", set.digest),
		slog.Any("timed_sets", set.guards.timed), slog.String("decision_cache_off", set.guards.off))
	return e, nil
}

func load(ctx context.Context, opts Options) (*policySet, error) {
	src, err := readSource(opts.Dir, opts.FS)
	if err != nil {
		return nil, err
	}
	params, err := src.defaultParams()
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	modules, err := parseFiles(src.policies())
	if err != nil {
		return nil, err
	}
	c, pkgs, err := compilePolicies(modules)
	if err != nil {
		return nil, err
	}
	slots := newSlots(pkgs)
	store := inmem.New()
	query, err := prepare(c, slots)
	if err != nil {
		return nil, err
	}
	folds, err := prepareFolds(ctx, c, store)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(pkgs))
	for i, p := range pkgs {
		names[i] = p.name
	}
	return &policySet{
		compiler: c,
		store:    store,
		query:    query,
		folds:    folds,
		guards:   analyseTime(c, slots),
		subsets:  &subsetQueries{},
		fields:   fieldsFor(usedInputFields(c)),
		slots:    slots,
		running:  newRunningTrie(slots),
		packages: names,
		digest:   src.digest(),
		params:   params,
	}, nil
}

// memoryLimit is the heap size at which evaluation stops.
func (e *Engine) memoryLimit() uint64 {
	if e.opts.MemoryLimit == 0 {
		return DefaultMemoryLimit
	}
	return e.opts.MemoryLimit
}

// Digest identifies the loaded policy set: "sha256:" and the hex SHA-256 over its policy
// files (tests excluded) and params.json, sorted by name, each with its name and contents.
func (e *Engine) Digest() string { return e.set.digest }

// Packages returns the names of the loaded policies, sorted: ["reaper.expiry", ...].
// Helper packages under reaper.lib are not policies and are not listed.
func (e *Engine) Packages() []string { return append([]string(nil), e.set.packages...) }

// DefaultParams returns a copy of the loaded set's params defaults (its params.json; empty
// when the set has none). Evaluate merges its params argument over these.
func (e *Engine) DefaultParams() map[string]any { return MergeParams(e.set.params, nil) }
