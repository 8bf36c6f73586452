package policy

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ErrNoPolicies means a policy set holds no policy.
var ErrNoPolicies = errors.New("no policies: no .rego file outside *_test.rego defines a reaper. policy")

// parseFiles parses Rego files with the sandbox's parser options. Keys are display names.
func parseFiles(files []file) (map[string]*ast.Module, error) {
	modules := make(map[string]*ast.Module, len(files))
	var errs ast.Errors
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.name, string(f.data), parserOptions())
		if err != nil {
			var astErrs ast.Errors
			if errors.As(err, &astErrs) {
				errs = append(errs, astErrs...)
				continue
			}
			return nil, fmt.Errorf("parse %s: %w", f.name, err)
		}
		modules[f.name] = m
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, fmt.Errorf("parse policies: %w", errs)
	}
	return modules, nil
}

// compilePolicies checks the policy modules (no tests) against the contract and compiles them
// in the sandbox. It returns the compiler and the policies, sorted by name.
func compilePolicies(modules map[string]*ast.Module) (*ast.Compiler, []policyPackage, error) {
	list := make([]*ast.Module, 0, len(modules))
	for _, m := range modules {
		list = append(list, m)
	}
	pkgs, errs := checkContract(list)
	if len(errs) > 0 {
		return nil, nil, contractError(errs)
	}
	if len(pkgs) == 0 {
		return nil, nil, ErrNoPolicies
	}
	c, err := newCompiler()
	if err != nil {
		return nil, nil, err
	}
	if c.Compile(modules); c.Failed() {
		return nil, nil, fmt.Errorf("compile policies: %w", explainSandbox(c.Errors))
	}
	return c, pkgs, nil
}
