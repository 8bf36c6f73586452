package redact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/redact/redacttest"
)

// TestEveryEncoding: each tricky secret, in each encoding redacttest lists, twice in a text, is
// replaced by Mark and the text around it is kept.
func TestEveryEncoding(t *testing.T) {
	for _, secret := range redacttest.Tricky {
		r := New(secret)
		for name, enc := range redacttest.Encodings(secret) {
			t.Run(fmt.Sprintf("%.12s/%s", secret, name), func(t *testing.T) {
				in := "before " + enc + " between " + enc + " after"
				got := r.Text(in)
				if !strings.Contains(got, Mark) || !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
					t.Errorf("Text(%q) = %q, want the secret replaced and the rest kept", in, got)
				}
				redacttest.CheckNoLeak(t, "Text", got, secret)
			})
		}
	}
}

// TestTrickyCharacters: a secret of one character each encoding spells differently, between
// ordinary letters, in the encodings named in the house rule.
func TestTrickyCharacters(t *testing.T) {
	for _, c := range []string{`"`, `\`, `<`, `&`, `%`, `+`, `/`, ` `, `é`, `€`, `😀`, `'`, `=`, `#`, `?`} {
		secret := "Ab3" + c + "dE5" + c + "gH7"
		r := New(secret)
		encs := redacttest.Encodings(secret)
		for _, name := range []string{"plain", "json", "json with \\/", "html", "html decimal", "url query", "url path",
			"percent lower", "base64", "base64url", "base64 raw", "base64url after 2 bytes", "basic auth"} {
			enc := encs[name]
			if got := r.Text("x=" + enc + ";"); !strings.HasPrefix(got, "x=") || !strings.Contains(got, Mark) ||
				redacttest.Leak(got, name, enc, secret) != "" {
				t.Errorf("secret %q as %s: Text(%q) = %q", secret, name, "x="+enc+";", got)
			}
		}
	}
}

// TestSubstringOfAWord: a secret inside a longer word, or inside another secret, is still
// redacted, and the longer secret is redacted whole.
func TestSubstringOfAWord(t *testing.T) {
	tests := []struct {
		secrets []string
		in      string
		want    string
	}{
		{[]string{"Secret12"}, "mySecret123", "my" + Mark + "3"},
		{[]string{"Secret12"}, "password=Secret12", "password=" + Mark},
		{[]string{"word"}, "password=word", "pass" + Mark + "=" + Mark},
		{[]string{"Secret12", "xSecret12y"}, "a xSecret12y b Secret12 c", "a " + Mark + " b " + Mark + " c"},
		{[]string{"Secret12"}, "Secret1 Secret2", "Secret1 Secret2"},
	}
	for _, tt := range tests {
		if got := New(tt.secrets...).Text(tt.in); got != tt.want {
			t.Errorf("New(%q).Text(%q) = %q, want %q", tt.secrets, tt.in, got, tt.want)
		}
	}
}

func TestKeepsOtherText(t *testing.T) {
	r := New(redacttest.Tricky[0])
	for _, s := range []string{"", "plain text", `a \/ b &amp; c %2F d`, "tok/A+b=c", strings.Repeat("&#x2F;", 100)} {
		if got := r.Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
	}
	long := strings.Repeat("x", 64<<10+10) + redacttest.Tricky[0]
	if got := r.Text(long); len(got) > 64<<10+len("…") || strings.Contains(got, redacttest.Tricky[0]) {
		t.Errorf("Text of %d bytes gave %d bytes", len(long), len(got))
	}
	for _, none := range []*Redactor{nil, New(), New("")} {
		if got := none.Text("a secret"); got != "a secret" {
			t.Errorf("a redactor without secrets changed the text: %q", got)
		}
		if got := none.Head("a secret", 3); got != "a s" {
			t.Errorf("Head without secrets = %q, want %q", got, "a s")
		}
	}
}

// TestHeadNeverCutsASecret: a cut inside an encoded secret drops the whole secret.
func TestHeadNeverCutsASecret(t *testing.T) {
	secret := redacttest.Tricky[1]
	r := New(secret)
	enc := redacttest.Encodings(secret)["json"]
	text := "0123456789" + enc + " tail"
	for n := 1; n < len(text); n++ {
		got := r.Head(text[:min(len(text), n+r.Margin())], n)
		if len(got) > n+len(Mark) {
			t.Errorf("Head(%d) = %q: longer than asked", n, got)
		}
		redacttest.CheckNoLeak(t, fmt.Sprintf("Head(%d)", n), got, secret)
		if strings.Contains(got, `sec+Q`) || strings.Contains(got, `sec+Q`[:4]) && n > 14 {
			t.Errorf("Head(%d) = %q keeps the start of the secret", n, got)
		}
	}
}

