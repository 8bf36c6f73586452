package zen

import (
	"maps"
	"slices"
)

// Tag is one key/value pair of an instance, as the API lists it. It is an alias of the plain
// struct, as report.Tag is, so that a report row shares an instance's pairs without a copy
// (issue 14); neither package imports the other.
type Tag = struct {
	Key   string
	Value string
}

// Tags is an instance's tags: every pair in API order. A key can repeat; the first pair of a key
// gives its value (Value, First: input.instance.tags), and protection and exemption rules read
// every pair (matching keys loosely, reconcile), so that any value protects. Value and First
// compare keys exactly, as the API stores them.
type Tags []Tag

// Value returns the first value of key, and whether the instance carries key at all.
func (t Tags) Value(key string) (string, bool) {
	for _, p := range t {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// First returns a map of the first value of each key; nil when there are no tags. It is built
// for one use (a policy document, a table): an instance keeps only its pairs.
func (t Tags) First() map[string]string {
	if len(t) == 0 {
		return nil
	}
	m := make(map[string]string, len(t))
	for _, p := range t {
		if _, seen := m[p.Key]; !seen {
			m[p.Key] = p.Value
		}
	}
	return m
}

// TagsFromMap returns the pairs of m sorted by key, for an instance described by a map rather
// than listed by the API (tests); nil when m is empty.
func TagsFromMap(m map[string]string) Tags {
	if len(m) == 0 {
		return nil
	}
	out := make(Tags, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: k, Value: m[k]})
	}
	return out
}

// tagsFromWire turns the wire tag list into the pairs in API order; nil when there are none. A
// key can repeat: the list keeps every pair, so that a protection carried by any of them is seen
// (see Tags). A tag with an empty key is dropped; a null value is an empty one. Keys, values and
// whole lists are interned: owner, team and env tags repeat across a fleet.
func tagsFromWire(tags *wireTags, in *interner) Tags {
	if tags == nil {
		return nil
	}
	return in.tags(tags.Tags)
}

// RepeatedTagKeys returns the keys that occur more than once in tags, in the order in which each
// occurs a second time; nil when none does. Keys compare exactly, as the API stores them. It runs
// for every listed instance, so it allocates nothing unless a key repeats: an instance carries a
// handful of tags, and comparing each with the ones before it costs less than a map.
func RepeatedTagKeys(tags []Tag) []string {
	var out []string
	for i, t := range tags {
		earlier := 0
		for _, u := range tags[:i] {
			if u.Key == t.Key {
				earlier++
			}
		}
		if earlier == 1 {
			out = append(out, t.Key)
		}
	}
	return out
}
