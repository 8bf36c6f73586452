package policy

import "github.com/open-policy-agent/opa/v1/ast"

// ruleTaint decides, for the rules of a compiled policy set, which are tainted by something its
// caller names: a rule is tainted when a node in it is (local), or when it refers to a rule
// under data that is, or may be (a reference it cannot resolve). The two analyses behind the
// decision cache are ones: what may read time (readsTimeHere, timeguard.go) and what may read the
// instance (readsInstanceHere, fold.go). Both fail closed: a rule met again while it is being
// decided (recursion, a compile error anyway) is tainted.
type ruleTaint struct {
	c     *ast.Compiler
	local func(x any) bool // whether node x taints; never asked about a reference under data
	memo  map[*ast.Rule]bool
	stack map[*ast.Rule]bool
}

// newRuleTaint returns the analysis of c's rules with local as the test of a single node.
func newRuleTaint(c *ast.Compiler, local func(x any) bool) *ruleTaint {
	return &ruleTaint{c: c, local: local, memo: map[*ast.Rule]bool{}, stack: map[*ast.Rule]bool{}}
}

// rule reports whether r, or anything it can reach, is tainted.
func (a *ruleTaint) rule(r *ast.Rule) bool {
	if v, ok := a.memo[r]; ok {
		return v
	}
	if a.stack[r] {
		return true // recursion is a compile error; be safe anyway
	}
	a.stack[r] = true
	defer delete(a.stack, r)
	tainted := a.in(r)
	a.memo[r] = tainted
	return tainted
}

// in reports whether x (a rule, an expression, a term) holds a tainted node or refers to a
// tainted rule.
func (a *ruleTaint) in(x any) bool {
	tainted := false
	ast.NewGenericVisitor(func(x any) bool {
		if tainted {
			return true
		}
		if ref, ok := x.(ast.Ref); ok && ref.HasPrefix(ast.DefaultRootRef) {
			tainted = a.dataRef(ref)
		} else {
			tainted = a.local(x)
		}
		return tainted
	}).Walk(x)
	return tainted
}

// dataRef reports whether a reference under data may reach a tainted rule; one whose first
// segment is not ground cannot be resolved and is. For the path of a rule, that is whether the
// value at the path may be tainted. GetRulesDynamicWithOpts walks every node on
// the ground part of ref, so it also finds the rules of a prefix whose paths hold a variable.
func (a *ruleTaint) dataRef(ref ast.Ref) bool {
	if len(ref) < 2 || !ref[1].IsGround() {
		return true
	}
	rules := a.c.GetRules(ref.GroundPrefix())
	rules = append(rules, a.c.GetRulesDynamicWithOpts(ref, ast.RulesOptions{IncludeHiddenModules: true})...)
	for _, r := range rules {
		if a.rule(r) {
			return true
		}
	}
	return false
}
