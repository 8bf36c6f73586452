package zen

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// API error codes reaper acts on (zenlayer-bmc-api.md §2.4 and §4). The server sends them in
// UPPER_SNAKE form; messages may change and are never parsed.
const (
	CodeInstanceNotFound              = "INVALID_INSTANCE_NOT_FOUND"
	CodeResourceNotFound              = "OPERATION_FAILED_RESOURCE_NOT_FOUND"
	CodeInstanceRecycled              = "OPERATION_DENIED_INSTANCE_RECYCLED"
	CodeInstanceCreating              = "OPERATION_DENIED_INSTANCE_CREATING"
	CodeInstanceInstalling            = "OPERATION_DENIED_INSTANCE_STATUS_INSTALLING"
	CodeInstanceSubscription          = "OPERATION_DENIED_INSTANCE_SUBSCRIPTION"
	CodePostpaidPromise               = "OPERATION_DENIED_POSTPAID_PROMISE"
	CodeRequestLimitExceeded          = "REQUEST_LIMIT_EXCEEDED"
	CodeSignatureFailure              = "AUTHFAILURE_SIGNATURE_FAILURE"
	CodeInternalServerError           = "INTERNAL_SERVER_ERROR"
	CodeServiceTemporarilyUnavailable = "SERVICE_TEMPORARY_UNAVAILABLE"
)

// Client-side codes, reported to the observer (WithObserver) and carried by ResponseError and
// NetworkError. They never come from the server.
const (
	CodeOK             = "OK"
	CodeNetworkError   = "NETWORK_ERROR"
	CodeJSONParseError = "JSON_PARSE_FAILED"
	CodeBodyTooLarge   = "BODY_TOO_LARGE"
	CodeCanceled       = "CANCELED"
)

// authFailurePrefix starts every authentication failure code (AUTHFAILURE_SIGNATURE_FAILURE, ...).
const authFailurePrefix = "AUTHFAILURE_"

// APIError is an error the Zenlayer API answered with: a JSON body carrying a code.
type APIError struct {
	Action     string // the X-ZC-Action of the request, e.g. TerminateInstance
	HTTPStatus int
	Code       string // UPPER_SNAKE, e.g. OPERATION_DENIED_INSTANCE_RECYCLED
	Message    string // for people; never parsed
	RequestID  string // Zenlayer's request ID, for support tickets
}

// Error returns the action, code, message, HTTP status and request ID.
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.HTTPStatus)
	}
	return fmt.Sprintf("zen: %s: %s: %s (HTTP %d, request ID %s)",
		e.Action, e.Code, msg, e.HTTPStatus, orNone(e.RequestID))
}

// LogValue renders the error as a group of snake_case attributes.
func (e *APIError) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("action", e.Action),
		slog.Int("http_status", e.HTTPStatus),
		slog.String("code", e.Code),
		slog.String("message", e.Message),
		slog.String("request_id", e.RequestID),
	)
}

// ResponseError is an answer the client could not understand: a body that is not JSON (a proxy's
// HTML page, say), a body too large to read, an error body without a code, or a success envelope
// without its "response" object.
type ResponseError struct {
	Action     string
	HTTPStatus int
	Code       string // client-side code: JSON_PARSE_FAILED or BODY_TOO_LARGE
	Reason     string // what was wrong, e.g. "body is not JSON"
	Snippet    string // the start of the body, sanitized and shortened; may be empty
	RequestID  string // when the body carried one
}

// Error returns the action, the reason, the HTTP status and a short snippet of the body.
func (e *ResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zen: %s: %s (HTTP %d", e.Action, e.Reason, e.HTTPStatus)
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", request ID %s", e.RequestID)
	}
	b.WriteString(")")
	if e.Snippet != "" {
		fmt.Fprintf(&b, ": body starts %q", e.Snippet)
	}
	return b.String()
}

// LogValue renders the error as a group of snake_case attributes.
func (e *ResponseError) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("action", e.Action),
		slog.Int("http_status", e.HTTPStatus),
		slog.String("code", e.Code),
		slog.String("reason", e.Reason),
		slog.String("snippet", e.Snippet),
		slog.String("request_id", e.RequestID),
	)
}

// NetworkError is a failure to complete an HTTP exchange: the request could not be sent, or the
// answer was cut off, or the attempt ran out of time (WithTimeout).
type NetworkError struct {
	Action  string
	Timeout bool // the attempt timed out
	Reset   bool // the connection was reset or closed mid-exchange (ECONNRESET, EOF)
	Err     error
}

// Error returns the action and the underlying transport error.
func (e *NetworkError) Error() string {
	kind := "network error"
	if e.Timeout {
		kind = "network timeout"
	}
	return fmt.Sprintf("zen: %s: %s: %v", e.Action, kind, e.Err)
}

// Unwrap returns the transport error.
func (e *NetworkError) Unwrap() error { return e.Err }

