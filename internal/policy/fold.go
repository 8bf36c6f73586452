package policy

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Folding: a rule whose value cannot depend on input.instance (it reads only input.now,
// input.params and other such rules) has the same value for every instance of one Evaluate
// call, because the sandbox leaves only deterministic builtins. The engine evaluates such
// rules once per call (idle's thresholds parsed from params, expiry's parsed now, ...) and
// serves their values from each instance's virtual cache instead of evaluating them again.
// The analysis is conservative: a rule is folded only when every rule it can reach is known
// to be independent of the instance, none uses `with`, and its head is a plain name.

// foldRule is one folded rule path with the query that computes its value.
type foldRule struct {
	ref    ast.Ref
	policy string // the package that defines the rule, "reaper.idle"
	query  rego.PreparedEvalQuery
}

// foldVar is the variable of a fold query; the query collects the value in an array so that
// an undefined value is an empty array rather than no result.
const foldVar = "reaper_fold"

// readsInstanceHere reports whether node x keeps its rule from being folded: an expression with
// `with`, or a reference to input other than input.now and input.params (ruleTaint follows the
// references to other rules).
func readsInstanceHere(x any) bool {
	switch x := x.(type) {
	case *ast.Expr:
		return len(x.With) > 0
	case ast.Ref:
		if !x.HasPrefix(ast.InputRootRef) {
			return false // local variables and builtins
		}
		if len(x) < 2 {
			return true
		}
		s, ok := x[1].Value.(ast.String)
		return !ok || (s != "now" && s != "params")
	}
	return false
}

// foldableRefs returns the paths of the rules of c that can be folded, sorted.
func foldableRefs(c *ast.Compiler) []ast.Ref {
	a := newRuleTaint(c, readsInstanceHere)
	type group struct {
		ref ast.Ref
		ok  bool
	}
	groups := map[string]*group{}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			ref := r.Ref()
			key := ref.String()
			g, seen := groups[key]
			if !seen {
				g = &group{ref: ref, ok: true}
				groups[key] = g
			}
			plain := len(r.Head.Args) == 0 && len(r.Head.Ref()) == 1 && ref.IsGround() && allStrings(ref[1:])
			g.ok = g.ok && plain && !a.rule(r)
		}
	}
	var refs []ast.Ref
	for _, g := range groups {
		// The fold query evaluates every rule that gives a value at the path, also those of
		// other paths holding a variable (clock[k] in a parent package): each must be free.
		if g.ok && !a.dataRef(g.ref) {
			refs = append(refs, g.ref)
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Compare(refs[j]) < 0 })
	return refs
}

func allStrings(terms []*ast.Term) bool {
	for _, t := range terms {
		if _, ok := t.Value.(ast.String); !ok {
			return false
		}
	}
	return true
}

// prepareFolds prepares one query per foldable rule path.
func prepareFolds(ctx context.Context, c *ast.Compiler, store storage.Store) ([]foldRule, error) {
	var folds []foldRule
	for _, ref := range foldableRefs(c) {
		v := ast.VarTerm("v")
		body := ast.NewBody(ast.Equality.Expr(ast.VarTerm(foldVar),
			ast.ArrayComprehensionTerm(v, ast.NewBody(ast.Equality.Expr(v, ast.RefTerm(ref...))))))
		pq, err := rego.New(
			rego.Compiler(c),
			rego.Store(store),
			rego.ParsedQuery(body),
			rego.Capabilities(capabilities()),
			rego.StrictBuiltinErrors(true),
			rego.SetRegoVersion(ast.RegoV1),
		).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("prepare fold of %v: %w", ref, err)
		}
		folds = append(folds, foldRule{ref: ref, policy: definedIn(c, ref), query: pq})
	}
	return folds, nil
}

// definedIn names the package that defines the rules at ref.
func definedIn(c *ast.Compiler, ref ast.Ref) string {
	for _, r := range c.GetRules(ref) {
		if r.Module != nil {
			return packageName(r.Module.Package.Path)
		}
	}
	return ""
}

// folded holds the values of the folded rules of one Evaluate call, as a trie over the
// strings of their paths (after data).
type folded struct {
	children  map[string]*folded
	leaf      bool
	value     *ast.Term // nil when undefined
	undefined bool
}

func (f *folded) put(ref ast.Ref, value *ast.Term) {
	n := f
	for _, t := range ref[1:] {
		s := string(t.Value.(ast.String))
		if n.children == nil {
			n.children = map[string]*folded{}
		}
		next := n.children[s]
		if next == nil {
			next = &folded{}
			n.children[s] = next
		}
		n = next
	}
	n.leaf, n.value, n.undefined = true, value, value == nil
}

func (f *folded) get(ref ast.Ref) (*ast.Term, bool, bool) {
	if f == nil || len(ref) < 2 || !ref[0].Equal(ast.DefaultRootDocument) {
		return nil, false, false
	}
	n := f
	for _, t := range ref[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			return nil, false, false
		}
		if n = n.children[string(s)]; n == nil {
			return nil, false, false
		}
	}
	return n.value, n.undefined, n.leaf
}

