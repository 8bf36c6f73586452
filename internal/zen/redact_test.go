package zen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// Secrets with the characters every encoding changes: / + = < > & " ' \ % and a space.
const (
	oddToken  = `tok/A+b=c<d>&e"f'g\h%i j/K+L=`
	oddSecret = `sec+Q/r=S&t<u>"v'w\x%y z+9/8=`
	// longToken is longer than anything the decoders quote whole.
	longToken = oddToken + "/LONG+TOKEN=" + oddToken
)

// encodings returns every encoding of s the redactor must recognise, by name.
func encodings(s string) map[string]string {
	out := map[string]string{"plain": s}
	out["json"] = jsonString(s, true)
	out["json without HTML escapes"] = jsonString(s, false)
	out["json with \\/"] = strings.ReplaceAll(jsonString(s, false), "/", `\/`)
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
	out["json \\u lower"], out["json \\u upper"] = lower.String(), upper.String()
	out["html"] = html.EscapeString(s)
	out["html decimal"], out["html hex"], out["html hex upper"] = dec.String(), hexEnt.String(), hexEntUpper.String()
	out["url query"], out["url path"] = url.QueryEscape(s), url.PathEscape(s)
	out["percent lower"], out["percent upper"] = pctLower.String(), pctUpper.String()
	out["url twice"] = url.QueryEscape(url.QueryEscape(s))
	out["html of json"] = html.EscapeString(jsonString(s, true))
	out["json of html"] = jsonString(html.EscapeString(s), true)
	out["json of url"] = jsonString(url.QueryEscape(s), true)
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
	out["base64 in json"] = strings.ReplaceAll(jsonString(base64.StdEncoding.EncodeToString([]byte(s)), false), "/", `\/`)
	out["base64 url-encoded"] = url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s)))
	return out
}

// jsonString is s as a JSON string body, without the quotes.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	return strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)[1:]
}

// leakOf returns a piece of enc, 8 bytes long, that text still holds, or "".
// In base64 only the characters that encode nothing but the secret count: the name says how many
// bytes came before it.
func leakOf(text, name, enc, secret string) string {
	lo, hi := 0, len(enc)
	if strings.HasPrefix(name, "base64") {
		p := 0
		switch {
		case strings.HasSuffix(name, "after 1 byte"):
			p = 1
		case strings.HasSuffix(name, "after 2 bytes"):
			p = 2
		case strings.HasSuffix(name, "of a header"):
			p = len("Authorization: Bearer ")
		}
		lo, hi = (8*p+5)/6, 8*(p+len(secret))/6
	}
	const n = 8
	for i := lo; i+n <= hi; i++ {
		if strings.Contains(text, enc[i:i+n]) {
			return enc[i : i+n]
		}
	}
	return ""
}

// checkNoLeak fails when text holds any encoding of secret, or a piece of one.
func checkNoLeak(t *testing.T, where, text, secret string) {
	t.Helper()
	encs := encodings(secret)
	names := make([]string, 0, len(encs))
	for name := range encs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if leak := leakOf(text, name, encs[name], secret); leak != "" {
			t.Errorf("%s holds the secret (%s) as %q: %s", where, name, leak, truncate(text, 400))
		}
	}
}

func TestRedactEveryEncoding(t *testing.T) {
	for _, secret := range []string{oddToken, oddSecret, testToken, "Zm9v/YmFy+YmF6=="} {
		c, err := New(WithEndpoint("http://127.0.0.1:1"), WithToken(secret))
		if err != nil {
			t.Fatal(err)
		}
		for name, enc := range encodings(secret) {
			t.Run(fmt.Sprintf("%.12s/%s", secret, name), func(t *testing.T) {
				in := "before " + enc + " between " + enc + " after"
				got := c.redact(in)
				if !strings.Contains(got, redacted) || !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
					t.Errorf("redact(%q) = %q, want the secret replaced and the rest kept", in, got)
				}
				if leak := leakOf(got, name, enc, secret); leak != "" {
					t.Errorf("redact(%q) = %q, still holding %q", in, got, leak)
				}
			})
		}
	}
}

func TestRedactKeepsOtherText(t *testing.T) {
	c, err := New(WithEndpoint("http://127.0.0.1:1"), WithToken(oddToken))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "plain text", `a \/ b &amp; c %2F d`, "tok/A+b=c", strings.Repeat("&#x2F;", 100)} {
		if got := c.redact(s); got != s {
			t.Errorf("redact(%q) = %q, want it unchanged", s, got)
		}
	}
	long := strings.Repeat("x", 64<<10+10) + oddToken
	if got := c.redact(long); len(got) > 64<<10+len("…") || strings.Contains(got, oddToken) {
		t.Errorf("redact of %d bytes gave %d bytes", len(long), len(got))
	}
}

