// Package redacttest lists the encodings a secret may be echoed in and checks that a text holds
// none of them, for the tests of every package that redacts. Production code never imports it.
package redacttest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Tricky are secrets whose characters each encoding changes in its own way: a quote, a
// backslash, <, &, %, +, /, =, a space, and non-ASCII text.
var Tricky = []string{
	`tok/A+b=c<d>&e"f'g\h%i j/K+L=`,
	`sec+Q/r=S&t<u>"v'w\x%y z+9/8=`,
	`pässwörd-€-ü/ß+1`,
	`100% "real" \path\ <x&y>`,
	"emoji-😀-key+/=",
	"Zm9v/YmFy+YmF6==",
}

// Encodings returns every encoding of s a redactor must recognise, by name: raw; JSON (with and
// without HTML escapes, with \/, every character as \u); HTML (named, decimal, hex); URL (query
// and path form, %XX in either case, twice over); hex; base64 in both alphabets, padded or not,
// at all three alignments and inside a Basic auth header; and some of these stacked.
func Encodings(s string) map[string]string {
	out := map[string]string{"plain": s}
	out["json"] = JSONString(s, true)
	out["json without HTML escapes"] = JSONString(s, false)
	out["json with \\/"] = strings.ReplaceAll(JSONString(s, false), "/", `\/`)
	var lower, upper, dec, hexEnt, hexEntUpper, pctLower, pctUpper strings.Builder
	for _, r := range s {
		fmt.Fprintf(&lower, `\u%04x`, r)
		fmt.Fprintf(&upper, `\u%04X`, r)
		fmt.Fprintf(&dec, "&#%d;", r)
		fmt.Fprintf(&hexEnt, "&#x%x;", r)
		fmt.Fprintf(&hexEntUpper, "&#X%04X;", r)
	}
	for _, c := range []byte(s) {
		fmt.Fprintf(&pctLower, "%%%02x", c)
		fmt.Fprintf(&pctUpper, "%%%02X", c)
	}
	if isBMP(s) { // beyond the BMP, JSON writes a surrogate pair, not one \u escape per rune
		out["json \\u lower"], out["json \\u upper"] = lower.String(), upper.String()
	}
	out["html"] = html.EscapeString(s)
	out["html decimal"], out["html hex"], out["html hex upper"] = dec.String(), hexEnt.String(), hexEntUpper.String()
	out["url query"], out["url path"] = url.QueryEscape(s), url.PathEscape(s)
	out["percent lower"], out["percent upper"] = pctLower.String(), pctUpper.String()
	out["url twice"] = url.QueryEscape(url.QueryEscape(s))
	out["html of json"] = html.EscapeString(JSONString(s, true))
	out["json of html"] = JSONString(html.EscapeString(s), true)
	out["json of url"] = JSONString(url.QueryEscape(s), true)
	out["html of url"] = html.EscapeString(url.PathEscape(s))
	out["hex"], out["hex upper"] = hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s)))
	for name, enc := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding,
		"base64 raw": base64.RawStdEncoding, "base64url raw": base64.RawURLEncoding} {
		out[name] = enc.EncodeToString([]byte(s))
		// Inside a longer encoded text, at the other two alignments (Basic auth, a header dump).
		out[name+" after 1 byte"] = enc.EncodeToString([]byte("B" + s))
		out[name+" after 2 bytes"] = enc.EncodeToString([]byte("Ba" + s))
		out[name+" of a header"] = enc.EncodeToString([]byte("Authorization: Bearer " + s + "\r\n"))
	}
	out["basic auth"] = "Basic " + base64.StdEncoding.EncodeToString([]byte("reaper:"+s))
	out["base64 in json"] = strings.ReplaceAll(JSONString(base64.StdEncoding.EncodeToString([]byte(s)), false), "/", `\/`)
	out["base64 url-encoded"] = url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s)))
	return out
}

func isBMP(s string) bool {
	for _, r := range s {
		if r > 0xFFFF {
			return false
		}
	}
	return true
}

// JSONString is s as the body of a JSON string, without the quotes.
func JSONString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	return strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)[1:]
}

// Leak returns a piece of enc (the encoding named name of secret), 8 bytes long, that text still
// holds, or "". In base64 only the characters that encode nothing but the secret count: the name
// says how many bytes came before it.
func Leak(text, name, enc, secret string) string {
	lo, hi := 0, len(enc)
	if p, ok := base64Prefix(name); ok {
		lo, hi = (8*p+5)/6, 8*(p+len(secret))/6
		if name == "basic auth" {
			lo, hi = lo+len("Basic "), hi+len("Basic ")
		}
	}
	const n = 8
	for i := lo; i+n <= hi; i++ {
		if strings.Contains(text, enc[i:i+n]) {
			return enc[i : i+n]
		}
	}
	return ""
}

// base64Prefix returns how many bytes precede the secret in a base64 encoding named name.
func base64Prefix(name string) (int, bool) {
	switch {
	case name == "basic auth":
		return len("reaper:"), true
	case !strings.HasPrefix(name, "base64"):
		return 0, false
	case strings.HasSuffix(name, "after 1 byte"):
		return 1, true
	case strings.HasSuffix(name, "after 2 bytes"):
		return 2, true
	case strings.HasSuffix(name, "of a header"):
		return len("Authorization: Bearer "), true
	}
	return 0, true
}

// CheckNoLeak fails the test when text holds secret in any encoding, or a piece of one.
func CheckNoLeak(t testing.TB, where, text, secret string) {
	t.Helper()
	encs := Encodings(secret)
	for _, name := range slices.Sorted(maps.Keys(encs)) {
		if leak := Leak(text, name, encs[name], secret); leak != "" {
			t.Errorf("%s holds the secret (%s) as %q: %.400s", where, name, leak, text)
		}
	}
}
