package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// inputFields says which fields of input.instance the policies can read. The engine builds
// only those for each instance: fields no policy refers to cost nothing. A reference the
// analysis cannot pin to constant fields (input, input.instance, input.instance[x], ...)
// makes every field needed.
type inputFields struct {
	all    bool
	fields map[string]bool
}

// needs reports whether the policies may read input.instance[name].
func (f *inputFields) needs(name string) bool { return f == nil || f.all || f.fields[name] }

// usedInputFields scans the compiled modules for references to input.
func usedInputFields(c *ast.Compiler) *inputFields {
	f := &inputFields{fields: map[string]bool{}}
	for _, m := range c.Modules {
		ast.WalkRefs(m, func(ref ast.Ref) bool {
			if !ref.HasPrefix(ast.InputRootRef) {
				return false
			}
			if len(ref) < 2 {
				f.all = true
				return false
			}
			top, ok := ref[1].Value.(ast.String)
			switch {
			case !ok:
				f.all = true
			case top != "instance":
			case len(ref) < 3:
				f.all = true
			default:
				if field, ok := ref[2].Value.(ast.String); ok {
					f.fields[string(field)] = true
				} else {
					f.all = true
				}
			}
			return false
		})
		if f.all {
			break
		}
	}
	return f
}
