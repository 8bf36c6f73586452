package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder is the strict decode: it walks the YAML node tree along the Config type, so every
// unknown key, duplicate key and wrongly typed value is reported with its full key path and line,
// and all of them are reported, not just the first. It is what yaml.Decoder.KnownFields does,
// with key paths. A null value (a key with nothing after it) keeps the default.
type decoder struct {
	errs []error
	// set holds the key paths of scalars the file gave a value.
	set map[string]bool
}

var (
	secretType      = reflect.TypeFor[Secret]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

// decodeFile decodes data over c. A syntax error ends decoding at once and is the only error.
func decodeFile(data []byte, c *Config) (set map[string]bool, errs []error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, []error{err}
	}
	d := &decoder{set: map[string]bool{}}
	if root != nil {
		d.decodeStruct("", root, reflect.ValueOf(c).Elem())
	}
	return d.set, d.errs
}

// parseDocument returns the root node of the single YAML document in data, or nil when data holds
// no document or an empty one.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("parse config: %w", err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, fmt.Errorf("parse config: line %d: more than one YAML document", extra.Line)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("parse config: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse config: line %d: the top level must be a mapping of keys, got %s",
			root.Line, describe(root))
	}
	return root, nil
}

func (d *decoder) fail(path string, n *yaml.Node, format string, args ...any) {
	if path == "" {
		path = "(top level)"
	}
	d.errs = append(d.errs, &KeyError{Key: path, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// decodeStruct decodes a mapping into the struct v.
func (d *decoder) decodeStruct(path string, n *yaml.Node, v reflect.Value) {
	fields := structFields(v.Type())
	d.eachPair(path, n, func(kp, name string, k, val *yaml.Node) {
		i, ok := fields[name]
		if !ok {
			d.fail(kp, k, "%s", unknownKey(kp, name, fields))
			return
		}
		d.decodeValue(kp, val, v.Field(i))
	})
}

// eachPair calls fn for every key of the mapping n, after checking that n is a mapping and that
// its keys are distinct strings.
func (d *decoder) eachPair(path string, n *yaml.Node, fn func(kp, name string, k, val *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n, "must be a mapping, got %s", describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(path, k, "keys must be strings, got %s", describe(k))
			continue
		}
		if k.Value == "<<" && k.Tag == "!!merge" {
			d.fail(path, k, "merge keys (<<) are not supported")
			continue
		}
		kp := child(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.fail(kp, k, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		fn(kp, k.Value, k, val)
	}
}

// decodeValue decodes n into v, leaving v alone when n is null or wrong.
func (d *decoder) decodeValue(path string, n *yaml.Node, v reflect.Value) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if v.Type() == pricingType {
		d.decodePricing(path, n, v)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		p := reflect.New(v.Type())
		if err := p.Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.fail(path, n, "%s", err.Error())
			return
		}
		v.Set(p.Elem())
		d.set[path] = true
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Slice:
		d.decodeSlice(path, n, v)
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Interface {
			d.decodeFree(path, n, v)
			return
		}
		d.decodeMap(path, n, v)
	default:
		d.decodeScalar(path, n, v)
	}
}

func (d *decoder) decodeSlice(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, n, "must be a list, got %s", describe(n))
		return
	}
	before := len(d.errs)
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, el := range n.Content {
		d.decodeValue(index(path, i), el, s.Index(i))
	}
	if len(d.errs) == before {
		v.Set(s)
	}
}

// decodeMap decodes a mapping into a fresh map, which replaces the default map as a whole.
func (d *decoder) decodeMap(path string, n *yaml.Node, v reflect.Value) {
	before := len(d.errs)
	m := reflect.MakeMap(v.Type())
	d.eachPair(path, n, func(kp, name string, _, val *yaml.Node) {
		el := reflect.New(v.Type().Elem()).Elem()
		d.decodeValue(kp, val, el)
		m.SetMapIndex(reflect.ValueOf(name).Convert(v.Type().Key()), el)
	})
	if len(d.errs) == before {
		v.Set(m)
	}
}

// decodeScalar decodes a scalar into a bool, integer, float or string, accepting only the YAML
// types that mean that kind (so "yes" is not a bool and 1.5 is not an integer).
func (d *decoder) decodeScalar(path string, n *yaml.Node, v reflect.Value) {
	want, tags := scalarWant(v.Kind())
	if n.Kind != yaml.ScalarNode || !strings.Contains(tags, n.ShortTag()+" ") {
		d.fail(path, n, "must be %s, got %s", want, describe(n))
		return
	}
	if v.Kind() == reflect.String {
		v.SetString(n.Value)
		d.set[path] = true
		return
	}
	p := reflect.New(v.Type())
	if err := n.Decode(p.Interface()); err != nil {
		d.fail(path, n, "must be %s, got %s", want, describe(n))
		return
	}
	v.Set(p.Elem())
	d.set[path] = true
}

// scalarWant names what a kind needs and lists the YAML tags it accepts, each followed by a space.
func scalarWant(k reflect.Kind) (want, tags string) {
	switch k {
	case reflect.Bool:
		return "true or false", "!!bool "
	case reflect.Int, reflect.Int64:
		return "an integer", "!!int "
	case reflect.Float64:
		return "a number", "!!int !!float "
	default:
		return "a string", "!!str !!int !!float !!bool !!timestamp "
	}
}

// structFields maps the yaml key names of t's fields to their index. Secret fields are output
// only: their values never come from the file.
func structFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || f.Type == secretType {
			continue
		}
		m[name] = i
	}
	return m
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" || n.Kind == 0
}
