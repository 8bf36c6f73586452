package reconcile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// Tag matching for protection (README, Policies): keys match trimmed and case-insensitively; a
// configured boolean value ("true", "yes", "1", any case) matches any true-ish value, and any
// other configured value matches trimmed and case-insensitively. A key can repeat on an
// instance: the instance matches when ANY of its values does.

// tagKeyEqual reports whether two tag keys name the same tag.
func tagKeyEqual(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// truthy reports whether a tag value means yes: true, yes or 1, trimmed, in any case.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1":
		return true
	}
	return false
}

// falsy reports whether a tag value deliberately means no: false, no or 0.
func falsy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "no", "0":
		return true
	}
	return false
}

// tagValueMatches reports whether an instance's tag value got satisfies the configured value want.
func tagValueMatches(want, got string) bool {
	if truthy(want) {
		return truthy(got)
	}
	return strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(got))
}

// sortedKeys appends the keys of m to buf in order. Protection's tags are the same for every
// instance: a caller passes a buffer of its own stack, so that a cycle does not allocate a copy of
// them per instance (issue 14: at the collector's pace such garbage counts as live heap).
func sortedKeys(m map[string]string, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// matchTags returns the configured key and the instance's value of the first configured tag
// (in key order) that some pair of the instance satisfies.
func matchTags(want map[string]string, pairs []zen.Tag) (key, value string, ok bool) {
	if len(pairs) == 0 || len(want) == 0 {
		return "", "", false
	}
	var buf [8]string
	for _, k := range sortedKeys(want, buf[:0]) {
		for _, t := range pairs {
			if tagKeyEqual(k, t.Key) && tagValueMatches(want[k], t.Value) {
				return k, t.Value, true
			}
		}
	}
	return "", "", false
}

// tagWarnings returns what an operator should see about an instance's tags: keys that repeat
// (policies' input.instance.tags holds only the first value) and, for an instance the protect
// tags do not cover, values of a protect key that protect nothing although they do not say no
// either (a typo such as "ture").
func (p Protection) tagWarnings(in zen.Instance) []string {
	pairs := in.TagList
	out := RepeatedTagWarnings(pairs)
	if len(pairs) == 0 {
		return out
	}
	if _, _, ok := matchTags(p.Tags, pairs); ok {
		return out
	}
	var buf [8]string
	for _, k := range sortedKeys(p.Tags, buf[:0]) {
		for _, t := range pairs {
			if !tagKeyEqual(k, t.Key) || falsy(t.Value) && truthy(p.Tags[k]) {
				continue
			}
			hint := ""
			if truthy(p.Tags[k]) {
				hint = " (booleans: true, yes or 1)"
			}
			out = append(out, fmt.Sprintf("tag %s=%q does not match safety.protect.tags %s=%q%s; the instance is not protected by it",
				shownTag(t.Key), t.Value, k, p.Tags[k], hint))
		}
	}
	return out
}

// RepeatedTagWarnings returns one warning per tag key that repeats in pairs, with its values:
// policies' input.instance.tags holds only the first, so the report says so.
func RepeatedTagWarnings(pairs []zen.Tag) []string {
	var out []string
	for _, k := range zen.RepeatedTagKeys(pairs) {
		var vals []string
		for _, t := range pairs {
			if t.Key == k {
				vals = append(vals, strconv.Quote(t.Value))
			}
		}
		out = append(out, fmt.Sprintf("tag key %s repeats (values %s): input.instance.tags holds the first; "+
			"protection and exemptions consider every value", strconv.Quote(k), strings.Join(vals, ", ")))
	}
	return out
}

// shownTag writes a tag key or value as is when it is plain text, quoted otherwise (spaces,
// control or invisible characters).
func shownTag(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
