package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Tag is one tag of a report row.
type Tag struct {
	Key   string
	Value string
}

// Tags is an instance's tags as reports show them: the first value of each key the instance
// carries, sorted by key in byte order, the order encoding/json writes a map's keys. It is
// written as a JSON object, byte for byte as the map[string]string that reports held before
// (issue 14: a map per row cost ~300 bytes), and reads that object back from older reports.
// Build one with FirstTags; a row's Tags is never a place to look for protection, which reads
// every pair of the instance.
type Tags []Tag

// FirstTags returns pairs reduced to the first value of each key, sorted by key; nil when
// pairs is empty. It works in place: pairs must be the caller's own slice.
func FirstTags(pairs Tags) Tags {
	if len(pairs) == 0 {
		return nil
	}
	slices.SortStableFunc(pairs, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(pairs, func(a, b Tag) bool { return a.Key == b.Key }) // keeps the first of a run
}

// Value returns the value of key, and whether the row has key.
func (t Tags) Value(key string) (string, bool) {
	if i, ok := slices.BinarySearchFunc(t, key, func(p Tag, k string) int { return strings.Compare(p.Key, k) }); ok {
		return t[i].Value, true
	}
	return "", false
}

// MarshalJSON writes the tags as a JSON object, {} when there are none. Strings are written
// without HTML escaping, which encoding/json then applies as the encoder is set, so the bytes are
// a map's in either setting.
func (t Tags) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, p := range t {
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

// UnmarshalJSON reads a JSON object of strings (or null), as a map[string]string would: a key
// given twice keeps its last value.
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
