package zen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/redact/redacttest"
)

// Credentials with the characters every encoding changes: / + = < > & " ' \ % and a space.
var (
	oddToken  = redacttest.Tricky[0]
	oddSecret = redacttest.Tricky[1]
	// longToken is longer than anything the decoders quote whole.
	longToken = oddToken + "/LONG+TOKEN=" + oddToken
)

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
		all := redacttest.Encodings(cred.secret)
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
							texts = append(texts, typedErrorLogs(err)...)
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
						redacttest.CheckNoLeak(t, fmt.Sprintf("text %d", i), text, cred.secret)
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
	redacttest.CheckNoLeak(t, "error", err.Error(), oddToken)
	if _, ok := errors.AsType[*NetworkError](err); !ok {
		t.Errorf("err = %v, want a NetworkError", err)
	}
	for i, text := range typedErrorLogs(err) {
		redacttest.CheckNoLeak(t, fmt.Sprintf("log %d", i), text, oddToken)
	}
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("error %q does not show the echoed secret as %s", err, redacted)
	}
}

// typedErrorLogs logs each typed error in err's chain by itself, so that its LogValue (not the
// wrapping error's text) renders it, through the JSON and the text handler.
func typedErrorLogs(err error) []string {
	var typed []any
	add := func(e any, ok bool) {
		if ok {
			typed = append(typed, e)
		}
	}
	add(errors.AsType[*APIError](err))
	add(errors.AsType[*ResponseError](err))
	add(errors.AsType[*NetworkError](err))
	add(errors.AsType[*ExhaustedError](err))
	add(errors.AsType[*DecodeError](err))
	add(errors.AsType[*IntegrityError](err))
	var out []string
	for _, e := range typed {
		for _, h := range []func(io.Writer) slog.Handler{
			func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Error("call failed", "error", e)
			out = append(out, buf.String())
		}
	}
	return out
}
