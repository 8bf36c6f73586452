package zen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestTerminateRefusalsMapToHelpers: every TerminateInstance refusal code of the seed page is
// recognised by its helper, and by no other helper.
func TestTerminateRefusalsMapToHelpers(t *testing.T) {
	helpers := map[string]func(error) bool{
		"IsNotFound": IsNotFound, "IsRecycled": IsRecycled, "IsCreating": IsCreating,
		"IsInstalling": IsInstalling, "IsSubscription": IsSubscription,
		"IsPostpaidPromise": IsPostpaidPromise, "IsRateLimited": IsRateLimited, "IsAuth": IsAuth,
	}
	tests := []struct {
		status int
		code   string
		helper string
	}{
		{404, CodeInstanceNotFound, "IsNotFound"},
		{404, CodeResourceNotFound, "IsNotFound"},
		{403, CodeInstanceRecycled, "IsRecycled"},
		{403, CodeInstanceCreating, "IsCreating"},
		{403, CodeInstanceInstalling, "IsInstalling"},
		{403, CodeInstanceSubscription, "IsSubscription"},
		{403, CodePostpaidPromise, "IsPostpaidPromise"},
		{403, CodeSignatureFailure, "IsAuth"},
		{400, "INVALID_PARAMETER", ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
				apiErr(t, w, tt.status, tt.code, "T-REQ-"+tt.code)
			})
			c := newTestClient(t, f)
			id, err := c.TerminateInstance(context.Background(), "932237369560662463")
			if err == nil || id != "" {
				t.Fatalf("TerminateInstance = %q, %v; want an error", id, err)
			}
			for name, is := range helpers {
				if got, want := is(err), name == tt.helper; got != want {
					t.Errorf("%s(err) = %v, want %v", name, got, want)
				}
			}
			if got, want := RequestID(err), "T-REQ-"+tt.code; got != want {
				t.Errorf("RequestID = %q, want %q", got, want)
			}
			for _, part := range []string{"932237369560662463", "TerminateInstance", tt.code,
				"message for " + tt.code, fmt.Sprintf("HTTP %d", tt.status), "T-REQ-" + tt.code} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
			if got := f.count(); got != 1 {
				t.Errorf("server saw %d attempts, want 1 (4xx is never retried)", got)
			}
		})
	}
}

func TestIsAuth(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"401 signature", &APIError{HTTPStatus: 401, Code: CodeSignatureFailure}, true},
		{"403 signature", &APIError{HTTPStatus: 403, Code: CodeSignatureFailure}, true},
		{"403 other authfailure", &APIError{HTTPStatus: 403, Code: "AUTHFAILURE_TOKEN_EXPIRED"}, true},
		{"401 unknown code", &APIError{HTTPStatus: 401, Code: "WHATEVER"}, true},
		{"401 html", &ResponseError{HTTPStatus: 401}, true},
		{"403 operation denied", &APIError{HTTPStatus: 403, Code: CodeInstanceRecycled}, false},
		{"403 html challenge", &ResponseError{HTTPStatus: 403}, false},
		{"wrapped", fmt.Errorf("list: %w", &IntegrityError{Err: &APIError{HTTPStatus: 401, Code: CodeSignatureFailure}}), true},
		{"nil", nil, false},
		{"plain", errors.New("x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAuth(tt.err); got != tt.want {
				t.Errorf("IsAuth(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestAPIErrorLogValue(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Error("terminate failed", "error", &APIError{Action: "TerminateInstance", HTTPStatus: 403,
		Code: CodePostpaidPromise, Message: "commitment", RequestID: "T-1"})
	for _, part := range []string{`"action":"TerminateInstance"`, `"http_status":403`, `"code":"OPERATION_DENIED_POSTPAID_PROMISE"`, `"request_id":"T-1"`} {
		if !strings.Contains(buf.String(), part) {
			t.Errorf("log %s lacks %s", buf.String(), part)
		}
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<html>\n<head><title>403 Forbidden</title></head>\n\x00\x1b[31m<body>cloudflare</body></html>")
	})
	c := newTestClient(t, f)
	_, err := c.TerminateInstance(context.Background(), "1")
	re, ok := errors.AsType[*ResponseError](err)
	if !ok {
		t.Fatalf("err = %v, want a ResponseError", err)
	}
	if re.HTTPStatus != 403 || re.Code != CodeJSONParseError || re.Reason != "body is not JSON" {
		t.Errorf("ResponseError = %+v, want HTTP 403, JSON_PARSE_FAILED, body is not JSON", re)
	}
	if want := "<html> <head><title>403 Forbidden</title></head> [31m<body>cloudflare</body></html>"; re.Snippet != want {
		t.Errorf("snippet = %q, want %q (control characters and newlines folded)", re.Snippet, want)
	}
	for _, part := range []string{"body is not JSON", "HTTP 403", "403 Forbidden"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q lacks %q", err, part)
		}
	}
	if IsNotFound(err) || IsAuth(err) || IsRecycled(err) {
		t.Errorf("a proxy page must not look like an API refusal: %v", err)
	}
}

func TestLongSnippetIsShortened(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, strings.Repeat("x", 5000))
	})
	c := newTestClient(t, f)
	_, err := c.TerminateInstance(context.Background(), "1")
	re, ok := errors.AsType[*ResponseError](err)
	if !ok {
		t.Fatalf("err = %v, want a ResponseError", err)
	}
	if want := strings.Repeat("x", maxSnippetLen) + "…"; re.Snippet != want {
		t.Errorf("snippet has %d bytes, want %d", len(re.Snippet), len(want))
	}
}

