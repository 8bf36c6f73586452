package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// Memos: the decision cache evaluates an instance's timed sets on every call (see
// decisionCache), but much of that work is time-free: parsing an expiry tag, a ttl. The values
// of time-free rules and functions an evaluation puts in its virtual cache hold for the same
// instance fields and params at every time, so the cache keeps the scalar ones (strings,
// numbers, booleans, null, undefined) with the entry, and the next evaluation of the instance
// reads them instead of computing them again.

// memoLimit bounds the values kept per instance.
const memoLimit = 32

// memoValue is one remembered virtual cache entry: value nil is undefined.
type memoValue struct {
	ref   ast.Ref
	value *ast.Term
}

// ruleTrie maps rule paths (after data) to whether every rule at the path is time-free.
type ruleTrie struct {
	children map[string]*ruleTrie
	rule     bool // a rule path ends here
	free     bool
	ref      ast.Ref // the rule path, shared by every memo of its value
}

// newRuleTrie builds the trie of the rules of c with plain string paths.
func newRuleTrie(c *ast.Compiler, a *ruleTaint) *ruleTrie {
	root := &ruleTrie{}
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			ref := r.Ref()
			if !ref.IsGround() || !allStrings(ref[1:]) {
				continue
			}
			n := root
			for _, t := range ref[1:] {
				s := string(t.Value.(ast.String))
				if n.children == nil {
					n.children = map[string]*ruleTrie{}
				}
				next := n.children[s]
				if next == nil {
					next = &ruleTrie{}
					n.children[s] = next
				}
				n = next
			}
			// Not a.rule(r): the value at ref is also given by rules of other paths that
			// hold a variable (m[k] beside m.fresh, clock[k] in a parent package).
			free := !a.dataRef(ref)
			if !n.rule {
				n.rule, n.free, n.ref = true, free, ref
			} else {
				n.free = n.free && free
			}
		}
	}
	return root
}

// memoKey returns the key under which a memo may keep a virtual cache entry, when the key
// names the value of a time-free rule: a data reference (data.reaper.expiry._ttl, or a key of a
// partial rule) or a function call (the function's reference, then its scalar arguments).
// A rule's own path is shared; any other key is copied.
func (t *ruleTrie) memoKey(key ast.Ref) (ast.Ref, bool) {
	if !t.freeKey(key) {
		return nil, false
	}
	if _, fn := key[0].Value.(ast.Ref); !fn {
		if n := t.walk(key); n != nil && len(n.ref) == len(key) {
			return n.ref, true
		}
	}
	return append(ast.Ref(nil), key...), true
}

// freeKey reports whether a virtual cache key names the value of a time-free rule.
func (t *ruleTrie) freeKey(key ast.Ref) bool {
	if t == nil || len(key) == 0 {
		return false
	}
	if fn, ok := key[0].Value.(ast.Ref); ok {
		for _, arg := range key[1:] {
			if !scalar(arg) {
				return false
			}
		}
		n := t.walk(fn)
		return n != nil && n.rule && n.free && len(n.children) == 0
	}
	return t.walk(key) != nil
}

// walk follows a data reference to the first rule path on it, and returns it when the rule is
// time-free.
func (t *ruleTrie) walk(ref ast.Ref) *ruleTrie {
	if len(ref) < 2 || !ref[0].Equal(ast.DefaultRootDocument) {
		return nil
	}
	n := t
	for _, term := range ref[1:] {
		s, ok := term.Value.(ast.String)
		if !ok {
			return nil
		}
		if n = n.children[string(s)]; n == nil {
			return nil
		}
		if n.rule {
			if !n.free {
				return nil
			}
			return n
		}
	}
	return nil
}

// scalar reports whether a memo may keep value.
func scalar(value *ast.Term) bool {
	if value == nil {
		return true
	}
	switch value.Value.(type) {
	case ast.String, ast.Number, ast.Boolean, ast.Null:
		return true
	}
	return false
}