// fold evaluates the foldable rules for one Evaluate call. A rule whose evaluation fails is
// not folded: each instance then evaluates it and reports the error itself. An evaluation that
// was stopped (ctx ended) is a *LimitError naming the rule's package.
func (s *policySet) fold(ctx context.Context, logger *slog.Logger, sh shared, cancel topdown.Cancel) (*folded, error) {
	if len(s.folds) == 0 {
		return nil, nil
	}
	input := ast.NewObject([2]*ast.Term{keyNow, sh.now}, [2]*ast.Term{keyParams, ast.NewTerm(sh.params)})
	f := &folded{}
	for _, fr := range s.folds {
		rs, err := fr.query.Eval(ctx,
			rego.EvalParsedInput(input),
			rego.EvalExternalCancel(cancel),
			rego.EvalPrintHook(&printHook{logger: logger}),
			rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }))
		if cause := stopCause(ctx); cause != nil || topdown.IsCancel(err) {
			return nil, &LimitError{Policy: fr.policy, Cause: cause}
		}
		if err != nil || len(rs) != 1 {
			continue
		}
		t, ok := rs[0].Bindings[foldVar].(*ast.Term)
		arr, isArr := t.Value.(*ast.Array)
		if !ok || !isArr || arr.Len() > 1 {
			continue
		}
		var value *ast.Term
		if arr.Len() == 1 {
			value = arr.Elem(0)
		}
		f.put(fr.ref, value)
	}
	return f, nil
}

// foldedCache is one instance's virtual cache: the folded values first, then the usual
// per-evaluation cache. Inside a `with` (a pushed frame) nothing is served from the folds,
// since `with` may replace what they were computed from.
//
// It also tells which policy the evaluation is in: topdown looks a set up in the cache before
// it evaluates the set's rules, so the policy of the last set looked up is the one running.
// (Not while tracing: a tracer looks up every ref of every traced expression. Explain asks its
// trace instead.)
type foldedCache struct {
	folded  *folded
	running *runningTrie
	inner   topdown.VirtualCache
	depth   int
	policy  string // the policy whose set was looked up last
	// memo holds values of time-free rules from an earlier evaluation of the same instance
	// fields, served after the folds (see memoValue).
	memo []memoValue
	// free, when set, makes Put remember in record the values memos may keep.
	free   *ruleTrie
	record []memoValue
}

func newFoldedCache(f *folded, running *runningTrie) *foldedCache {
	return &foldedCache{folded: f, running: running, inner: topdown.NewVirtualCache()}
}

func (c *foldedCache) Push() { c.depth++; c.inner.Push() }
func (c *foldedCache) Pop()  { c.depth--; c.inner.Pop() }

func (c *foldedCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if p := c.running.lookup(ref); p != "" {
		c.policy = p
	}
	if c.depth == 0 {
		if v, undefined, ok := c.folded.get(ref); ok {
			return v, undefined
		}
		for i := range c.memo {
			if m := &c.memo[i]; m.ref.Equal(ref) {
				return m.value, m.value == nil
			}
		}
	}
	return c.inner.Get(ref)
}

func (c *foldedCache) Put(ref ast.Ref, value *ast.Term) {
	c.inner.Put(ref, value)
	if c.free == nil || c.depth != 0 || len(c.record) >= memoLimit || !scalar(value) {
		return
	}
	for i := range c.record {
		if c.record[i].ref.Equal(ref) {
			c.record[i].value = value
			return
		}
	}
	if key, ok := c.free.memoKey(ref); ok {
		c.record = append(c.record, memoValue{ref: key, value: value})
	}
}
func (c *foldedCache) Keys() []ast.Ref { return c.inner.Keys() }

// runningTrie maps the refs of the policies' sets (data.reaper.expiry.terminate) to their
// policy, as a trie over the strings of the refs (after data).
type runningTrie struct {
	children map[string]*runningTrie
	policy   string
}

func newRunningTrie(slots []slot) *runningTrie {
	root := &runningTrie{}
	for _, s := range slots {
		n := root
		for _, t := range s.ref[1:] {
			key := string(t.Value.(ast.String))
			if n.children == nil {
				n.children = map[string]*runningTrie{}
			}
			next := n.children[key]
			if next == nil {
				next = &runningTrie{}
				n.children[key] = next
			}
			n = next
		}
		n.policy = s.policy
	}
	return root
}

// lookup returns the policy whose set ref is, or "".
func (r *runningTrie) lookup(ref ast.Ref) string {
	if r == nil || len(ref) < 2 || !ref[0].Equal(ast.DefaultRootDocument) {
		return ""
	}
	n := r
	for _, t := range ref[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			return ""
		}
		if n = n.children[string(s)]; n == nil {
			return ""
		}
	}
	return n.policy
}
