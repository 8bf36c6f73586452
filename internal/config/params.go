package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decodeFree decodes a free-form mapping (policies.params) with yaml itself, then gives every
// nested mapping string keys (1 becomes "1", as yaml does at the top level), so it can become JSON
// policy input.
func (d *decoder) decodeFree(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n, "must be a mapping, got %s", describe(n))
		return
	}
	p := reflect.New(v.Type())
	if err := n.Decode(p.Interface()); err != nil {
		d.failYAML(path, n, err)
		return
	}
	norm, err := stringKeys(path, p.Elem().Interface())
	if err != nil {
		d.fail(err.Key, n, "%s", err.Msg)
		return
	}
	v.Set(reflect.ValueOf(norm))
}

// stringKeys returns v with every map[any]any below it turned into a map[string]any.
func stringKeys(path string, v any) (any, *KeyError) {
	switch v := v.(type) {
	case map[string]any:
		for k, el := range v {
			norm, err := stringKeys(child(path, k), el)
			if err != nil {
				return nil, err
			}
			v[k] = norm
		}
		return v, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, el := range v { // yaml only lets scalars through as keys
			ks := fmt.Sprint(k)
			if t, ok := k.(time.Time); ok {
				ks = t.Format(time.RFC3339Nano)
			}
			if _, dup := m[ks]; dup {
				return nil, keyErr(child(path, ks), "duplicate key")
			}
			norm, err := stringKeys(child(path, ks), el)
			if err != nil {
				return nil, err
			}
			m[ks] = norm
		}
		return m, nil
	case []any:
		for i, el := range v {
			norm, err := stringKeys(index(path, i), el)
			if err != nil {
				return nil, err
			}
			v[i] = norm
		}
		return v, nil
	}
	return v, nil
}

// failYAML records the errors of a yaml decode, each with its own line when yaml gives one.
func (d *decoder) failYAML(path string, n *yaml.Node, err error) {
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, msg := range msgs {
		line := n.Line
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			num, tail, _ := strings.Cut(rest, ": ")
			if l, err := strconv.Atoi(num); err == nil {
				line, msg = l, tail
			}
		}
		if strings.HasPrefix(msg, "invalid map key") {
			msg = "keys must be scalars"
		}
		d.errs = append(d.errs, &KeyError{Key: path, Line: line, Msg: msg})
	}
}
