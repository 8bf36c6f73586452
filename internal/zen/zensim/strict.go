package zensim

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// unknownKey returns the path of the first object member in data whose name is not exactly the
// JSON name of a field of t ("" when every name matches). encoding/json matches names without
// regard to case and its DisallowUnknownFields does too, so "InstanceIds" would fill instanceIds;
// a server compares names exactly. Members inside arrays, pointers and nested structs are
// checked too; map keys are data, not names, so only map values are. Values that do not have
// the shape t expects are left to the decoder to report.
func unknownKey(data []byte, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return ""
		}
		fields := jsonFields(t)
		for _, name := range sortedKeys(members) {
			ft, ok := fields[name]
			if !ok {
				return name
			}
			if sub := unknownKey(members[name], ft); sub != "" {
				return join(name, sub)
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return ""
		}
		for i, item := range items {
			if sub := unknownKey(item, t.Elem()); sub != "" {
				return "[" + strconv.Itoa(i) + "]" + dotted(sub)
			}
		}
	case reflect.Map:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return ""
		}
		for _, name := range sortedKeys(members) {
			if sub := unknownKey(members[name], t.Elem()); sub != "" {
				return join(name, sub)
			}
		}
	}
	return ""
}

// jsonFields maps the JSON names of t's exported fields (embedded structs flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Sorted so the same body always names the same member.
	slices.Sort(keys)
	return keys
}

func join(name, sub string) string { return name + dotted(sub) }

func dotted(sub string) string {
	if strings.HasPrefix(sub, "[") {
		return sub
	}
	return "." + sub
}
