package redact

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// maxDecodeDepth bounds how many text encodings may be stacked on a secret.
	maxDecodeDepth = 3
	// maxViews bounds the decoded views of one text.
	maxViews = 64
	// maxEntity is the longest HTML character reference recognised, '&' and ';' included.
	maxEntity = 32
	// maxUnitLen bounds the encoded length of one character of a secret under stacked encodings;
	// the redactor's look-ahead is that times the longest secret.
	maxUnitLen = 48
	// maxRedactInput bounds the text one redaction reads: longer text is cut (with "…") first.
	maxRedactInput = 64 << 10
)

// Mark replaces every span of text that held a secret.
const Mark = "[REDACTED]"

// Redactor removes a fixed set of secrets from text. It is safe for concurrent use. A nil
// *Redactor, like one built without secrets, returns text unchanged.
type Redactor struct {
	forms   []string // what to look for in every decoded view: the secrets, base64 and hex forms
	shorter int      // no text shorter than this can hold any form, encoded or not
	margin  int      // the longest a form can be once encoded: the look-ahead of head
	space   bool     // a secret holds a space, so a '+' may stand for one (form encoding)
}

// New builds the Redactor of the non-empty secrets. Pass every spelling a secret has before it
// is encoded (a DSN's password as written and as decoded, say), and any composite a protocol
// builds from it and then encodes (user:password of Basic auth, the AUTH PLAIN message), so that
// its base64 is found even for a short password.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		r.forms = append(r.forms, s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
		r.forms = append(r.forms, base64Cores(s)...)
		r.space = r.space || strings.ContainsRune(s, ' ')
	}
	r.forms = slices.DeleteFunc(r.forms, func(f string) bool { return f == "" })
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) }) // longest first
	r.forms = slices.Compact(r.forms)
	if len(r.forms) > 0 {
		r.shorter = len(r.forms[len(r.forms)-1])
		r.margin = len(r.forms[0]) * maxUnitLen
	}
	return r
}

// minBase64Core is the shortest base64 core worth looking for: shorter ones would match too
// much, and reveal too little of a secret to matter.
const minBase64Core = 6

// base64Cores returns, for each of the three byte alignments a secret can have inside a longer
// base64-encoded text and for both alphabets, the characters that encode only the secret's
// bytes: they appear whenever the secret is encoded at that alignment, whatever surrounds it.
func base64Cores(s string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for k := range 3 {
			full := enc.EncodeToString(append(make([]byte, k), s...))
			// Skip the characters the k leading bytes touch, and the last, partial group.
			lo := (k*8 + 5) / 6
			hi := ((k + len(s)) / 3) * 4
			if hi-lo >= minBase64Core {
				out = append(out, full[lo:hi])
			}
		}
	}
	return out
}

// Text returns s with every recognised form of every secret replaced by Mark. Text longer than
// 64 KiB is cut first, with "…" added.
func (r *Redactor) Text(s string) string {
	if r == nil {
		return s
	}
	if len(s) > maxRedactInput {
		return r.Head(s, maxRedactInput) + "…"
	}
	return r.replace(s, r.find(s), len(s))
}

// Head returns the redacted start of s: about n bytes, never a part of a secret. Only the first
// n bytes, plus a look-ahead of Margin bytes, are read; cut the text there before calling Head,
// never shorter.
func (r *Redactor) Head(s string, n int) string {
	if r == nil {
		return s[:min(n, len(s))]
	}
	if len(s) <= n {
		return r.replace(s, r.find(s), len(s))
	}
	end := min(len(s), n+r.margin)
	return r.replace(s, r.find(s[:end]), n)
}

// Margin is the longest any secret can be once encoded: how far past a cut Head reads.
func (r *Redactor) Margin() int {
	if r == nil {
		return 0
	}
	return r.margin
}

