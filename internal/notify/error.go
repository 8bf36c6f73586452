package notify

import (
	"fmt"
	"log/slog"
	"strings"
)

// Error is a notification that was not delivered. Its message names the webhook only by scheme and
// host, and any part of the URL a response or network error echoed, in any encoding, is replaced
// by [REDACTED].
type Error struct {
	Kind       string // the event kind
	Webhook    string // redacted: scheme://host/…
	Attempts   int    // tries made
	StatusCode int    // of the last response; 0 when there was none
	Body       string // start of the last response body, scrubbed
	err        error
	scrub      func(string) string
}

func (e *Error) cause() string {
	msg := e.err.Error()
	if e.Body != "" {
		msg += ": " + e.Body
	}
	if e.scrub != nil {
		msg = e.scrub(msg)
	}
	return msg
}

// Error says which event failed, where and why.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "notify %s to %s: %s", e.Kind, e.Webhook, e.cause())
	switch {
	case e.Attempts == 1:
		b.WriteString(" (after 1 attempt)")
	case e.Attempts > 1:
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the cause: a network error, ctx's error, or an error naming the HTTP status.
func (e *Error) Unwrap() error { return e.err }

// LogValue lets the error be logged as structured attributes.
func (e *Error) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", e.Kind), slog.String("webhook", e.Webhook), slog.Int("attempts", e.Attempts),
		slog.Int("status", e.StatusCode), slog.String("error", e.cause()),
	)
}
