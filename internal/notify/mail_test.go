package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/notify/smtptest"
)

const smtpPassword = "Sm7p-Pa55word-42"

func hostileDigest() Digest {
	due := time.Date(2026, 12, 10, 8, 0, 0, 0, time.UTC)
	gone := due.Add(-time.Hour)
	bin := gone.Add(24 * time.Hour)
	return Digest{
		Owner: "alice@example.test", RunID: "run-1", Mode: "enforce", At: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC),
		Marked: []DigestItem{{ID: "101", Name: `<script>alert("x")</script>` + "\x1b[31mred", Zone: "HKG-A", Type: "S9I",
			Reasons: []string{"reaper.expiry: tag reaper-expires-at <b>2026-11-01</b> is in the past"}, DueAt: &due}},
		Reminders:  []DigestItem{{ID: "102", Name: "ci-2", Reasons: []string{"reaper.idle: idle"}, DueAt: &due}},
		Terminated: []DigestItem{{ID: "103", Name: "ci-3", TerminatedAt: &gone, RecycleDeadline: &bin}},
	}
}

func newMailer(t *testing.T, srv *smtptest.Server, user, pass string, logs io.Writer) *Mailer {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	m, err := NewMailer(MailOptions{Host: srv.Host, Port: srv.Port, From: "reaper@example.test", Username: user,
		Password: pass, StartTLS: true, TLSConfig: &tls.Config{RootCAs: srv.RootCAs},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatalf("NewMailer: %v", err)
	}
	return m
}

// parts reads a multipart/alternative message into its content types and decoded bodies.
func parts(t *testing.T, data []byte) (*mail.Message, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		out[p.Header.Get("Content-Type")] = string(b)
	}
	return msg, out
}

func TestMailerSendsDigestOverSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "reaper", Password: smtpPassword})
	var logs bytes.Buffer
	m := newMailer(t, srv, "reaper", smtpPassword, &logs)
	if err := m.SendDigest(context.Background(), "alice@example.test", hostileDigest()); err != nil {
		t.Fatalf("SendDigest: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server got %d messages, want 1", len(got))
	}
	if msg := got[0]; !msg.TLS || msg.User != "reaper" || msg.From != "reaper@example.test" || len(msg.To) != 1 || msg.To[0] != "alice@example.test" {
		t.Errorf("envelope: TLS %v user %q from %q to %q", msg.TLS, msg.User, msg.From, msg.To)
	}
	msg, body := parts(t, got[0].Data)
	if s := msg.Header.Get("Subject"); s != "reaper: your instances: 1 marked for termination, 1 due soon, 1 terminated" {
		t.Errorf("Subject = %q", s)
	}
	text, page := body["text/plain; charset=utf-8"], body["text/html; charset=utf-8"]
	for _, want := range []string{"101", "102", "103", "due: 2026-12-10 08:00 UTC", "in the recycle bin until: 2026-12-11 07:00 UTC",
		"reaper-snooze-until", "reaper-keep: true", `\x1b[31mred`, "reaper.idle: idle"} {
		if !strings.Contains(text, want) {
			t.Errorf("plain text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("plain text holds a raw escape character")
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;2026-11-01&lt;/b&gt;", `\x1b[31mred`, "2026-12-11 07:00 UTC", "reaper-snooze-until"} {
		if !strings.Contains(page, want) {
			t.Errorf("html lacks %q:\n%s", want, page)
		}
	}
	for _, bad := range []string{"<script>", "<b>2026", "\x1b"} {
		if strings.Contains(page, bad) {
			t.Errorf("html holds unescaped %q", bad)
		}
	}
	if strings.Contains(logs.String(), smtpPassword) {
		t.Errorf("logs hold the password:\n%s", logs.String())
	}
}

func TestMailerFailures(t *testing.T) {
	tests := []struct {
		name     string
		server   smtptest.Options
		user     string
		pass     string
		to       string
		failNext int
		wantStep string
		attempts int // messages that reached DATA
	}{
		{"no STARTTLS offered", smtptest.Options{NoTLS: true}, "", "", "a@example.test", 0, "starttls", 0},
		{"wrong password", smtptest.Options{Username: "reaper", Password: "other"}, "reaper", smtpPassword, "a@example.test", 0, "auth", 0},
		{"temporary failure", smtptest.Options{}, "", "", "a@example.test", 1, "data", 1},
		{"header injection in the owner value", smtptest.Options{}, "", "", "a@example.test\r\nBcc: evil@example.test", 0, "rcpt", 0},
		{"display name in the owner value", smtptest.Options{}, "", "", "Evil <evil@example.test>", 0, "rcpt", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.server)
			srv.FailNext(tt.failNext)
			var logs bytes.Buffer
			m := newMailer(t, srv, tt.user, tt.pass, &logs)
			err := m.SendDigest(context.Background(), tt.to, hostileDigest())
			var me *MailError
			if !errors.As(err, &me) || me.Step != tt.wantStep {
				t.Fatalf("SendDigest = %v, want a *MailError at step %s", err, tt.wantStep)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server accepted %d messages, want 0", n)
			}
			if n := srv.Attempts(); n != tt.attempts {
				t.Errorf("DATA attempts = %d, want %d", n, tt.attempts)
			}
			if strings.Contains(err.Error(), smtpPassword) || strings.Contains(logs.String(), smtpPassword) {
				t.Errorf("the password leaked: %v\n%s", err, logs.String())
			}
		})
	}
}

func TestNewMailerRejects(t *testing.T) {
	for _, o := range []MailOptions{
		{Port: 587, From: "r@example.test"},
		{Host: "h", Port: 0, From: "r@example.test"},
		{Host: "h", Port: 587, From: "Reaper <r@example.test>"},
		{Host: "h", Port: 587, From: "r@example.test", Username: "u", Password: smtpPassword},
	} {
		if _, err := NewMailer(o); err == nil || strings.Contains(err.Error(), smtpPassword) {
			t.Errorf("NewMailer(%+v) = %v, want an error without the password", o.Host, err)
		}
	}
}