// replace writes s[:n] with the spans replaced; a span that crosses n ends the text.
func (r *Redactor) replace(s string, spans []span, n int) string {
	if len(spans) == 0 {
		return s[:n]
	}
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		if sp.lo >= n {
			break
		}
		b.WriteString(s[at:sp.lo])
		b.WriteString(Mark)
		at = sp.hi
	}
	if at < n {
		b.WriteString(s[at:n])
	}
	return b.String()
}

// span is a byte range [lo, hi) of the original text.
type span struct{ lo, hi int }

// find returns the sorted, merged spans of s that hold a form of a secret, in any decoded view.
func (r *Redactor) find(s string) []span {
	if len(r.forms) == 0 || len(s) < r.shorter {
		return nil
	}
	if !decodable(s, r.decoders()) { // s is its only view: the common case, with nothing to allocate
		return merge(r.spansIn(nil, view{text: s}))
	}
	var spans []span
	for _, v := range r.views(s) {
		spans = r.spansIn(spans, v)
	}
	return merge(spans)
}

// spansIn appends the spans of the original text that hold a form of a secret in the view v.
func (r *Redactor) spansIn(spans []span, v view) []span {
	for _, f := range r.forms {
		for i := 0; ; {
			j := strings.Index(v.text[i:], f)
			if j < 0 {
				break
			}
			lo, hi := i+j, i+j+len(f)
			spans = append(spans, span{v.lo(lo), v.hi(hi - 1)})
			i = lo + 1
		}
	}
	return spans
}

func merge(spans []span) []span {
	if len(spans) < 2 {
		return spans
	}
	slices.SortFunc(spans, func(a, b span) int { return a.lo - b.lo })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp.lo <= last.hi {
			last.hi = max(last.hi, sp.hi)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// view is a decoded form of the original text: byte i of text was decoded from the original
// bytes [los[i], his[i]). The identity view has no maps.
type view struct {
	text     string
	los, his []int32
}

func (v view) lo(i int) int {
	if v.los == nil {
		return i
	}
	return int(v.los[i])
}

func (v view) hi(i int) int {
	if v.his == nil {
		return i + 1
	}
	return int(v.his[i])
}

// decoder decodes every escape it recognises in s and leaves the rest as it is. unit decodes the
// escape at s[i] (s[i] is one of triggers): its text and width, or ok false.
type decoder struct {
	triggers string
	unit     func(s string, i int) (text string, width int, ok bool)
}

var (
	jsonDecoder = decoder{`\`, jsonUnit}
	htmlDecoder = decoder{`&`, htmlUnit}
	urlDecoder  = decoder{`%`, percentUnit}
	formDecoder = decoder{`%+`, formUnit}
)

var (
	plainDecoders = []decoder{jsonDecoder, htmlDecoder, urlDecoder}
	spaceDecoders = []decoder{jsonDecoder, htmlDecoder, urlDecoder, formDecoder}
)

// decoders are the decoders views stacks: form decoding (+ as a space) only when a secret holds
// a space.
func (r *Redactor) decoders() []decoder {
	if r.space {
		return spaceDecoders
	}
	return plainDecoders
}

// decodable reports whether any of decoders could change s: whether s holds one of their
// triggers. When none could, s is its only view.
func decodable(s string, decoders []decoder) bool {
	for _, d := range decoders {
		if strings.ContainsAny(s, d.triggers) {
			return true
		}
	}
	return false
}

// views returns s and every distinct decoding of it by up to maxDecodeDepth stacked decoders.
func (r *Redactor) views(s string) []view {
	decoders := r.decoders()
	out := []view{{text: s}}
	seen := map[string]bool{s: true}
	frontier := out
	for depth := 0; depth < maxDecodeDepth && len(frontier) > 0; depth++ {
		var next []view
		for _, v := range frontier {
			for _, d := range decoders {
				w, changed := d.decode(v)
				if !changed || seen[w.text] || len(out) >= maxViews {
					continue
				}
				seen[w.text] = true
				out = append(out, w)
				next = append(next, w)
			}
		}
		frontier = next
	}
	return out
}

// decode applies d to v, mapping every decoded byte back to the original text.
func (d decoder) decode(v view) (view, bool) {
	s := v.text
	if !strings.ContainsAny(s, d.triggers) {
		return v, false
	}
	var b strings.Builder
	b.Grow(len(s))
	los := make([]int32, 0, len(s))
	his := make([]int32, 0, len(s))
	changed := false
	for i := 0; i < len(s); {
		text, width := s[i:i+1], 1
		if strings.IndexByte(d.triggers, s[i]) >= 0 {
			if t, w, ok := d.unit(s, i); ok {
				text, width, changed = t, w, true
			}
		}
		lo, hi := int32(v.lo(i)), int32(v.hi(i+width-1))
		for range len(text) {
			los, his = append(los, lo), append(his, hi)
		}
		b.WriteString(text)
		i += width
	}
	return view{text: b.String(), los: los, his: his}, changed
}

// jsonEscapes maps the character after a backslash to what it stands for.
var jsonEscapes = [256]string{'"': `"`, '\\': `\`, '/': "/", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t"}

// jsonUnit decodes a JSON string escape: \" \\ \/ \b \f \n \r \t and \uXXXX (a surrogate pair
// as one character).
func jsonUnit(s string, i int) (string, int, bool) {
	if i+1 >= len(s) {
		return "", 0, false
	}
	if c := jsonEscapes[s[i+1]]; c != "" {
		return c, 2, true
	}
	if s[i+1] != 'u' {
		return "", 0, false
	}
	r1, ok := hex4(s, i+2)
	if !ok {
		return "", 0, false
	}
	if r1 >= 0xD800 && r1 < 0xDC00 && i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
		if r2, ok := hex4(s, i+8); ok && r2 >= 0xDC00 && r2 < 0xE000 {
			return string(rune((r1-0xD800)<<10 + (r2 - 0xDC00) + 0x10000)), 12, true
		}
	}
	return string(rune(r1)), 6, true
}

func hex4(s string, i int) (int, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:i+4], 16, 16)
	return int(v), err == nil
}

