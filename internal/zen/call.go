package zen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reaper-bmc/reaper/internal/redact"
)

// envelope is a success answer: the action's output under "response" (zenlayer-bmc-api.md §2.1).
// Code and Message are read too, so that an error smuggled into a 200 is not mistaken for success.
type envelope[T any] struct {
	RequestID string `json:"requestId"`
	Response  *T     `json:"response"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// errorBody is an error answer (§2.2).
type errorBody struct {
	RequestID string `json:"requestId"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// wireResponse is embedded in every action's output; the API repeats the request ID there.
type wireResponse struct {
	RequestID string `json:"requestId"`
}

func (w *wireResponse) requestID() string { return w.RequestID }

// Lengths of server text kept in errors.
const (
	maxMessageLen = 512
	maxSnippetLen = 160
)

// call sends one action with params as its JSON body and decodes the "response" object into a T.
// It waits on the rate limiter before every attempt, signs every attempt afresh, and retries the
// allowlisted failures (see retryable) with capped, fully jittered exponential backoff.
func call[T any](ctx context.Context, c *Client, action string, params any) (*T, string, error) {
	return callWith(ctx, c, action, params, callOptions[T]{})
}

// callOptions tune call for bulk reads.
type callOptions[T any] struct {
	// slots bounds requests in flight: each attempt holds a token from before its rate-limiter
	// wait until its response body is read, so decoding one page overlaps with fetching the
	// next. nil means no bound.
	slots chan struct{}
	// newOut allocates, per attempt, the value "response" is decoded into (for a pre-sized
	// slice). With it, a missing "response" leaves that value empty and the caller must check
	// a field the response always has. nil lets encoding/json allocate.
	newOut func() *T
	// svc is the API service the action belongs to; nil means bmc.
	svc *service
}

// callWith is call with options.
func callWith[T any](ctx context.Context, c *Client, action string, params any, opts callOptions[T]) (*T, string, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return nil, "", fmt.Errorf("zen: %s: encode request: %w", action, err)
	}
	throttled := 0 // attempts the API throttled
	for n := 1; ; n++ {
		release, err := acquire(ctx, opts.slots)
		if err != nil {
			return nil, "", fmt.Errorf("zen: %s: wait for a request slot: %w", action, err)
		}
		sentAt := c.pace.current()
		if err := c.waitLimiter(ctx); err != nil {
			release()
			return nil, "", fmt.Errorf("zen: %s: wait for rate limiter: %w", action, err)
		}
		out, reqID, err := attempt(ctx, c, opts.svc, action, body, n, opts.newOut, release)
		c.pace.observe(sentAt, err)
		if err == nil {
			return out, reqID, nil
		}
		if !retryable(err) {
			return nil, "", err
		}
		if IsRateLimited(err) {
			throttled++
		}
		// The attempt's error names the package and the action; what stopped the retries
		// follows it, so neither is said twice.
		if cerr := ctx.Err(); cerr != nil {
			return nil, "", fmt.Errorf("%w (attempt %d, not retried: %w)", err, n, cerr)
		}
		if n >= c.retry.maxAttempts {
			return nil, "", &ExhaustedError{Action: action, Attempts: n, Throttled: throttled,
				RequestsPerSecond: c.rateDescription(), Err: err}
		}
		wait, werr := c.retryWait(ctx, n, err)
		if werr != nil {
			return nil, "", fmt.Errorf("%w (attempt %d, not retried: %w)", err, n, werr)
		}
		c.log.Warn("zenlayer request will be retried",
			"action", action, "attempt", n, "max_attempts", c.retry.maxAttempts, "wait", wait, "error", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, "", fmt.Errorf("%w (attempt %d, retry wait: %w)", err, n, serr)
		}
	}
}