// LogValue renders the error as a group of snake_case attributes. The transport error is the one
// the client keeps, already free of the client's secrets (Client.transportError).
func (e *NetworkError) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("action", e.Action),
		slog.String("code", CodeNetworkError),
		slog.Bool("timeout", e.Timeout),
		slog.Bool("reset", e.Reset),
		slog.Any("error", e.Err),
	)
}

// ExhaustedError is a call that failed with a retryable error on every attempt the retry policy
// allows (WithRetry). When the API throttled every attempt, the account's request limit is below
// what the client sends even after slowing down: the call fails rather than retrying forever, and
// the message says so.
type ExhaustedError struct {
	Action            string
	Attempts          int
	Throttled         int    // how many of the attempts the API throttled
	RequestsPerSecond string // the client's request rate when it gave up, as throttling lowered it, or "unlimited"
	Err               error  // the last attempt's error
}

// Error says how many attempts were made, whether throttling stopped them, and the last error.
func (e *ExhaustedError) Error() string {
	switch {
	case e.Throttled == e.Attempts && e.RequestsPerSecond == unlimited:
		return fmt.Sprintf("gave up after %d attempts, all throttled by the API (the client has no request rate limit): %v",
			e.Attempts, e.Err)
	case e.Throttled == e.Attempts:
		return fmt.Sprintf("gave up after %d attempts, all throttled by the API (request rate lowered to %s per second): %v",
			e.Attempts, e.RequestsPerSecond, e.Err)
	}
	return fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *ExhaustedError) Unwrap() error { return e.Err }

// LogValue renders the error as a group of snake_case attributes.
func (e *ExhaustedError) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("action", e.Action),
		slog.Int("attempts", e.Attempts),
		slog.Int("throttled", e.Throttled),
		slog.String("requests_per_second", e.RequestsPerSecond),
		slog.Any("error", e.Err),
	)
}

// DecodeError is a field of a well-formed response that the client could not turn into a domain
// value, such as an unparseable createTime.
type DecodeError struct {
	Action     string
	InstanceID string // empty when the field is not an instance's
	Field      string // JSON path, e.g. createTime or dataList[3].time
	Value      string // the offending value, shortened
	Err        error
}

// Error names the field, the instance and the value.
func (e *DecodeError) Error() string {
	where := ""
	if e.InstanceID != "" {
		where = " of instance " + e.InstanceID
	}
	return fmt.Sprintf("zen: %s: decode field %s%s: value %q: %v", e.Action, e.Field, where, e.Value, e.Err)
}

// Unwrap returns the parse error.
func (e *DecodeError) Unwrap() error { return e.Err }

// LogValue renders the error as a group of snake_case attributes. Value and InstanceID are
// redacted where the error is made (redactDecode).
func (e *DecodeError) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("action", e.Action),
		slog.String("instance_id", e.InstanceID),
		slog.String("field", e.Field),
		slog.String("value", e.Value),
		slog.Any("error", e.Err),
	)
}

// IsNotFound reports whether err says the instance (or resource) does not exist.
// Only API answers count: a proxy's 404 page is not an instance that is gone.
func IsNotFound(err error) bool {
	return hasCode(err, CodeInstanceNotFound) || hasCode(err, CodeResourceNotFound)
}

// IsRecycled reports whether err says the instance is already in the recycle bin; reaper treats
// that as a termination already done.
func IsRecycled(err error) bool { return hasCode(err, CodeInstanceRecycled) }

// IsCreating reports whether err says the instance is still being created.
func IsCreating(err error) bool { return hasCode(err, CodeInstanceCreating) }

// IsInstalling reports whether err says the instance's operating system is being installed.
func IsInstalling(err error) bool { return hasCode(err, CodeInstanceInstalling) }

// IsSubscription reports whether err says the instance is prepaid and cannot be terminated.
func IsSubscription(err error) bool { return hasCode(err, CodeInstanceSubscription) }

// IsPostpaidPromise reports whether err says the instance is in a commitment period.
func IsPostpaidPromise(err error) bool { return hasCode(err, CodePostpaidPromise) }

// IsRateLimited reports whether err is the API's throttling answer (HTTP 429 or
// REQUEST_LIMIT_EXCEEDED).
func IsRateLimited(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.HTTPStatus == http.StatusTooManyRequests || ae.Code == CodeRequestLimitExceeded
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		return re.HTTPStatus == http.StatusTooManyRequests
	}
	return false
}

// IsAuth reports whether err is an authentication failure: any HTTP 401, or an AUTHFAILURE_*
// code (normally with HTTP 401 or 403). A bare 403 without such a code is an operation refusal,
// not an authentication failure.
func IsAuth(err error) bool {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.HTTPStatus == http.StatusUnauthorized || strings.HasPrefix(ae.Code, authFailurePrefix)
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		return re.HTTPStatus == http.StatusUnauthorized
	}
	return false
}

// RequestID returns the Zenlayer request ID carried by err, or "" when there is none.
func RequestID(err error) string {
	if ae, ok := errors.AsType[*APIError](err); ok {
		return ae.RequestID
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		return re.RequestID
	}
	return ""
}

func hasCode(err error, code string) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && ae.Code == code
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
