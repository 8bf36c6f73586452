package zensim

import (
	"fmt"
	"net/http"
	"time"
)

// wireTimeLayout is the API's time format: UTC, seconds, a literal Z.
const wireTimeLayout = "2006-01-02T15:04:05Z"

func formatWireTime(t time.Time) string { return t.UTC().Format(wireTimeLayout) }

// envelope is a success answer: the action's output under "response", the request ID on both levels.
type envelope struct {
	RequestID string `json:"requestId"`
	Response  any    `json:"response"`
}

// wireError is an error answer (any status but 200).
type wireError struct {
	RequestID string `json:"requestId"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// emptyResponse is the output of actions that return nothing but the request ID.
type emptyResponse struct {
	RequestID string `json:"requestId"`
}

type wireTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// wireTags is the wrapped tag shape of InstanceInfo: {"tags":[{key,value}]}.
type wireTags struct {
	Tags []wireTag `json:"tags"`
}

// CodeNoPermission answers, with 403, a call by a credential that may not use the service
// (Options.NoPermission). The code is the simulator's own: the API documents none.
const CodeNoPermission = "OPERATION_DENIED_NO_PERMISSION"

// apiError is an error answer before it gets a request ID.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration // sent as Retry-After (whole seconds, rounded up) when positive
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newAPIError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func invalidParameter(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "INVALID_PARAMETER", format, args...)
}

func missingParameter(name string) *apiError {
	return newAPIError(http.StatusBadRequest, "MISSING_PARAMETER", "the parameter `%s` is required", name)
}

func instanceNotFound(id string) *apiError {
	return newAPIError(http.StatusNotFound, "INVALID_INSTANCE_NOT_FOUND", "the instance `%s` does not exist", id)
}

func operationDenied(code, format string, args ...any) *apiError {
	return newAPIError(http.StatusForbidden, code, format, args...)
}
