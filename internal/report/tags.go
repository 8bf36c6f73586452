package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Tag is one tag pair. It is an alias of the plain struct, as zen.Tag is, so that a row shares
// the instance's pair list without a copy (issue 14); report imports no other reaper package.
type Tag = struct {
	Key   string
	Value string
}

// Tags is an instance's tags, every pair in the order the API listed them (a key can repeat).
// Reports show the first value of each key, keys sorted (First), and write that as a JSON
// object, byte for byte as the map[string]string rows held before (a map per row cost ~300
// bytes); an older report's object reads back as its pairs sorted by key. A row's Tags is
// never a place to look for protection, which reads every pair of the instance.
type Tags []Tag

// First returns the tags as reports show them: the first value of each key, sorted by key in
// byte order, the order encoding/json writes a map's keys; nil when there are none. It appends
// to buf[:0] (nil for a new slice) and never reorders t, which a row shares with the instance.
func (t Tags) First(buf Tags) Tags {
	if len(t) == 0 {
		return nil
	}
	buf = append(buf[:0], t...)
	slices.SortStableFunc(buf, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(buf, func(a, b Tag) bool { return a.Key == b.Key }) // keeps the first of a run
}

// MarshalJSON writes First as a JSON object, {} when there are none. Strings are written without
// HTML escaping, which encoding/json then applies as its encoder is set, so the bytes are a
// map's in either setting.
func (t Tags) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, p := range t.First(nil) {
		if i > 0 {
			buf.WriteByte(',')
		}
		for j, s := range []string{p.Key, p.Value} {
			if j > 0 {
				buf.WriteByte(':')
			}
			if err := enc.Encode(s); err != nil {
				return nil, err
			}
			buf.Truncate(buf.Len() - 1) // Encode's newline
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a JSON object of strings (or null), as a map[string]string would (a key
// given twice keeps its last value), into its pairs sorted by key.
func (t *Tags) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) == 0 {
		*t = nil
		return nil
	}
	out := make(Tags, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: k, Value: m[k]})
	}
	*t = out
	return nil
}
