package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Time guards: what lets the engine serve a decision from its cache (see decisionCache).
//
// The sandbox has no clock builtin, so time reaches a policy only through input.now and
// input.instance.age_seconds (derived from now). A rule that can reach neither (through the
// rules and functions it refers to) gives the same value for the same instance fields and
// params at every time: it is time-free. A set rule that is not time-free is timed; for each,
// the engine derives a guard: the rule's body with every expression dropped that reads time or
// uses a variable only such an expression binds. Dropping conditions from a conjunction only
// widens it, so when an instance's guards are all false, every timed rule stays empty at every
// time, and the instance's decision is the one its time-free rules gave.
//
// The analysis fails closed: a `with` anywhere, a reference it cannot pin (input, input[x],
// input.instance[x], data[x]), a builtin outside the sandbox's deterministic ones, a guard
// that does not compile, or a rule of a parent package that adds to a set through a variable in
// its path and may read time turns the cache off for the whole set. A reference it cannot pin
// inside a rule makes that rule timed; a rule path's value is time-free only when every rule
// that can give it is (rules whose paths hold a variable included).

// guardVar is the variable of the guard query: an array with, per timed set rule, the array
// of its guard's solutions (empty when the guard is false).
const guardVar = "reaper_guards"

// timeGuards is the result of the analysis of one policy set.
type timeGuards struct {
	// off says why decisions of this set are never cached; "" when they may be.
	off string
	// query is the guard query; an empty body when no set is timed (every decision is
	// time-free).
	query compiledQuery
	// timed lists the timed set rules, in the order of the query's array, as "policy.set".
	timed []string
	// slotOf is, per timed set rule, the index of its slot (set) in the policy query.
	slotOf []int
	// free tells which rules are time-free, for memos; nil when no set is timed.
	free *ruleTrie
}

// readsTimeHere reports whether node x may read time: a reference to input.now, to
// input.instance.age_seconds, or to a part of input the analysis cannot name (ruleTaint follows
// the references to other rules). input.params is part of the cache's generation.
func readsTimeHere(x any) bool {
	ref, ok := x.(ast.Ref)
	if !ok || !ref.HasPrefix(ast.InputRootRef) {
		return false // local variables and builtins (checked by cacheBlocker)
	}
	if len(ref) < 2 {
		return true
	}
	switch top, _ := ref[1].Value.(ast.String); top {
	case "params":
		return false
	case "instance":
		if len(ref) < 3 {
			return true
		}
		field, ok := ref[2].Value.(ast.String)
		return !ok || field == "age_seconds"
	default:
		return true // input.now, and anything the analysis cannot name
	}
}

// cacheBlocker returns why no decision of the compiled set may be cached, or "": a `with`
// anywhere, or a call to a builtin that is not one of the sandbox's deterministic builtins.
func cacheBlocker(c *ast.Compiler) string {
	allowed := map[string]bool{}
	for _, b := range capabilities().Builtins {
		if !denied(b) {
			allowed[b.Name] = true
		}
	}
	why := ""
	for _, m := range c.Modules {
		ast.NewGenericVisitor(func(x any) bool {
			if why != "" {
				return true
			}
			switch x := x.(type) {
			case *ast.Expr:
				if len(x.With) > 0 {
					why = fmt.Sprintf("%v uses with", x.Location)
					return true
				}
				if x.IsCall() {
					op := x.Operator()
					if op.HasPrefix(ast.DefaultRootRef) {
						return false
					}
					if name := op.String(); !allowed[name] {
						why = fmt.Sprintf("%v calls %s, which the analysis does not know", x.Location, name)
					}
				}
			case ast.Call:
				if len(x) > 0 {
					if op, ok := x[0].Value.(ast.Ref); ok && !op.HasPrefix(ast.DefaultRootRef) {
						if name := op.String(); !allowed[name] {
							why = fmt.Sprintf("calls %s, which the analysis does not know", name)
						}
					}
				}
			}
			return why != ""
		}).Walk(m)
		if why != "" {
			return why
		}
	}
	return ""
}

// relax returns body without the tainted expressions (for the time analysis: those that read
// time), and without those that use a variable only a dropped expression binds. body is a
// compiled rule body, so its expressions are in an order where each binds its variables before
// any later one uses them.
func (a *ruleTaint) relax(body ast.Body) ast.Body {
	bound := ast.NewVarSet()
	tainted := ast.NewVarSet()
	var kept ast.Body
	for _, e := range body {
		vars := exprVars(e)
		drop := a.in(e)
		for v := range vars {
			if tainted.Contains(v) {
				drop = true
			}
		}
		if drop {
			for v := range vars {
				if !bound.Contains(v) {
					tainted.Add(v) // this expression would have bound it
				}
			}
			continue
		}
		for v := range vars {
			bound.Add(v)
		}
		kept = append(kept, e.Copy())
	}
	if len(kept) == 0 {
		kept = ast.NewBody(ast.NewExpr(ast.BooleanTerm(true)))
	}
	for i, e := range kept {
		e.Index = i
	}
	return kept
}

// exprVars returns the local variables of e, closures included, without the roots data and
// input and the names of called functions.
func exprVars(e *ast.Expr) ast.VarSet {
	vis := ast.NewVarVisitor().WithParams(ast.VarVisitorParams{SkipRefCallHead: true})
	vis.Walk(e)
	vars := vis.Vars()
	delete(vars, ast.DefaultRootDocument.Value.(ast.Var))
	delete(vars, ast.InputRootDocument.Value.(ast.Var))
	return vars
}

// analyseTime derives the time guards of a compiled policy set.
func analyseTime(c *ast.Compiler, slots []slot) timeGuards {
	if why := cacheBlocker(c); why != "" {
		return timeGuards{off: why}
	}
	a := newRuleTaint(c, readsTimeHere)
	var guards []*ast.Term
	var timed []string
	var slotOf []int
	if len(slots) >= 64 {
		return timeGuards{off: "more than 63 policy sets"}
	}
	for i, s := range slots {
		exact := c.GetRulesExact(s.ref)
		// A rule of a parent package whose path holds a variable (expiry[k] contains ...) adds
		// to the set too; no guard is derived for such a rule.
		for _, r := range c.GetRulesDynamicWithOpts(s.ref, ast.RulesOptions{IncludeHiddenModules: true}) {
			if !slices.Contains(exact, r) && a.rule(r) {
				return timeGuards{off: fmt.Sprintf("%s.%s: the rule at %v adds to it and may read time", s.policy, s.set, r.Location)}
			}
		}
		for _, r := range exact {
			if !a.rule(r) {
				continue
			}
			if r.Else != nil || len(r.Head.Args) > 0 {
				return timeGuards{off: fmt.Sprintf("%s.%s at %v is not a plain set rule", s.policy, s.set, r.Location)}
			}
			guards = append(guards, ast.ArrayComprehensionTerm(ast.IntNumberTerm(1), a.relax(r.Body)))
			timed = append(timed, s.policy+"."+s.set)
			slotOf = append(slotOf, i)
		}
	}
	if len(guards) == 0 {
		return timeGuards{}
	}
	qc := c.QueryCompiler()
	body, err := qc.Compile(ast.NewBody(ast.Equality.Expr(ast.VarTerm(guardVar), ast.ArrayTerm(guards...))))
	if err != nil {
		return timeGuards{off: "time guards do not compile: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return timeGuards{query: compiledQuery{body: body, compiler: qc}, timed: timed, slotOf: slotOf, free: newRuleTrie(c, a)}
}
