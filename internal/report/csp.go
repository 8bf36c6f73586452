package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// The HTML report's only style and script are these two inline elements. Their exact text is
// hashed once, at start-up, into the page's Content-Security-Policy, so the browser runs this
// script and applies this style and nothing else: no 'unsafe-inline', no style attributes (the
// bars' widths are the classes w0..w100), no loads from anywhere.
var (
	htmlStyle  = "\n" + htmlCSS + barWidthRules() + "\n"
	htmlScript = "\n" + htmlJS + "\n"
	htmlCSP    = contentSecurityPolicy(htmlStyle, htmlScript)
)

// contentSecurityPolicy allows exactly the given inline style and script, by their SHA-256.
func contentSecurityPolicy(style, script string) string {
	return "default-src 'none'; style-src " + cspHash(style) + "; script-src " + cspHash(script) +
		"; base-uri 'none'; form-action 'none'"
}

// cspHash is a CSP hash source for an inline element's text.
func cspHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// barWidthRules are the classes w0 (width 0%) to w100 that size the bars of the count tables.
func barWidthRules() string {
	var b strings.Builder
	b.WriteString("/* bar widths (generated) */\n")
	for w := 0; w <= 100; w++ {
		fmt.Fprintf(&b, ".w%d{width:%d%%}", w, w)
		if w%10 == 9 || w == 100 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
