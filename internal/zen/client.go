package zen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/redact"
	"golang.org/x/time/rate"
)

// Body size limits. Error bodies are small JSON objects; a page of 1000 instances is a few MiB.
const (
	maxErrorBody   = 1 << 20  // 1 MiB
	maxSuccessBody = 64 << 20 // 64 MiB
)

// Client calls the Zenlayer BMC API. It is safe for concurrent use. Build it with New.
type Client struct {
	url             string // endpoint + /api/v2/bmc
	base            string // endpoint without a service path; a service's path follows it
	host            string // the signed host, port included
	creds           *credentials
	http            *http.Client
	timeout         time.Duration
	limiter         *rate.Limiter
	limiterNow      func() time.Time // the limiter's clock; tests replace it
	pace            *adaptiveRate    // lowers the limiter's rate on throttling, then recovers
	now             func() time.Time // for X-ZC-Timestamp
	retry           retryPolicy
	log             *slog.Logger
	userAgent       string
	pageConcurrency int
	observe         func(action, code string, d time.Duration)
	sleep           func(ctx context.Context, d time.Duration) error
	jitter          func(ceiling time.Duration) time.Duration // full jitter; tests replace it
	maxErrorBody    int64
	maxSuccessBody  int64
	scrub           *redact.Redactor // removes the secrets from server-supplied text
}

// credentials holds the secrets. It sits behind a pointer so that printing a Client value with
// fmt never reaches it, and it redacts itself when printed or logged directly.
type credentials struct {
	keyID  string
	secret []byte
	token  string
}

func (credentials) String() string             { return redacted }
func (credentials) GoString() string           { return redacted }
func (credentials) LogValue() slog.Value       { return slog.StringValue(redacted) }
func (credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// New builds a Client. It fails, naming the option, when the endpoint is not an absolute http(s)
// URL, when neither an access key pair nor a token is given (or both are), or when a numeric
// option is out of range.
func New(opts ...Option) (*Client, error) {
	s := defaultSettings()
	for _, o := range opts {
		o(&s)
	}
	u, errs := parseEndpoint(s.endpoint)
	errs = append(errs, s.validate()...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c := &Client{
		url:             u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/") + apiPath,
		base:            u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"),
		host:            u.Host,
		creds:           &credentials{keyID: s.keyID, secret: []byte(s.secret), token: s.token},
		http:            httpClient(s.httpClient),
		timeout:         s.timeout,
		limiter:         rate.NewLimiter(limit(s.rps), 1),
		limiterNow:      time.Now,
		now:             s.now,
		retry:           retryPolicy{maxAttempts: s.maxAttempts, base: s.backoffBase, max: s.backoffMax},
		log:             s.logger,
		userAgent:       s.userAgent,
		pageConcurrency: s.pageConcurrency,
		observe:         s.observer,
		sleep:           s.sleep,
		jitter:          fullJitter,
		maxErrorBody:    maxErrorBody,
		maxSuccessBody:  maxSuccessBody,
		scrub:           redact.New(s.secret, s.token),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.observe == nil {
		c.observe = func(string, string, time.Duration) {}
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	c.pace = newAdaptiveRate(c.limiter, func() time.Time { return c.limiterNow() }, c.log)
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		c.log.Warn("zenlayer endpoint is not https", "endpoint", u.Redacted())
	}
	return c, nil
}

func parseEndpoint(raw string) (*url.URL, []error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, []error{fmt.Errorf("zen: endpoint is not a valid URL (want e.g. %s)", DefaultEndpoint)}
	}
	if u.User != nil {
		return nil, []error{errors.New("zen: endpoint must not contain user info (credentials go in access key or token options)")}
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, []error{fmt.Errorf("zen: endpoint %q must be an absolute http or https URL such as %s", raw, DefaultEndpoint)}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, []error{fmt.Errorf("zen: endpoint %q must not have a query or fragment", raw)}
	}
	return u, nil
}

func (s *settings) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("zen: "+format, args...)) }
	hasKey := s.keyID != "" || s.secret != ""
	switch {
	case hasKey && s.token != "":
		bad("both an access key and a token are set; use one")
	case hasKey && (s.keyID == "" || s.secret == ""):
		bad("access key needs both an ID and a secret")
	case !hasKey && s.token == "":
		bad("no credentials: set an access key (ID and secret) or a token")
	}
	if !headerSafe(s.keyID) {
		bad("access key ID contains characters not allowed in a header")
	}
	if !headerSafe(s.token) {
		bad("token contains characters not allowed in a header")
	}
	if !headerSafe(s.userAgent) || s.userAgent == "" {
		bad("user agent must be non-empty printable ASCII")
	}
	if s.timeout <= 0 {
		bad("timeout must be positive, got %s", s.timeout)
	}
	if !(s.rps > 0) { // also rejects NaN
		bad("requests per second must be positive (math.Inf(1) for no limit), got %v", s.rps)
	}
	if s.maxAttempts < 1 {
		bad("retry max attempts must be at least 1, got %d", s.maxAttempts)
	}
	if s.backoffBase <= 0 || s.backoffMax < s.backoffBase {
		bad("retry backoff needs 0 < base <= max, got base %s max %s", s.backoffBase, s.backoffMax)
	}
	if s.pageConcurrency < 1 || s.pageConcurrency > maxPageConcurrency {
		bad("page concurrency must be in [1, %d], got %d", maxPageConcurrency, s.pageConcurrency)
	}
	if s.now == nil {
		bad("clock must not be nil")
	}
	return errs
}

// headerSafe reports whether s can travel in a header unchanged: printable ASCII only.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func limit(rps float64) rate.Limit {
	if math.IsInf(rps, 1) {
		return rate.Inf
	}
	return rate.Limit(rps)
}

// httpClient returns a copy of hc (or a default client) that never follows redirects: a redirected
// POST would lose its body or carry the credentials elsewhere.
func httpClient(hc *http.Client) *http.Client {
	var cp http.Client
	if hc != nil {
		cp = *hc
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = maxPageConcurrency
		cp.Transport = tr
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sleepCtx waits d, or less when ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fullJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// String describes the Client without its secrets.
func (c Client) String() string {
	return fmt.Sprintf("zen.Client{endpoint: %s, auth: %s, requests_per_second: %s, max_attempts: %d}",
		c.url, c.authDescription(), c.rateDescription(), c.retry.maxAttempts)
}

// GoString is String, so %#v never prints the secrets either.
func (c Client) GoString() string { return c.String() }

// LogValue describes the Client without its secrets.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.url),
		slog.String("auth", c.authDescription()),
		slog.String("requests_per_second", c.rateDescription()),
		slog.Int("max_attempts", c.retry.maxAttempts),
	)
}

func (c Client) authDescription() string {
	if c.creds.token != "" {
		return "bearer token"
	}
	return "access key " + c.creds.keyID
}

// unlimited describes a client without a request rate limit.
const unlimited = "unlimited"

func (c Client) rateDescription() string {
	if c.limiter.Limit() == rate.Inf {
		return unlimited
	}
	return fmt.Sprint(float64(c.limiter.Limit()))
}
