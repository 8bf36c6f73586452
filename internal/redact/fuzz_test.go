package redact

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/reaper-bmc/reaper/internal/redact/redacttest"
)

// fuzzEncoders are the encodings FuzzRedact hides a secret in; mode picks one.
var fuzzEncoders = []func(string) string{
	func(s string) string { return s },
	func(s string) string { return redacttest.JSONString(s, true) },
	func(s string) string { return strings.ReplaceAll(redacttest.JSONString(s, false), "/", `\/`) },
	func(s string) string { // every rune as \uXXXX, as JSON writes it: a surrogate pair above U+FFFF
		var b strings.Builder
		for _, r := range s {
			if hi, lo := utf16.EncodeRune(r); hi != utf8.RuneError {
				fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
				continue
			}
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	},
	html.EscapeString,
	func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, "&#x%X;", r)
		}
		return b.String()
	},
	url.QueryEscape,
	url.PathEscape,
	func(s string) string { return url.QueryEscape(url.QueryEscape(s)) },
	func(s string) string { return html.EscapeString(redacttest.JSONString(s, true)) },
	func(s string) string { return hex.EncodeToString([]byte(s)) },
}

// FuzzRedact hides a secret, in one of several encodings, at any place of an arbitrary text and
// redacts it with a Redactor of that secret. Whatever the text and the secret (printable
// UTF-8 of 8 bytes or more, as credentials are, without the brackets of [REDACTED]), redaction never panics, never leaves the secret or
// its encoding in the result, and a second pass brings nothing back; in base64 of a text holding
// it, something is always redacted.
func FuzzRedact(f *testing.F) {
	f.Add(redacttest.Tricky[0], "before after", uint8(0), uint16(7))
	f.Add(redacttest.Tricky[1], `{"message":"x"}`, uint8(3), uint16(12))
	f.Add("tok-SECRET-bearer-0123456789", "%%%&&&\\\\\\", uint8(8), uint16(3))
	f.Add("Zm9v/YmFy+YmF6==", "&amp;&#x2F;%2F\\/", uint8(9), uint16(2))
	f.Fuzz(func(t *testing.T, secret, text string, mode uint8, at uint16) {
		if len(secret) < 8 || len(secret) > 256 || len(text) > 4096 || strings.ContainsAny(secret, "[]") ||
			strings.Contains(Mark, secret) || !printable(secret) {
			return
		}
		r := New(secret)
		enc := fuzzEncoders[int(mode)%len(fuzzEncoders)](secret)
		i := int(at) % (len(text) + 1)
		in := text[:i] + " " + enc + " " + text[i:]
		got := r.Text(in)
		if strings.Contains(got, secret) || strings.Contains(got, enc) {
			t.Fatalf("redact(%q) = %q: the secret (as %q) survived", in, got, enc)
		}
		if !strings.Contains(got, Mark) {
			t.Fatalf("redact(%q) = %q: nothing redacted", in, got)
		}
		if again := r.Text(got); strings.Contains(again, secret) {
			t.Fatalf("redact twice = %q: the secret came back", again)
		}
		if plain := r.Text(text); !strings.Contains(text, secret) && plain != text && !strings.Contains(plain, Mark) {
			t.Fatalf("redact(%q) = %q: changed without redacting", text, plain)
		}
		// In base64 the secret's own characters depend on its alignment; the text around it may
		// repeat them, so all that is certain is that something is redacted.
		b64 := base64.StdEncoding.EncodeToString([]byte(text[:i] + secret + text[i:]))
		if got := r.Text(b64); !strings.Contains(got, Mark) {
			t.Fatalf("redact of base64 %q = %q: nothing redacted", b64, got)
		}
	})
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
