package zen

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// retryPolicy bounds the attempts of one call and shapes the waits between them.
type retryPolicy struct {
	maxAttempts int
	base, max   time.Duration
}

// ceiling is the upper bound of the wait before retry n (n >= 1): min(max, base·2^(n-1)).
func (p retryPolicy) ceiling(n int) time.Duration {
	d := p.base
	for i := 1; i < n; i++ {
		if d >= p.max/2 {
			return p.max
		}
		d *= 2
	}
	return min(d, p.max)
}

// retryable is the allowlist: throttling (HTTP 429 or REQUEST_LIMIT_EXCEEDED), HTTP 5xx, attempt
// timeouts, and connections reset or closed mid-exchange. Everything else, every other 4xx
// included, fails at once.
func retryable(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.HTTPStatus == http.StatusTooManyRequests ||
			ae.Code == CodeRequestLimitExceeded ||
			ae.HTTPStatus >= 500
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		return re.HTTPStatus == http.StatusTooManyRequests || re.HTTPStatus >= 500
	}
	if ne, ok := errors.AsType[*NetworkError](err); ok {
		return ne.Timeout || ne.Reset
	}
	return false
}

// newNetworkError classifies a transport error of one attempt. attemptCtx is the per-attempt
// context; its deadline passing means the attempt timed out.
func newNetworkError(action string, attemptCtx context.Context, err error) *NetworkError {
	ne := &NetworkError{Action: action, Err: err}
	var nerr net.Error
	switch {
	case errors.Is(attemptCtx.Err(), context.DeadlineExceeded),
		errors.As(err, &nerr) && nerr.Timeout():
		ne.Timeout = true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE):
		ne.Reset = true
	}
	return ne
}
