package notify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
)

// minSecretLen is the shortest user name, password, query value or path segment scrubbed as free
// text. Shorter ones ("?v=1") cannot be told apart from ordinary text; they are still never shown,
// because the webhook is only ever named as scheme://host/….
const (
	minSecretLen  = 3
	minSegmentLen = 6
)

// secretParts lists every part of the webhook URL that must never be shown, in every encoding a
// server or a library might echo it in, longest first: the whole URL, its path, query and
// fragment, the user name and password, every query value (and key=value pair) and every long
// path segment.
func secretParts(raw string, u *url.URL) []string {
	whole := []string{raw, u.String(), u.RawQuery, u.Fragment, u.EscapedPath()}
	var pieces []string
	if u.User != nil {
		whole = append(whole, u.User.String())
		pieces = append(pieces, u.User.Username())
		if p, ok := u.User.Password(); ok {
			pieces = append(pieces, p)
		}
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		whole = append(whole, pair)
		_, v, _ := strings.Cut(pair, "=")
		if dv, err := url.QueryUnescape(v); err == nil {
			pieces = append(pieces, dv)
		}
		pieces = append(pieces, v)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= minSegmentLen {
			pieces = append(pieces, seg)
		}
	}
	var out []string
	for _, p := range whole {
		if len(p) > 1 {
			out = append(out, encodings(p)...)
		}
	}
	for _, p := range pieces {
		if len(p) >= minSecretLen {
			out = append(out, encodings(p)...)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return slices.Compact(out)
}

// encodings returns s as it may be echoed: raw, percent-encoded (query and path style, either
// case), JSON-escaped (with and without escaped slashes) and HTML-escaped (named, decimal and hex
// entities).
func encodings(s string) []string {
	q, p := url.QueryEscape(s), url.PathEscape(s)
	js, _ := json.Marshal(s)
	jsInner := strings.TrimSuffix(strings.TrimPrefix(string(js), `"`), `"`)
	forms := []string{
		s, q, p, lowerPercent(q), lowerPercent(p),
		jsInner, strings.ReplaceAll(jsInner, "/", `\/`),
		html.EscapeString(s), entities(s, "&#%d;"), entities(s, "&#x%X;"), entities(s, "&#x%x;"),
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// lowerPercent lower-cases the hex digits of every %XX escape.
func lowerPercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			b.WriteString(strings.ToLower(s[i : i+3]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// entities writes every rune that is not an ASCII letter or digit as an HTML character reference
// in format.
func entities(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}
