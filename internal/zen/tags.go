package zen

// Tag is one key/value pair of an instance, as the API lists it.
type Tag struct {
	Key   string
	Value string
}

// tagsFromWire turns the wire tag list into the pairs in API order and a map of the FIRST value
// of each key; both nil when there are none. A key can repeat: the list keeps every pair, so that
// a protection carried by any of them is seen (see Instance.TagList). A tag with an empty key is
// dropped; a null value is an empty one.
func tagsFromWire(tags *wireTags, in interner) (list []Tag, first map[string]string) {
	if tags == nil {
		return nil, nil
	}
	for _, t := range tags.Tags {
		if t.Key == "" {
			continue
		}
		if list == nil {
			list = make([]Tag, 0, len(tags.Tags))
			first = make(map[string]string, len(tags.Tags))
		}
		tag := Tag{Key: in.get(t.Key), Value: in.get(t.Value)}
		list = append(list, tag)
		if _, seen := first[tag.Key]; !seen {
			first[tag.Key] = tag.Value
		}
	}
	return list, first
}

// RepeatedTagKeys returns the keys that occur more than once in tags, in order of their first
// occurrence; nil when none does. Keys compare exactly, as the API stores them.
func RepeatedTagKeys(tags []Tag) []string {
	var seen map[string]int
	var out []string
	for _, t := range tags {
		if seen == nil {
			seen = make(map[string]int, len(tags))
		}
		seen[t.Key]++
		if seen[t.Key] == 2 {
			out = append(out, t.Key)
		}
	}
	return out
}
