package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/redact"
)

// DefaultMailTimeout bounds one SMTP conversation when the context has no earlier deadline.
const DefaultMailTimeout = 30 * time.Second

// MailOptions configure a Mailer. Host and From are required.
type MailOptions struct {
	Host string
	Port int
	From string
	// Username and Password authenticate (AUTH PLAIN), only over TLS. The password is a secret: it
	// never appears in logs or errors.
	Username, Password string
	// StartTLS requires the server to offer STARTTLS and upgrades before anything else is said.
	StartTLS bool
	// TLSConfig verifies the server; nil means the system roots and Host as the server name.
	TLSConfig *tls.Config
	// Timeout bounds one message's conversation (default DefaultMailTimeout).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Mailer sends owner digests by e-mail over SMTP.
//
// It uses net/smtp from the standard library: STARTTLS, AUTH PLAIN (which net/smtp refuses over an
// unencrypted connection to any host but localhost) and the SMTP dialogue are all reaper needs,
// and the standard library adds no dependency to a destructive tool operators audit. The package
// is frozen, not deprecated; go-smtp's server side tests it.
type Mailer struct {
	opts   MailOptions
	log    *slog.Logger
	redact *redact.Redactor // the password, alone and in the AUTH PLAIN message
}

// NewMailer checks opts and returns a Mailer. Its errors never contain the password.
func NewMailer(opts MailOptions) (*Mailer, error) {
	switch {
	case opts.Host == "":
		return nil, errors.New("notify: smtp host is empty")
	case opts.Port < 1 || opts.Port > 65535:
		return nil, fmt.Errorf("notify: smtp port %d is out of range", opts.Port)
	case opts.Username != "" && !opts.StartTLS:
		return nil, errors.New("notify: smtp authentication needs starttls")
	}
	if _, err := plainAddress(opts.From); err != nil {
		return nil, fmt.Errorf("notify: smtp from: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultMailTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var secrets []string
	if opts.Password != "" {
		secrets = []string{opts.Password, "\x00" + opts.Username + "\x00" + opts.Password}
	}
	return &Mailer{opts: opts, log: log, redact: redact.New(secrets...)}, nil
}

// plainAddress checks that s is one bare address (no display name, no line break) and returns it.
// An owner value is hostile input: it becomes an envelope recipient and a header only after this.
func plainAddress(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n<>\",;") {
		return "", fmt.Errorf("%q is not a plain e-mail address", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%q is not a plain e-mail address", s)
	}
	return a.Address, nil
}

// MailError is an e-mail that was not sent. Its message never holds the password.
type MailError struct {
	Server string // host:port
	Step   string // dial, starttls, auth, mail, rcpt, data
	err    error
	scrub  func(string) string
}

// Error says where the conversation failed and why.
func (e *MailError) Error() string {
	return e.scrub(fmt.Sprintf("smtp %s at %s: %v", e.Step, e.Server, e.err))
}

// Unwrap returns the cause.
func (e *MailError) Unwrap() error { return e.err }

// LogValue lets the error be logged as structured attributes.
func (e *MailError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("server", e.Server), slog.String("step", e.Step),
		slog.String("error", e.scrub(e.err.Error())))
}

// scrub removes the password, and the AUTH PLAIN message that carries it, from s, in every
// encoding package redact knows.
func (m *Mailer) scrub(s string) string { return m.redact.Text(s) }

// SendDigest mails d to the address to, in one SMTP conversation. It does not retry: the caller
// keeps the events and tries again in a later cycle.
func (m *Mailer) SendDigest(ctx context.Context, to string, d Digest) error {
	server := net.JoinHostPort(m.opts.Host, strconv.Itoa(m.opts.Port))
	fail := func(step string, err error) error {
		return &MailError{Server: server, Step: step, err: m.redact.Error(err), scrub: m.scrub}
	}
	rcpt, err := plainAddress(to)
	if err != nil {
		return fail("rcpt", err)
	}
	msg, err := mailMessage(m.opts.From, rcpt, d)
	if err != nil {
		return fail("data", err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", server)
	if err != nil {
		return fail("dial", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, m.opts.Host)
	if err != nil {
		return fail("greeting", err)
	}
	defer c.Close()
	if step, err := m.converse(c, rcpt, msg); err != nil {
		return fail(step, err)
	}
	m.log.Debug("owner digest mailed", "run_id", d.RunID, "server", server, "instances", d.Size())
	return nil
}

// converse runs the SMTP dialogue after the greeting and names the step that failed.
func (m *Mailer) converse(c *smtp.Client, rcpt string, msg []byte) (string, error) {
	if m.opts.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return "starttls", errors.New("the server does not offer STARTTLS")
		}
		cfg := m.opts.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = m.opts.Host
		}
		if err := c.StartTLS(cfg); err != nil {
			return "starttls", err
		}
	}
	if m.opts.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.opts.Username, m.opts.Password, m.opts.Host)); err != nil {
			return "auth", err
		}
	}
	if err := c.Mail(m.opts.From); err != nil {
		return "mail", err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return "rcpt", err
	}
	w, err := c.Data()
	if err != nil {
		return "data", err
	}
	if _, err := w.Write(msg); err != nil {
		return "data", err
	}
	if err := w.Close(); err != nil {
		return "data", err
	}
	// The server has accepted the message: a failed QUIT must not make it be sent again.
	if err := c.Quit(); err != nil {
		m.log.Debug("smtp quit failed after the message was accepted", "error", m.scrub(err.Error()))
	}
	return "", nil
}
