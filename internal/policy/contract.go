package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Error codes of the problems the engine adds to OPA's own compile errors.
const (
	codeContract = "reaper_contract_error"
	codeSandbox  = "reaper_sandbox_error"
)

// The sets a policy may define, in the order decisions are read.
const (
	setTerminate = "terminate"
	setExempt    = "exempt"
	setWarn      = "warn"
)

var setNames = []string{setTerminate, setExempt, setWarn}

func isSetName(s string) bool {
	return s == setTerminate || s == setExempt || s == setWarn
}

var (
	reaperRoot = ast.StringTerm("reaper")
	libRoot    = ast.StringTerm("lib")
)

// packageName is a package path without "data.": "reaper.expiry".
func packageName(path ast.Ref) string {
	return strings.TrimPrefix(path.String(), "data.")
}

// isReaperPackage reports whether path is data.reaper.<something>.
func isReaperPackage(path ast.Ref) bool {
	return len(path) >= 3 && path[1].Equal(reaperRoot)
}

// isLibrary reports whether path is data.reaper.lib or below it.
func isLibrary(path ast.Ref) bool {
	return len(path) >= 3 && path[1].Equal(reaperRoot) && path[2].Equal(libRoot)
}

// policyPackage is one policy: its package path and the sets it defines.
type policyPackage struct {
	path ast.Ref
	name string
	sets []string // a subset of setNames, in that order
}

// checkContract checks the policy modules (tests excluded) against the §5 contract and
// returns the policies they define, sorted by name.
func checkContract(modules []*ast.Module) ([]policyPackage, ast.Errors) {
	var errs ast.Errors
	defined := map[string]map[string]bool{} // package name -> sets defined
	paths := map[string]ast.Ref{}
	firstLoc := map[string]*ast.Location{}
	for _, m := range modules {
		path := m.Package.Path
		name := packageName(path)
		if !isReaperPackage(path) {
			errs = append(errs, ast.NewError(codeContract, m.Package.Location,
				"package %s is outside reaper.: a policy is a package under reaper. (package reaper.expiry), a helper a package under reaper.lib", name))
			continue
		}
		if _, ok := defined[name]; !ok {
			defined[name] = map[string]bool{}
			paths[name] = path
			firstLoc[name] = m.Package.Location
		}
		for _, r := range m.Rules {
			errs = append(errs, checkRule(r, name, isLibrary(path), defined[name])...)
		}
	}
	var out []policyPackage
	for name, sets := range defined {
		if isLibrary(paths[name]) {
			continue
		}
		if len(sets) == 0 {
			errs = append(errs, ast.NewError(codeContract, firstLoc[name],
				"package %s defines none of terminate, exempt, warn: every package under reaper. is a policy, except helpers under reaper.lib", name))
			continue
		}
		p := policyPackage{path: paths[name], name: name}
		for _, s := range setNames {
			if sets[s] {
				p.sets = append(p.sets, s)
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	sortErrors(errs)
	return out, errs
}

// checkRule checks one rule of package pkg and records the set it defines, if any.
func checkRule(r *ast.Rule, pkg string, library bool, defined map[string]bool) ast.Errors {
	ref := r.Head.Ref()
	for i, t := range ref {
		s, ok := t.Value.(ast.String)
		if i == 0 {
			if v, isVar := t.Value.(ast.Var); isVar {
				s, ok = ast.String(v), true
			}
		}
		if !ok || !isSetName(string(s)) {
			continue
		}
		name := string(s)
		switch {
		case library:
			return ast.Errors{ast.NewError(codeContract, r.Location,
				"%s.%s: a helper package under reaper.lib may not define %s", pkg, name, name)}
		case i > 0:
			return ast.Errors{ast.NewError(codeContract, r.Location,
				"%s.%s: %s must be defined at the top of its package (one policy per package)", pkg, ref, name)}
		}
		defined[name] = true
		if len(ref) > 1 || len(r.Head.Args) > 0 || r.Head.RuleKind() != ast.MultiValue || r.Default {
			return ast.Errors{ast.NewError(codeContract, r.Location,
				"%s.%s must be a set of reasons: write `%s contains reason if { ... }`", pkg, name, name)}
		}
		return checkLiteralReason(r, pkg, name)
	}
	return nil
}

// checkLiteralReason rejects a reason that is written literally and has no text: a number, a
// boolean, null, an empty string, a collection, or an object without a non-empty "reason"
// string. Reasons computed at evaluation are checked then.
func checkLiteralReason(r *ast.Rule, pkg, set string) ast.Errors {
	key := r.Head.Key
	if key == nil {
		return nil
	}
	bad := func(why string) ast.Errors {
		return ast.Errors{ast.NewError(codeContract, key.Location,
			"%s.%s: reason %v %s: a reason is a non-empty string or an object with a non-empty \"reason\" string", pkg, set, key, why)}
	}
	switch v := key.Value.(type) {
	case ast.String:
		if strings.TrimSpace(string(v)) == "" {
			return bad("is empty")
		}
	case ast.Number, ast.Boolean, ast.Null:
		return bad("is not a string")
	case *ast.Array, ast.Set, *ast.ArrayComprehension, *ast.SetComprehension, *ast.ObjectComprehension:
		return bad("is a collection")
	case ast.Object:
		text := v.Get(ast.StringTerm("reason"))
		if text == nil {
			return bad("has no \"reason\" field")
		}
		switch t := text.Value.(type) {
		case ast.String:
			if strings.TrimSpace(string(t)) == "" {
				return bad("has an empty \"reason\"")
			}
		case ast.Number, ast.Boolean, ast.Null, *ast.Array, ast.Set, ast.Object:
			return bad("has a \"reason\" that is not a string")
		}
	}
	return nil
}

// sortErrors orders errors by file and line, for stable messages.
func sortErrors(errs ast.Errors) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Location, errs[j].Location
		switch {
		case a == nil || b == nil:
			return a != nil
		case a.File != b.File:
			return a.File < b.File
		default:
			return a.Row < b.Row
		}
	})
}

// contractError wraps contract problems as a single error.
func contractError(errs ast.Errors) error {
	return fmt.Errorf("check policy contract: %w", errs)
}