func TestOversizeBody(t *testing.T) {
	tests := []struct {
		name   string
		status int
		size   int
		limit  int64 // maxSuccessBody override; 0 keeps the default
		chunk  bool  // no Content-Length
	}{
		{"error body over 1 MiB", 500, 2 << 20, 0, false},
		{"error body over 1 MiB chunked", 400, 2 << 20, 0, true},
		{"success body over the limit", 200, 4096, 1024, false},
		{"success body over the limit chunked", 200, 4096, 1024, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
				body := `{"requestId":"T","response":{"x":"` + strings.Repeat("a", tt.size) + `"}}`
				if !tt.chunk {
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				}
				w.WriteHeader(tt.status)
				if tt.chunk {
					for i := 0; i < len(body); i += 1000 {
						fmt.Fprint(w, body[i:min(i+1000, len(body))])
						w.(http.Flusher).Flush()
					}
					return
				}
				fmt.Fprint(w, body)
			})
			c := newTestClient(t, f, WithRetry(1, 1, 1))
			if tt.limit > 0 {
				c.maxSuccessBody = tt.limit
			}
			_, err := c.TerminateInstance(context.Background(), "1")
			re, ok := errors.AsType[*ResponseError](err)
			if !ok || re.Code != CodeBodyTooLarge || re.HTTPStatus != tt.status {
				t.Fatalf("err = %v, want a BODY_TOO_LARGE ResponseError with HTTP %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), "body exceeds") {
				t.Errorf("error %q does not say the body is too large", err)
			}
		})
	}
}

func TestMalformedEnvelopes(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantReason string // ResponseError reason; "" when an APIError is expected
		wantCode   string
		attempts   int
	}{
		{"missing response", 200, `{"requestId":"T-1"}`, "malformed envelope: missing response", CodeJSONParseError, 1},
		{"null response", 200, `{"requestId":"T-1","response":null}`, "malformed envelope: missing response", CodeJSONParseError, 1},
		{"array body", 200, `[1,2]`, "decode response", CodeJSONParseError, 1},
		{"truncated json", 200, `{"requestId":"T-1","response":{`, "body is not JSON", CodeJSONParseError, 1},
		{"error code inside a 200", 200, `{"requestId":"T-1","code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}`, "", CodeRequestLimitExceeded, 4},
		{"error body without code", 500, `{"requestId":"T-1","message":"oops"}`, "error body has no code", CodeJSONParseError, 4},
		{"error body json string", 400, `"oops"`, "body is not a JSON error object", CodeJSONParseError, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			c := newTestClient(t, f)
			_, err := c.TerminateInstance(context.Background(), "1")
			if err == nil {
				t.Fatal("TerminateInstance succeeded, want an error")
			}
			if got := outcomeCode(errors.Unwrap(err)); got != tt.wantCode {
				t.Errorf("code = %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if tt.wantReason != "" {
				re, ok := errors.AsType[*ResponseError](err)
				if !ok || !strings.HasPrefix(re.Reason, tt.wantReason) {
					t.Errorf("err = %v, want a ResponseError with reason %q", err, tt.wantReason)
				}
			}
			if got := f.count(); got != tt.attempts {
				t.Errorf("server saw %d attempts, want %d", got, tt.attempts)
			}
		})
	}
}

func TestRequestIDFallsBackToInnerResponse(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		fmt.Fprint(w, `{"response":{"requestId":"T-INNER"}}`)
	})
	c := newTestClient(t, f)
	id, err := c.TerminateInstance(context.Background(), "1")
	if err != nil || id != "T-INNER" {
		t.Errorf("TerminateInstance = %q, %v; want T-INNER", id, err)
	}
}

// TestErrorLogValues: each error type logs as a group of snake_case attributes (STYLE: LogValue
// on every error type), its cause included as text.
func TestErrorLogValues(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"network timeout", &NetworkError{Action: "DescribeInstances", Timeout: true, Err: errors.New("i/o timeout")},
			[]string{`"action":"DescribeInstances"`, `"code":"NETWORK_ERROR"`, `"timeout":true`, `"reset":false`, `"error":"i/o timeout"`}},
		{"network reset", &NetworkError{Action: "TerminateInstance", Reset: true, Err: errors.New("EOF")},
			[]string{`"action":"TerminateInstance"`, `"timeout":false`, `"reset":true`, `"error":"EOF"`}},
		{"decode", &DecodeError{Action: "DescribeInstances", InstanceID: "42", Field: "createTime", Value: "yesterday",
			Err: errors.New("bad time")},
			[]string{`"action":"DescribeInstances"`, `"instance_id":"42"`, `"field":"createTime"`, `"value":"yesterday"`, `"error":"bad time"`}},
		{"integrity", &IntegrityError{Kind: IntegrityTotalChanged, Reason: "totalCount 5 then 6", Zone: "SEL-A",
			ResourceGroup: "rg", Page: 3, InstanceID: "7"},
			[]string{`"kind":"total_changed"`, `"reason":"totalCount 5 then 6"`, `"zone":"SEL-A"`, `"resource_group":"rg"`,
				`"page":3`, `"instance_id":"7"`}},
		{"integrity page failed", &IntegrityError{Kind: IntegrityPageFailed, Reason: "page failed", Page: 2,
			Err: &APIError{Action: "DescribeInstances", HTTPStatus: 500, Code: CodeInternalServerError, RequestID: "T-9"}},
			[]string{`"kind":"page_failed"`, `"page":2`, `"error":{"action":"DescribeInstances","http_status":500`, `"request_id":"T-9"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.err.(slog.LogValuer); !ok {
				t.Fatalf("%T does not implement slog.LogValuer", tt.err)
			}
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Error("call failed", "error", tt.err)
			for _, part := range tt.want {
				if !strings.Contains(buf.String(), part) {
					t.Errorf("log %s lacks %s", buf.String(), part)
				}
			}
		})
	}
}
