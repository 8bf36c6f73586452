package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// resultVar is the query variable that collects every policy's sets.
const resultVar = "reaper_sets"

// slot is one set of one policy, at a fixed position of the query's result array.
type slot struct {
	policy string // "reaper.expiry"
	set    string // terminate, exempt or warn
	ref    ast.Ref
}

func newSlots(pkgs []policyPackage) []slot {
	var slots []slot
	for _, p := range pkgs {
		for _, s := range p.sets {
			slots = append(slots, slot{policy: p.name, set: s, ref: p.path.Append(ast.StringTerm(s))})
		}
	}
	return slots
}

// queryBody is `reaper_sets = [data.reaper.a.terminate, data.reaper.a.warn, ...]`: one query
// that collects every set of every policy at once. Sets defined with `contains` are always
// defined (empty when nothing matches), so the query always has exactly one result.
func queryBody(slots []slot) ast.Body {
	elems := make([]*ast.Term, len(slots))
	for i, s := range slots {
		elems[i] = ast.RefTerm(s.ref...)
	}
	return ast.NewBody(ast.Equality.Expr(ast.VarTerm(resultVar), ast.ArrayTerm(elems...)))
}

// compiledQuery is the policy query compiled against the policies, ready for topdown.
type compiledQuery struct {
	body     ast.Body
	compiler ast.QueryCompiler
}

// prepare compiles the query against the compiled policies.
func prepare(c *ast.Compiler, slots []slot) (compiledQuery, error) {
	qc := c.QueryCompiler()
	body, err := qc.Compile(queryBody(slots))
	if err != nil {
		return compiledQuery{}, fmt.Errorf("prepare policy query: %w", err)
	}
	return compiledQuery{body: body, compiler: qc}, nil
}

// subsetQueries are the queries of subsets of a policy set's slots, compiled when first asked
// for (the decision cache evaluates the timed sets of an instance alone).
type subsetQueries struct {
	mu sync.Mutex
	m  map[uint64]subsetQuery
}

type subsetQuery struct {
	query compiledQuery
	slots []slot
	err   error
}

// get returns the query of the slots of set in mask, and those slots.
func (q *subsetQueries) get(set *policySet, mask uint64) (compiledQuery, []slot, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if sq, ok := q.m[mask]; ok {
		return sq.query, sq.slots, sq.err
	}
	var slots []slot
	for i, s := range set.slots {
		if mask&(1<<i) != 0 {
			slots = append(slots, s)
		}
	}
	cq, err := prepare(set.compiler, slots)
	if q.m == nil {
		q.m = map[uint64]subsetQuery{}
	}
	q.m[mask] = subsetQuery{query: cq, slots: slots, err: err}
	return cq, slots, err
}

// ReasonError is a terminate, exempt or warn element that is not a reason with text. It fails
// the evaluation of the instance that produced it.
type ReasonError struct {
	Policy string // "reaper.expiry"
	Set    string // terminate, exempt or warn
	Value  string // the element, in Rego syntax
}

// Error names the policy, the set and the offending element.
func (e *ReasonError) Error() string {
	return fmt.Sprintf("%s.%s: reason %s has no text: a reason is a non-empty string or an object with a non-empty \"reason\" string",
		e.Policy, e.Set, e.Value)
}

// errNoResult means the policy query was undefined, which the contract rules out.
var errNoResult = errors.New("policy query gave no result")

// decode maps a query result onto d's Terminate, Exempt and Warn, each sorted by policy and
// reason.
func decode(t *ast.Term, slots []slot, d *Decision) error {
	if t == nil {
		return errNoResult
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok || arr.Len() != len(slots) {
		return fmt.Errorf("policy query gave %v, want an array of %d sets", t, len(slots))
	}
	for i, s := range slots {
		set, ok := arr.Elem(i).Value.(ast.Set)
		if !ok {
			return fmt.Errorf("%s.%s is %v, not a set", s.policy, s.set, arr.Elem(i))
		}
		if set.Len() == 0 {
			continue
		}
		dst := d.reasons(s.set)
		err := set.Iter(func(elem *ast.Term) error {
			r, err := reason(elem, s)
			if err != nil {
				return err
			}
			*dst = append(*dst, r)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, rs := range [][]Reason{d.Terminate, d.Exempt, d.Warn} {
		sortReasons(rs)
	}
	return nil
}

// sortReasons sorts reasons by policy and reason, keeping the order of equal ones.
func sortReasons(rs []Reason) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Policy != rs[j].Policy {
			return rs[i].Policy < rs[j].Policy
		}
		return rs[i].Reason < rs[j].Reason
	})
}

func (d *Decision) reasons(set string) *[]Reason {
	switch set {
	case setTerminate:
		return &d.Terminate
	case setExempt:
		return &d.Exempt
	default:
		return &d.Warn
	}
}

var reasonKey = ast.StringTerm("reason")

// reason reads one set element: a non-empty string, or an object with a non-empty "reason"
// string whose other fields become Details.
func reason(elem *ast.Term, s slot) (Reason, error) {
	bad := &ReasonError{Policy: s.policy, Set: s.set, Value: elem.String()}
	switch v := elem.Value.(type) {
	case ast.String:
		if strings.TrimSpace(string(v)) == "" {
			return Reason{}, bad
		}
		return Reason{Policy: s.policy, Reason: string(v)}, nil
	case ast.Object:
		t := v.Get(reasonKey)
		if t == nil {
			return Reason{}, bad
		}
		text, ok := t.Value.(ast.String)
		if !ok || strings.TrimSpace(string(text)) == "" {
			return Reason{}, bad
		}
		r := Reason{Policy: s.policy, Reason: string(text)}
		if v.Len() > 1 {
			r.Details = make(map[string]any, v.Len()-1)
			err := v.Iter(func(k, val *ast.Term) error {
				if k.Equal(reasonKey) {
					return nil
				}
				x, err := ast.JSON(val.Value)
				if err != nil {
					return err
				}
				name := k.String()
				if ks, ok := k.Value.(ast.String); ok {
					name = string(ks)
				}
				r.Details[name] = x
				return nil
			})
			if err != nil {
				return Reason{}, fmt.Errorf("%s.%s: reason details: %w", s.policy, s.set, err)
			}
		}
		return r, nil
	default:
		return Reason{}, bad
	}
}
