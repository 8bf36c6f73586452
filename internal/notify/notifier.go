package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/redact"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxAttempts = 4
	DefaultBackoff     = 2 * time.Second
	DefaultMaxBackoff  = 30 * time.Second
	DefaultTimeout     = 10 * time.Second
)

// maxBody is how much of a response body is read, and how much of it an error quotes.
const (
	maxBody      = 4 << 10
	maxBodyQuote = 200
)

// Options configure a Notifier. Only URL is required.
type Options struct {
	// URL is the webhook. It is a secret: it never appears in logs or errors.
	URL string
	// Format is FormatGeneric (the default) or FormatSlack.
	Format string
	// Client sends the requests. The default has a DefaultTimeout timeout and does not follow
	// redirects.
	Client *http.Client
	// Logger receives one warning per failed attempt. The default discards.
	Logger *slog.Logger
	// MaxAttempts bounds the tries per Send (default DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait before the first retry (default DefaultBackoff); it doubles after each
	// attempt up to MaxBackoff (default DefaultMaxBackoff). A 429's Retry-After can lengthen a wait,
	// never beyond MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Sleep waits between attempts; it returns early with ctx's error. The default uses a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now fills Event.At when it is zero (default time.Now).
	Now func() time.Time
}

// Notifier posts events to one webhook. A nil *Notifier is valid and sends nothing.
type Notifier struct {
	endpoint    string
	webhook     string           // redacted, for logs and errors
	redact      *redact.Redactor // the URL's secret parts, out of every error and log
	format      string
	client      *http.Client
	logger      *slog.Logger
	maxAttempts int
	backoff     time.Duration
	maxBackoff  time.Duration
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
}

// New checks opts and returns a Notifier. Its errors never contain the URL.
func New(opts Options) (*Notifier, error) {
	raw := strings.TrimSpace(opts.URL)
	if raw == "" {
		return nil, errors.New("notify: webhook url is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("notify: webhook url does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("notify: webhook url must be http or https")
	}
	if u.Host == "" {
		return nil, errors.New("notify: webhook url has no host")
	}
	n := &Notifier{
		endpoint: raw, webhook: Redact(raw), redact: webhookRedactor(raw, u),
		format: opts.Format, client: opts.Client, logger: opts.Logger,
		maxAttempts: opts.MaxAttempts, backoff: opts.Backoff, maxBackoff: opts.MaxBackoff,
		sleep: opts.Sleep, now: opts.Now,
	}
	switch n.format {
	case "":
		n.format = FormatGeneric
	case FormatGeneric, FormatSlack:
	default:
		return nil, fmt.Errorf("notify: unknown format %q (want generic or slack)", opts.Format)
	}
	if n.client == nil {
		n.client = &http.Client{
			Timeout:       DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if n.logger == nil {
		n.logger = slog.New(slog.DiscardHandler)
	}
	if n.maxAttempts < 1 {
		n.maxAttempts = DefaultMaxAttempts
	}
	if n.backoff <= 0 {
		n.backoff = DefaultBackoff
	}
	if n.maxBackoff <= 0 {
		n.maxBackoff = DefaultMaxBackoff
	}
	if n.sleep == nil {
		n.sleep = sleepContext
	}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Redact returns the part of a webhook URL that is safe to show: scheme and host, then "…"
// (https://hooks.slack.com/…). Anything that does not parse becomes "(invalid url)".
func Redact(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(invalid url)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// scrub replaces every secret part of the URL in s, in every encoding (see webhookRedactor).
func (n *Notifier) scrub(s string) string { return n.redact.Text(s) }

// Send posts e, retrying 5xx, 429 and network errors with capped exponential backoff, up to
// MaxAttempts tries. It returns an *Error when the event was not delivered; the caller logs it (a
// notification never fails a cycle). A nil Notifier returns nil.
func (n *Notifier) Send(ctx context.Context, e Event) error {
	if n == nil {
		return nil
	}
	if e.At.IsZero() {
		e.At = n.now()
	}
	body, err := n.body(e)
	if err != nil {
		return &Error{Kind: e.Kind, Webhook: n.webhook, err: fmt.Errorf("encode payload: %w", err), scrub: n.scrub}
	}
	return n.deliver(ctx, e.Kind, e.RunID, body)
}

// deliver posts body with the retries Send describes.
func (n *Notifier) deliver(ctx context.Context, kind, runID string, body []byte) error {
	delay := n.backoff
	for attempt := 1; ; attempt++ {
		res := n.post(ctx, body)
		if res.err == nil {
			n.logger.Debug("notification sent", "kind", kind, "run_id", runID, "attempts", attempt, "webhook", n.webhook)
			return nil
		}
		fail := &Error{Kind: kind, Webhook: n.webhook, Attempts: attempt, StatusCode: res.status,
			Body: quoteBody(n.scrub(res.body)), err: n.redact.Error(res.err), scrub: n.scrub}
		if ctxErr := ctx.Err(); ctxErr != nil {
			fail.err = ctxErr
			return fail
		}
		if !res.retry || attempt >= n.maxAttempts {
			return fail
		}
		wait := min(max(delay, res.retryAfter), n.maxBackoff)
		n.logger.Warn("notification attempt failed", "kind", kind, "run_id", runID, "attempt", attempt,
			"max_attempts", n.maxAttempts, "status", res.status, "error", fail.cause(), "retry_in", wait, "webhook", n.webhook)
		if err := n.sleep(ctx, wait); err != nil {
			fail.err = err
			return fail
		}
		delay = min(delay*2, n.maxBackoff)
	}
}

func (n *Notifier) body(e Event) ([]byte, error) {
	if n.format == FormatSlack {
		return slackBody(e)
	}
	return genericBody(e)
}

// result is the outcome of one attempt.
type result struct {
	err        error
	status     int
	body       string // the whole (capped) body, not yet scrubbed
	retry      bool
	retryAfter time.Duration
}

func (n *Notifier) post(ctx context.Context, body []byte) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(body))
	if err != nil {
		return result{err: errors.New("build request")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reaper")
	resp, err := n.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // *url.Error's message holds the whole URL
		}
		return result{err: err, retry: true}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return result{}
	}
	r := result{status: resp.StatusCode, body: string(b), err: fmt.Errorf("status %d", resp.StatusCode)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		r.retry, r.retryAfter = true, retryAfter(resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 500:
		r.retry = true
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.err = fmt.Errorf("status %d: redirect not followed", resp.StatusCode)
	}
	return r
}

// retryAfter reads a Retry-After header in seconds; dates and junk count as none.
func retryAfter(h string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// quoteBody keeps the start of a (scrubbed) response body for an error, on one line.
func quoteBody(b string) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(b, "?")), " ")
	if r := []rune(s); len(r) > maxBodyQuote {
		s = string(r[:maxBodyQuote]) + "…"
	}
	return s
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