// acquire takes a token from slots and returns the function that gives it back (at most once).
// A nil slots means no bound.
func acquire(ctx context.Context, slots chan struct{}) (release func(), err error) {
	if slots == nil {
		return func() {}, nil
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	done := false
	return func() {
		if !done {
			done = true
			<-slots
		}
	}, nil
}

// attempt is one HTTP exchange. It calls release once the response body is read (or the
// exchange failed), before decoding.
func attempt[T any](ctx context.Context, c *Client, svc *service, action string, body []byte, n int, newOut func() *T, release func()) (*T, string, error) {
	defer release()
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if svc == nil {
		svc = &serviceBMC
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.base+svc.path, bytes.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("zen: %s: build request: %w", action, err)
	}
	c.setHeaders(req, svc, action, body, c.now())
	start := time.Now()
	out, reqID, status, err := exchange(ctx, actx, c, req, action, newOut, release)
	d := time.Since(start)
	code := outcomeCode(err)
	c.observe(action, code, d)
	c.log.Debug("zenlayer request", "action", action, "attempt", n, "http_status", status,
		"code", code, "request_id", reqID, "duration", d)
	return out, reqID, err
}

func exchange[T any](ctx, actx context.Context, c *Client, req *http.Request, action string, newOut func() *T, release func()) (*T, string, int, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", 0, c.transportError(ctx, actx, action, err)
	}
	limit := c.maxErrorBody
	if resp.StatusCode == http.StatusOK {
		limit = c.maxSuccessBody
	}
	buf, tooLarge, err := readBody(resp.Body, resp.ContentLength, limit)
	resp.Body.Close()
	release()
	defer putBody(buf)
	data := buf.Bytes()
	if err != nil {
		return nil, "", resp.StatusCode, c.transportError(ctx, actx, action, err)
	}
	if tooLarge {
		return nil, "", resp.StatusCode, &ResponseError{Action: action, HTTPStatus: resp.StatusCode,
			Code: CodeBodyTooLarge, Reason: fmt.Sprintf("body exceeds %d bytes", limit)}
	}
	if resp.StatusCode != http.StatusOK {
		err := c.errorFromBody(action, resp.StatusCode, data)
		return nil, RequestID(err), resp.StatusCode, withRetryAfter(err, resp.Header, c.limiterNow())
	}
	var out *T
	if newOut != nil {
		out = newOut()
	}
	out, reqID, err := decodeEnvelope(c, action, data, out)
	return out, reqID, resp.StatusCode, err
}

// bodyPool recycles response buffers (a page is about a megabyte). Nothing decoded from a body
// refers to its bytes (encoding/json, the flex types and the error snippets all copy), so a buffer
// goes back as soon as the exchange is over.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody keeps unusually large buffers out of the pool.
const maxPooledBody = 8 << 20

// readBody reads at most limit bytes into a pooled buffer (give it back with putBody); tooLarge
// reports a body longer than that.
func readBody(r io.Reader, contentLength, limit int64) (buf *bytes.Buffer, tooLarge bool, err error) {
	buf = bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	if contentLength > limit {
		return buf, true, nil
	}
	if contentLength > 0 {
		buf.Grow(int(contentLength) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return buf, false, err
	}
	return buf, int64(buf.Len()) > limit, nil
}

func putBody(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		buf.Reset()
		bodyPool.Put(buf)
	}
}

func (c *Client) transportError(ctx, actx context.Context, action string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("zen: %s: %w", action, context.Cause(ctx))
	}
	ne := newNetworkError(action, actx, err)
	ne.Err = c.scrub.Error(ne.Err) // a malformed answer is quoted in the transport's error
	return ne
}

// errorFromBody turns a non-200 answer into an APIError, or a ResponseError when the body is not
// the API's JSON error object.
func (c *Client) errorFromBody(action string, status int, data []byte) error {
	var eb errorBody
	if err := json.Unmarshal(data, &eb); err != nil {
		reason := "body is not JSON"
		if json.Valid(data) {
			reason = "body is not a JSON error object"
		}
		return &ResponseError{Action: action, HTTPStatus: status, Code: CodeJSONParseError,
			Reason: reason, Snippet: c.snippet(data)}
	}
	if eb.Code == "" {
		return &ResponseError{Action: action, HTTPStatus: status, Code: CodeJSONParseError,
			Reason: "error body has no code", Snippet: c.snippet(data), RequestID: c.clean(eb.RequestID, 128)}
	}
	return &APIError{Action: action, HTTPStatus: status, Code: c.clean(eb.Code, 128),
		Message: c.clean(eb.Message, maxMessageLen), RequestID: c.clean(eb.RequestID, 128)}
}

