package zen

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Defaults of a Client built without the corresponding option.
const (
	DefaultEndpoint          = "https://console.zenlayer.com"
	DefaultUserAgent         = "reaper/dev"
	DefaultTimeout           = 30 * time.Second
	DefaultRequestsPerSecond = 10
	DefaultMaxAttempts       = 4
	DefaultBackoffBase       = 1 * time.Second
	DefaultBackoffMax        = 30 * time.Second
	DefaultPageConcurrency   = 4
)

// maxPageConcurrency bounds WithPageConcurrency; more would only queue on the rate limiter.
const maxPageConcurrency = 64

// Option configures a Client in New.
type Option func(*settings)

// settings collects options before New validates them. It holds secrets only while New runs.
type settings struct {
	endpoint        string
	keyID           string
	secret          string
	token           string
	httpClient      *http.Client
	timeout         time.Duration
	rps             float64
	now             func() time.Time
	maxAttempts     int
	backoffBase     time.Duration
	backoffMax      time.Duration
	logger          *slog.Logger
	userAgent       string
	pageConcurrency int
	observer        func(action, code string, d time.Duration)
	sleep           func(ctx context.Context, d time.Duration) error
}

func defaultSettings() settings {
	return settings{
		endpoint:        DefaultEndpoint,
		timeout:         DefaultTimeout,
		rps:             DefaultRequestsPerSecond,
		now:             time.Now,
		maxAttempts:     DefaultMaxAttempts,
		backoffBase:     DefaultBackoffBase,
		backoffMax:      DefaultBackoffMax,
		userAgent:       DefaultUserAgent,
		pageConcurrency: DefaultPageConcurrency,
	}
}

// WithEndpoint sets the base URL (scheme and host, optionally a path prefix); "/api/v2/bmc" is
// appended. The default is https://console.zenlayer.com.
func WithEndpoint(base string) Option { return func(s *settings) { s.endpoint = base } }

// WithAccessKey authenticates with ZC2-HMAC-SHA256 signatures made from an access key pair.
func WithAccessKey(id, secret string) Option {
	return func(s *settings) { s.keyID, s.secret = id, secret }
}

// WithToken authenticates with a bearer access token instead of an access key pair.
func WithToken(token string) Option { return func(s *settings) { s.token = token } }

// WithHTTPClient sets the HTTP client. The Client works on a shallow copy whose redirects are
// never followed (a redirect answer is an error), so credentials never travel to another URL.
func WithHTTPClient(hc *http.Client) Option { return func(s *settings) { s.httpClient = hc } }

// WithTimeout bounds each HTTP attempt, body read included (default 30s).
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithRequestsPerSecond sets the client-side rate limit shared by every call of the Client,
// concurrent page fetches and retries included (default 10, burst 1). math.Inf(1) disables it.
// The limit adapts to throttling: each throttled answer halves it (once per burst, down to 1/16
// of rps) and each successful call raises it by rps/20 (rps/80 near the rate last throttled), up
// to rps again.
func WithRequestsPerSecond(rps float64) Option { return func(s *settings) { s.rps = rps } }

// WithClock sets the clock whose time goes into X-ZC-Timestamp (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// WithRetry sets the retry policy: at most maxAttempts attempts per call (1 disables retries),
// waiting a random time between zero and c = min(max, base·2^(n-1)) before retry n. A throttled
// attempt (429 or REQUEST_LIMIT_EXCEEDED) waits between c and 1.5·c instead, and at least its
// Retry-After, so with the defaults no less than the official SDKs' 1, 2 and 4 seconds; it also
// halves the client's request rate, which recovers as calls succeed (see WithRequestsPerSecond).
// A call whose attempts are used up fails with an *ExhaustedError. Defaults: 4 attempts, base 1s,
// max 30s.
func WithRetry(maxAttempts int, base, max time.Duration) Option {
	return func(s *settings) { s.maxAttempts, s.backoffBase, s.backoffMax = maxAttempts, base, max }
}

// WithLogger sets the logger for attempts and retries (default: discard). Secrets are never logged.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithUserAgent sets the User-Agent header (default "reaper/dev").
func WithUserAgent(ua string) Option { return func(s *settings) { s.userAgent = ua } }

// WithPageConcurrency sets how many pages after the first ListInstances fetches at once
// (default 4, at most 64). All of them still pass through the rate limiter.
func WithPageConcurrency(n int) Option { return func(s *settings) { s.pageConcurrency = n } }

// WithObserver sets a function called once per HTTP attempt with the action, the outcome code
// ("OK", the API's code, or a client code such as NETWORK_ERROR, JSON_PARSE_FAILED,
// BODY_TOO_LARGE, CANCELED) and the attempt's duration. It is meant for metrics and must be
// safe for concurrent use.
func WithObserver(f func(action, code string, d time.Duration)) Option {
	return func(s *settings) { s.observer = f }
}

// WithSleep replaces the wait used for retry backoff and rate-limiter delays (default: a timer
// that also returns early, with ctx.Err(), when ctx is done). For tests.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(s *settings) { s.sleep = f }
}