// htmlUnit decodes an HTML character reference: named (&amp;), decimal (&#47;) or hex (&#x2f;),
// with or without its ';' where HTML allows that.
func htmlUnit(s string, i int) (string, int, bool) {
	end := min(len(s), i+maxEntity)
	if j := strings.IndexByte(s[i+1:end], ';'); j >= 0 {
		ref := s[i : i+1+j+1]
		if t := html.UnescapeString(ref); t != ref && utf8.RuneCountInString(t) == 1 {
			return t, len(ref), true
		}
	}
	// Without ';': the longest prefix HTML decodes to one character followed by nothing.
	for w := end - i; w >= 3; w-- {
		ref := s[i : i+w]
		if t := html.UnescapeString(ref); t != ref && utf8.RuneCountInString(t) == 1 {
			return t, w, true
		}
	}
	return "", 0, false
}

// percentUnit decodes %XX, in either letter case.
func percentUnit(s string, i int) (string, int, bool) {
	if i+3 > len(s) {
		return "", 0, false
	}
	v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
	if err != nil {
		return "", 0, false
	}
	return string([]byte{byte(v)}), 3, true
}

// formUnit decodes %XX and '+' for a space.
func formUnit(s string, i int) (string, int, bool) {
	if s[i] == '+' {
		return " ", 1, true
	}
	return percentUnit(s, i)
}

// Error returns err itself when its text holds no secret, and otherwise an error with the
// redacted text that still answers errors.Is as err does (a timeout stays a timeout). It does not
// unwrap: a wrapped error's text could hold the secret again, so errors.As and errors.Unwrap see
// nothing below it.
func (r *Redactor) Error(err error) error {
	if err == nil || r == nil {
		return err
	}
	msg := err.Error()
	if clean := r.Text(msg); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

// redactedError is an error whose text had a secret removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the original error is target, without exposing it.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