// decodeEnvelope decodes a 200 body; out, when not nil, is where "response" goes. A top-level
// code makes the answer an APIError even with a 200.
func decodeEnvelope[T any](c *Client, action string, data []byte, out *T) (*T, string, error) {
	env := envelope[T]{Response: out}
	if err := json.Unmarshal(data, &env); err != nil {
		reason := "body is not JSON"
		if json.Valid(data) {
			reason = "decode response: " + c.clean(err.Error(), maxMessageLen)
		}
		return nil, "", &ResponseError{Action: action, HTTPStatus: http.StatusOK, Code: CodeJSONParseError,
			Reason: reason, Snippet: c.snippet(data), RequestID: c.clean(env.RequestID, 128)}
	}
	reqID := c.clean(env.RequestID, 128)
	if env.Code != "" {
		return nil, reqID, &APIError{Action: action, HTTPStatus: http.StatusOK, Code: c.clean(env.Code, 128),
			Message: c.clean(env.Message, maxMessageLen), RequestID: reqID}
	}
	if env.Response == nil {
		return nil, reqID, &ResponseError{Action: action, HTTPStatus: http.StatusOK, Code: CodeJSONParseError,
			Reason: "malformed envelope: missing response", Snippet: c.snippet(data), RequestID: reqID}
	}
	if reqID == "" {
		if r, ok := any(env.Response).(interface{ requestID() string }); ok {
			reqID = c.clean(r.requestID(), 128)
		}
	}
	return env.Response, reqID, nil
}

// outcomeCode is the observer's code for an attempt's result.
func outcomeCode(err error) string {
	if err == nil {
		return CodeOK
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.Code
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		return re.Code
	}
	if _, ok := errors.AsType[*NetworkError](err); ok {
		return CodeNetworkError
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return CodeCanceled
	}
	return CodeNetworkError
}

// snippet is the start of a body, safe to show: secrets redacted in every encoding (before any
// cut, so no part of one survives), shortened, printable.
func (c *Client) snippet(data []byte) string {
	return c.clean(c.scrub.Head(string(data[:min(len(data), 4*maxSnippetLen+c.scrub.Margin())]), 4*maxSnippetLen), maxSnippetLen)
}

// clean makes server text safe for errors and logs: the client's secrets redacted (a misbehaving
// proxy could echo the Authorization header), valid UTF-8, control characters and runs of white
// space folded to one space, at most max bytes.
func (c *Client) clean(s string, max int) string {
	s = c.redact(s)
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// redacted stands for a secret in text.
const redacted = redact.Mark

// redactDecode removes the client's secrets from the server-supplied values a DecodeError
// copies verbatim (a time field, an instance ID), so a server or proxy that echoes a token cannot
// push it into logs or reports through an error. It must run before the error is wrapped: a
// wrapping fmt.Errorf renders the message at once.
func redactDecode(err error, redact func(string) string) error {
	if de, ok := errors.AsType[*DecodeError](err); ok {
		de.Value, de.InstanceID = redact(de.Value), redact(de.InstanceID)
	}
	return err
}

// redact replaces the secret and the token, in every encoding package redact knows, wherever
// they appear in s.
func (c *Client) redact(s string) string { return c.scrub.Text(s) }

// waitLimiter takes one token from the shared limiter, waiting (through c.sleep) when needed.
func (c *Client) waitLimiter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.limiterNow()
	r := c.limiter.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter refused the request")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := c.sleep(ctx, d); err != nil {
		r.CancelAt(c.limiterNow())
		return err
	}
	return nil
}
