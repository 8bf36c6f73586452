package report

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// TestHTMLContentSecurityPolicyUsesHashes proves the report's CSP allows its own inline style and
// script by their SHA-256 (computed here from the page as written) and nothing else: no
// 'unsafe-inline', no style or event-handler attributes that such a policy would have to allow.
func TestHTMLContentSecurityPolicyUsesHashes(t *testing.T) {
	for name, r := range map[string]*Run{"sample": sampleRun(t), "hostile": evilRun(t, `"><style>*{}</style><b style="x" onclick="alert(1)">`)} {
		t.Run(name, func(t *testing.T) {
			doc := renderHTML(t, r)
			metas := find(parseHTML(t, doc), func(e htmlElement) bool {
				return e.Name == "meta" && e.Attrs["http-equiv"] == "Content-Security-Policy"
			})
			if len(metas) != 1 {
				t.Fatalf("got %d CSP meta elements, want 1", len(metas))
			}
			csp := metas[0].Attrs["content"]
			for _, bad := range []string{"unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "data:", "http"} {
				if strings.Contains(csp, bad) {
					t.Errorf("CSP %q allows %q", csp, bad)
				}
			}
			directives := map[string]string{}
			for _, d := range strings.Split(csp, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				directives[name] = value
			}
			style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(doc)
			script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(doc)
			if style == nil || script == nil {
				t.Fatal("no inline style or script")
			}
			for _, c := range []struct{ directive, text string }{{"style-src", style[1]}, {"script-src", script[1]}} {
				sum := sha256.Sum256([]byte(c.text))
				want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
				if got := directives[c.directive]; got != want {
					t.Errorf("%s: got %q, want exactly the hash of the page's element %q", c.directive, got, want)
				}
			}
			if directives["default-src"] != "'none'" {
				t.Errorf("default-src: got %q, want 'none'", directives["default-src"])
			}
			for _, e := range parseHTML(t, doc) {
				for a := range e.Attrs {
					if a == "style" || strings.HasPrefix(a, "on") {
						t.Errorf("<%s %s=…>: an attribute the CSP blocks", e.Name, a)
					}
				}
			}
		})
	}
}