// TestError: an error whose text holds a secret comes back with the redacted text, still
// answering errors.Is as before but unwrapping to nothing; one without keeps its identity.
func TestError(t *testing.T) {
	secret := redacttest.Tricky[0]
	r := New(secret)
	inner := fmt.Errorf("dial %q: %w", secret, context.DeadlineExceeded)
	err := r.Error(fmt.Errorf("open: %w", inner))
	redacttest.CheckNoLeak(t, "error", err.Error(), secret)
	if !strings.Contains(err.Error(), Mark) || !strings.HasPrefix(err.Error(), "open: dial ") {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("the redacted error is no longer a deadline")
	}
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		redacttest.CheckNoLeak(t, "unwrapped error", e.Error(), secret)
	}
	plain := io.EOF
	if got := r.Error(plain); got != plain {
		t.Errorf("Error(io.EOF) = %v, want io.EOF itself", got)
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}

// TestDSNSecrets: the password of each form of a PostgreSQL connection string, as written and as
// decoded; nothing else.
func TestDSNSecrets(t *testing.T) {
	tests := []struct {
		name, dsn string
		want      []string
	}{
		{"url", "postgres://reaper:S3cret-pw@db.example:5432/reaper", []string{"S3cret-pw"}},
		{"url escaped", "postgresql://reaper:p%40ss%2Fw%20rd@db/r?sslmode=require", []string{"p%40ss%2Fw%20rd", "p@ss/w rd"}},
		{"url upper-case scheme", "POSTGRES://u:Pw-1234567@h/db", []string{"Pw-1234567"}},
		{"url unescaped @ and /", "postgres://u:p@ss/w@h/db", []string{"p@ss/w"}},
		{"url unescaped #", "postgres://u:ab#cd@h/db", []string{"ab#cd"}},
		{"url without password", "postgres://reaper@db/reaper", nil},
		{"url query password", "postgres://db/reaper?user=u&password=Qu%2Bery+pw&sslmode=disable", []string{"Qu%2Bery+pw", "Qu+ery pw"}},
		{"url both", "postgres://u:One-111111@h/db?password=Two-222222", []string{"One-111111", "Two-222222"}},
		{"key=value", "host=db user=reaper password=S3cret-pw dbname=r", []string{"S3cret-pw"}},
		{"key = value", "host=db password = S3cret-pw\tdbname=r", []string{"S3cret-pw"}},
		{"quoted", `host=db password='it\'s a \\secret' dbname=r`, []string{`it\'s a \\secret`, `it's a \secret`}},
		{"unquoted escape", `password=a\ b dbname=r`, []string{`a\ b`, "a b"}},
		{"unterminated quote", "password='open ended", []string{"open ended"}},
		{"password key only in a value", "application_name=password dbname=x", nil},
		{"no password", "host=db user=reaper dbname=r", nil},
		{"empty", "", nil},
		{"garbage", "= = password", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Compact(DSNSecrets(tt.dsn))
			if !slices.Equal(got, tt.want) {
				t.Errorf("DSNSecrets(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
		})
	}
}

// TestDSNPasswordInEveryEncoding: a Redactor built from a DSN's secrets hides its tricky password
// in every encoding, whichever form the DSN had.
func TestDSNPasswordInEveryEncoding(t *testing.T) {
	const pw = `p@ss w+rd/"<&>%\é`
	for name, dsn := range map[string]string{
		"url":       "postgres://reaper:" + urlUserEscape(pw) + "@db/r",
		"query":     "postgres://reaper@db/r?password=" + url.QueryEscape(pw),
		"key=value": `host=db password='p@ss w+rd/"<&>%\\é' dbname=r`,
	} {
		r := New(DSNSecrets(dsn)...)
		for enc, text := range redacttest.Encodings(pw) {
			got := r.Text("failed: " + text + " (" + dsn + ")")
			redacttest.CheckNoLeak(t, name+"/"+enc, got, pw)
		}
	}
}

func urlUserEscape(s string) string {
	return (&url.URL{User: url.UserPassword("u", s)}).User.String()[2:]
}
