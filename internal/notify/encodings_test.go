package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reaper-bmc/reaper/internal/notify/smtptest"
	"github.com/reaper-bmc/reaper/internal/redact/redacttest"
)

// Secrets of a webhook URL and of an SMTP login, with characters each encoding spells differently.
const (
	hookPassword = `Hook"P<a&s>s%+/ 77\é`
	hookToken    = `Tok/e+n=99&"<x>%' y`
	mailPassword = `Ma!l"P<a&s>s%+/ 42\é`
)

// TestWebhookSecretsInEveryEncoding: a webhook server that echoes the URL's password and query
// token in any encoding, and its Authorization header (Basic, base64 of user:password), gets
// neither into the error, its body quote, its cause or the logs.
func TestWebhookSecretsInEveryEncoding(t *testing.T) {
	var mu sync.Mutex
	var echo string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"refused %s","authorization":"%s"}`, echo, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("hookuser", hookPassword)
	u.Path = "/hooks/abc"
	u.RawQuery = "token=" + url.QueryEscape(hookToken)
	for _, secret := range []string{hookPassword, hookToken} {
		encs := redacttest.Encodings(secret)
		for _, name := range slices.Sorted(maps.Keys(encs)) {
			mu.Lock()
			echo = encs[name]
			mu.Unlock()
			var logs bytes.Buffer
			logger := slog.New(multiHandler{
				slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
				slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
			})
			n, err := New(Options{URL: u.String(), MaxAttempts: 1, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			sendErr := n.Send(context.Background(), sampleEvent())
			var ne *Error
			if !errors.As(sendErr, &ne) {
				t.Fatalf("Send = %v, want an *Error", sendErr)
			}
			logger.Warn("notification not delivered", "error", sendErr)
			for _, s := range []string{hookPassword, hookToken} {
				where := fmt.Sprintf("echo of %.6s… as %s", secret, name)
				redacttest.CheckNoLeak(t, where+": error", sendErr.Error(), s)
				redacttest.CheckNoLeak(t, where+": body", ne.Body, s)
				redacttest.CheckNoLeak(t, where+": cause", fmt.Sprint(errors.Unwrap(sendErr)), s)
				redacttest.CheckNoLeak(t, where+": logs", logs.String(), s)
			}
		}
	}
}

// TestMailPasswordInEveryEncoding: an SMTP server that refuses AUTH with a reply echoing the
// password in any encoding gets it neither into the error, what it wraps, nor the logs.
func TestMailPasswordInEveryEncoding(t *testing.T) {
	var mu sync.Mutex
	var name string
	srv := smtptest.Start(t, smtptest.Options{Username: "reaper", Password: "another", AuthFailure: func(_, pass string) string {
		mu.Lock()
		defer mu.Unlock()
		return "authentication failed for " + redacttest.Encodings(pass)[name]
	}})
	for _, n := range slices.Sorted(maps.Keys(redacttest.Encodings(mailPassword))) {
		mu.Lock()
		name = n
		mu.Unlock()
		var logs bytes.Buffer
		m := newMailer(t, srv, "reaper", mailPassword, &logs)
		m.log = slog.New(slog.NewJSONHandler(&logs, nil))
		err := m.SendDigest(context.Background(), "a@example.test", hostileDigest())
		var me *MailError
		if !errors.As(err, &me) || me.Step != "auth" {
			t.Fatalf("SendDigest = %v, want a *MailError at step auth", err)
		}
		m.log.Error("digest not mailed", "error", err)
		where := "auth reply with the password as " + n
		redacttest.CheckNoLeak(t, where+": error", err.Error(), mailPassword)
		redacttest.CheckNoLeak(t, where+": cause", fmt.Sprint(errors.Unwrap(err)), mailPassword)
		redacttest.CheckNoLeak(t, where+": logs", logs.String(), mailPassword)
		if !strings.Contains(err.Error(), "authentication failed for") {
			t.Errorf("%s: error %q no longer says what the server answered", where, err)
		}
	}
}
