package zensim

import (
	"log/slog"
	"time"
)

// DefaultMaxSkew is the signature timestamp tolerance used when Options.MaxSkew is zero.
const DefaultMaxSkew = 300 * time.Second

// Options configures a Server. The zero value is usable but accepts no credentials.
type Options struct {
	// Now is the simulator clock: creation ages, signature skew, traffic windows and the 24-hour
	// release of recycled instances all use it. Default time.Now.
	Now func() time.Time
	// RateClock drives the rate limiter's token bucket. It is separate from Now so a frozen
	// simulator clock does not freeze the bucket. Default time.Now.
	RateClock func() time.Time
	// Keys maps AccessKeyId to AccessKeyPassword for ZC2-HMAC-SHA256.
	Keys map[string]string
	// Tokens are the accepted bearer tokens.
	Tokens []string
	// MaxSkew is the accepted distance between X-ZC-Timestamp and Now. Default DefaultMaxSkew.
	MaxSkew time.Duration
	// Seed drives fault randomness, request IDs and traffic jitter.
	Seed int64
	// PrepaidCancels selects the 2026 behaviour of TerminateInstance on PREPAID instances: 200,
	// autoRenew false, subscription cancelled, status unchanged. When false (the old documented
	// behaviour) the call answers 403 OPERATION_DENIED_INSTANCE_SUBSCRIPTION.
	PrepaidCancels bool
	// RetryAfter adds a Retry-After header (whole seconds until the rate limiter has a token,
	// at least 1) to 429 REQUEST_LIMIT_EXCEEDED answers. The API reference does not say whether
	// the API sends one (zenlayer-bmc-api.md §8) and no SDK reads it, so it is off by default and
	// a client must work without it.
	RetryAfter bool
	// MaxCalls, when positive, keeps only the most recent MaxCalls recorded calls (a long-running
	// `reaper sim` would otherwise grow without bound). Zero keeps every call.
	MaxCalls int
	// NoPermission maps a credential (an access key ID or a bearer token) to the services it may
	// not use (ServiceBMC, ServiceZRM, ServiceZBC): its authenticated calls to them are answered
	// 403 CodeNoPermission, as for a zenConsole member without billing or tagging permission
	// (zenlayer-bmc-api.md §1.5 says such keys exist but documents no code).
	NoPermission map[string][]string
	// Logger receives one debug record per call. Default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RateClock == nil {
		o.RateClock = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = DefaultMaxSkew
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	keys := make(map[string]string, len(o.Keys))
	for k, v := range o.Keys {
		keys[k] = v
	}
	o.Keys = keys
	o.Tokens = append([]string(nil), o.Tokens...)
	denied := make(map[string][]string, len(o.NoPermission))
	for k, v := range o.NoPermission {
		denied[k] = append([]string(nil), v...)
	}
	o.NoPermission = denied
	return o
}
