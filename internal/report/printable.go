package report

import "strings"

// printableRun returns a copy of r's header whose strings are valid UTF-8 without control
// characters, so the page is well-formed whatever the fleet holds: invalid bytes and controls
// become U+FFFD, tabs and newlines become spaces. The instances are shared with r; render each
// through printableInstance.
func printableRun(r *Run) *Run {
	c := *r
	c.Command, c.Result, c.Error = printable(c.Command), printable(c.Result), printable(c.Error)
	c.ConfigDigest, c.PolicyDigest = printable(c.ConfigDigest), printable(c.PolicyDigest)
	c.Policies = printableAll(c.Policies)
	if c.Blocked != nil {
		b := *c.Blocked
		b.Limit, b.Message = printable(b.Limit), printable(b.Message)
		c.Blocked = &b
	}
	c.Summary.ByAction = printableKeys(c.Summary.ByAction)
	c.Summary.ByPolicy = printableKeys(c.Summary.ByPolicy)
	c.Summary.ByZone = printableKeys(c.Summary.ByZone)
	c.Savings.Note = printable(c.Savings.Note)
	return &c
}

// printableInstance is in with every string made printable. The HTML writer applies it one row
// at a time, so a large report never holds a second copy of every instance.
func printableInstance(in Instance) Instance {
	for _, f := range []*string{&in.ID, &in.Name, &in.Zone, &in.Type, &in.Status, &in.ChargeType, &in.Action, &in.SkipReason, &in.RequestID, &in.Error} {
		*f = printable(*f)
	}
	in.Reasons, in.Exemptions, in.Warnings = printableReasons(in.Reasons), printableReasons(in.Exemptions), printableReasons(in.Warnings)
	if len(in.Tags) > 0 {
		tags := in.Tags.First(nil) // a copy: in.Tags is the instance's own list
		for i, t := range tags {
			tags[i] = Tag{Key: printable(t.Key), Value: printable(t.Value)}
		}
		in.Tags = tags.First(nil) // keys that became one printable key keep one value
	}
	return in
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0xfffe || r == 0xffff:
			return '\ufffd'
		}
		return r
	}, strings.ToValidUTF8(s, "\ufffd"))
}

func printableAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = printable(s)
	}
	return out
}

func printableReasons(rs []Reason) []Reason {
	out := make([]Reason, len(rs))
	for i, r := range rs {
		out[i] = Reason{Policy: printable(r.Policy), Reason: printable(r.Reason)}
	}
	return out
}

func printableKeys(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[printable(k)] += v
	}
	return out
}
