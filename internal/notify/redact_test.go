package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// webhookSecrets are the secret parts of the URLs TestWebhookQueryAndUserinfoNeverShown uses:
// user info and every query value, in the forms a server might echo them.
var webhookSecrets = []string{
	"hookuser", "HookPass77", "KeyValue55", "Tok/Val66", "Tok%2FVal66", `Tok\/Val66`, "Val66", "SigValue88", "SigValu",
}

const secretQuery = "?key=KeyValue55&token=Tok%2FVal66&sig=SigValue88"

// TestWebhookQueryAndUserinfoNeverShown sends to failing webhooks whose URL carries user:pass@
// and ?key=..&token=.., and checks that no secret value reaches an error, a log line (text or
// JSON) or a logged error, whichever single part or encoding the server echoes.
func TestWebhookQueryAndUserinfoNeverShown(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		user, pass, _ := r.BasicAuth()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"bad key %s","token":%q,"raw":"%s","json":"Tok\/Val66","user":"%s","pass":"%s","html":"Tok&#x2F;Val66"}`,
			q.Get("key"), q.Get("token"), "Tok%2FVal66", user, pass)
	}))
	t.Cleanup(echo.Close)
	// A body whose quote is cut inside a secret: scrubbing must happen before the cut.
	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		// The quote keeps maxBodyQuote characters: the first 7 of the secret would survive a cut
		// made before scrubbing.
		io.WriteString(w, strings.Repeat("x", maxBodyQuote-8)+" "+r.URL.Query().Get("sig"))
	}))
	t.Cleanup(long.Close)
	stop := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select { // no answer before the client's timeout, which gives a *url.Error
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(stop) })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()

	withSecrets := func(base string) string {
		return strings.Replace(base, "http://", "http://hookuser:HookPass77@", 1) + secretPath + secretQuery
	}
	cases := map[string]struct {
		url    string
		client *http.Client
	}{
		"echoing 400":    {url: withSecrets(echo.URL)},
		"long body":      {url: withSecrets(long.URL)},
		"refused":        {url: withSecrets("http://" + closed.Addr().String())},
		"client timeout": {url: withSecrets(slow.URL), client: &http.Client{Timeout: 50 * time.Millisecond}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var jsonLogs, textLogs bytes.Buffer
			logger := slog.New(multiHandler{
				slog.NewJSONHandler(&jsonLogs, &slog.HandlerOptions{Level: slog.LevelDebug}),
				slog.NewTextHandler(&textLogs, &slog.HandlerOptions{Level: slog.LevelDebug}),
			})
			n, err := New(Options{URL: tc.url, Client: tc.client, MaxAttempts: 2, Logger: logger,
				Sleep: func(context.Context, time.Duration) error { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			sendErr := n.Send(context.Background(), sampleEvent())
			if sendErr == nil {
				t.Fatal("Send: got nil error")
			}
			logger.Warn("notification not delivered", "error", sendErr)
			var ne *Error
			if !errors.As(sendErr, &ne) {
				t.Fatalf("Send: got %T, want *Error", sendErr)
			}
			shown := map[string]string{
				"error": sendErr.Error(), "json logs": jsonLogs.String(), "text logs": textLogs.String(),
				"body": ne.Body, "cause": fmt.Sprint(errors.Unwrap(sendErr)),
			}
			for what, text := range shown {
				for _, secret := range webhookSecrets {
					if strings.Contains(text, secret) {
						t.Errorf("%s shows %q: %s", what, secret, text)
					}
				}
			}
		})
	}
}

// multiHandler sends each record to every handler.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		if err := h.Handle(ctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (m multiHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (m multiHandler) WithGroup(g string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(g)
	}
	return out
}
