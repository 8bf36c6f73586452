package policy

// MergeParams returns defaults with override deep-merged over it: where both hold an object
// (map[string]any) under the same key, the objects are merged the same way; any other value
// of override (a string, a number, a list, null) replaces the default. Neither argument is
// modified, and the result shares no map or slice with them.
func MergeParams(defaults, override map[string]any) map[string]any {
	out := make(map[string]any, len(defaults)+len(override))
	for k, v := range defaults {
		out[k] = deepCopy(v)
	}
	for k, v := range override {
		if over, ok := v.(map[string]any); ok {
			if base, ok := out[k].(map[string]any); ok {
				out[k] = MergeParams(base, over)
				continue
			}
		}
		out[k] = deepCopy(v)
	}
	return out
}

// deepCopy copies the maps and slices of a decoded JSON or YAML value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	default:
		return v
	}
}