// echoServer answers every call with an encoded credential echoed in the place named by how; the
// encoding is encs[N] for an endpoint path starting /e/N/.
func echoServer(t *testing.T, how string, encs []string) *fakeAPI {
	t.Helper()
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/e/%d/", &n); err != nil || n >= len(encs) {
			t.Errorf("echo server: path %q", r.URL.Path)
			return
		}
		enc := encs[n]
		switch how {
		case "api message":
			fmt.Fprintf(w, `{"requestId":"T-1","code":"INVALID_PARAMETER","message":"bad token %s"}`, enc)
		case "request id":
			fmt.Fprintf(w, `{"requestId":"%s","response":{"requestId":"%s","totalCount":0,"dataSet":[]}}`, enc, enc)
		case "error request id":
			fmt.Fprintf(w, `{"requestId":"%s","code":"INVALID_PARAMETER","message":"no"}`, enc)
		case "html page":
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body>upstream refused Authorization: Bearer %s</body></html>", enc)
		case "json snippet":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"echo":"%s","n":1}`, enc)
		case "instance fields":
			fmt.Fprintf(w, `{"requestId":"T-2","response":{"totalCount":1,"dataSet":[{"instanceId":"1",`+
				`"instanceName":"n %s","hostname":"%s","tags":{"tags":[{"key":"k","value":"%s"}]}}]}}`, enc, enc, enc)
		case "bad time":
			fmt.Fprintf(w, `{"requestId":"T-3","response":{"totalCount":1,"dataSet":[{"instanceId":"1","createTime":"%s"}]}}`, enc)
		case "count":
			fmt.Fprintf(w, `{"requestId":"T-5","response":{"totalCount":"%s","dataSet":[]}}`, enc)
		case "flag":
			fmt.Fprintf(w, `{"requestId":"T-6","response":{"totalCount":1,"dataSet":[{"instanceId":"1","autoRenew":"%s"}]}}`, enc)
		case "traffic time":
			fmt.Fprintf(w, `{"requestId":"T-4","response":{"dataList":[{"internetRX":1,"internetTX":1,"time":"%s"}]}}`, enc)
		}
	})
}

// TestEchoedSecretNeverLeaks: whatever encoding a server echoes the credential in, and wherever
// in its answer, the credential reaches neither errors, logs, request IDs nor instance data.
func TestEchoedSecretNeverLeaks(t *testing.T) {
	places := []string{"api message", "request id", "error request id", "html page", "json snippet", "instance fields",
		"bad time", "traffic time", "count", "flag"}
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, cred := range []struct {
		name, secret string
		auth         Option
	}{{"token", oddToken, WithToken(oddToken)}, {"access key", oddSecret, WithAccessKey(testKeyID, oddSecret)},
		{"long token", longToken, WithToken(longToken)}} {
		all := encodings(cred.secret)
		var names, encs []string
		for name, enc := range all {
			if strings.Contains(enc, `"`) || strings.Contains(enc, `\`) && !strings.HasPrefix(name, "json") {
				continue // would break the JSON around it: not an answer an API sends
			}
			names, encs = append(names, name), append(encs, enc)
		}
		for _, how := range places {
			f := echoServer(t, how, encs)
			for i, name := range names {
				t.Run(cred.name+"/"+how+"/"+name, func(t *testing.T) {
					var logs bytes.Buffer
					log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
					c, err := New(WithEndpoint(fmt.Sprintf("%s/e/%d", f.srv.URL, i)), cred.auth, WithLogger(log),
						WithRequestsPerSecond(math.Inf(1)), WithRetry(1, time.Millisecond, time.Millisecond), WithSleep(new(recorder).sleep))
					if err != nil {
						t.Fatal(err)
					}
					var texts []string
					keep := func(v any, err error) {
						if err != nil {
							texts = append(texts, secretFreeTexts(err)...)
							log.Error("call failed", "error", err)
						}
						texts = append(texts, fmt.Sprintf("%+v", v))
					}
					keep(c.ListInstances(context.Background(), Filter{}))
					keep(c.DescribeInstances(context.Background(), []string{"1"}))
					if how == "traffic time" {
						keep(c.DescribeInstanceTraffic(context.Background(), "1", t0, t0.Add(time.Hour)))
					}
					texts = append(texts, logs.String())
					for i, text := range texts {
						checkNoLeak(t, fmt.Sprintf("text %d", i), text, cred.secret)
					}
				})
			}
		}
	}
}

// TestMalformedStatusLineHidesSecret: a server that answers with a status line holding the
// credential makes a NetworkError whose text does not hold it.
func TestMalformedStatusLineHidesSecret(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = conn.Read(buf)
			fmt.Fprintf(conn, "HTTP/1.1 %s\r\n\r\n", url.QueryEscape(oddToken))
			conn.Close()
		}
	}()
	c, err := New(WithEndpoint("http://"+ln.Addr().String()), WithToken(oddToken), WithRequestsPerSecond(math.Inf(1)),
		WithRetry(1, time.Millisecond, time.Millisecond), WithSleep(new(recorder).sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TerminateInstance(context.Background(), "1")
	if err == nil {
		t.Fatal("TerminateInstance succeeded against a malformed answer")
	}
	checkNoLeak(t, "error", err.Error(), oddToken)
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("error %q does not show the echoed secret as %s", err, redacted)
	}
}
