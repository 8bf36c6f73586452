package zen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// observed collects the observer's calls.
type observed struct {
	mu    sync.Mutex
	codes []string
}

func (o *observed) observe(action, code string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.codes = append(o.codes, action+":"+code)
}

func (o *observed) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.codes)
}

// resetConn closes the connection with an RST (SO_LINGER 0).
func resetConn(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func TestRetryAllowlist(t *testing.T) {
	html := func(status int) func(http.ResponseWriter, *http.Request, apiRequest) {
		return func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprint(w, "<html><body>proxy says no</body></html>")
		}
	}
	code := func(status int, code string) func(http.ResponseWriter, *http.Request, apiRequest) {
		return func(w http.ResponseWriter, r *http.Request, req apiRequest) { apiErr(t, w, status, code, "T-r") }
	}
	tests := []struct {
		name         string
		handle       func(http.ResponseWriter, *http.Request, apiRequest)
		wantAttempts int
		wantCode     string // observer code of every attempt
		check        func(error) bool
	}{
		{"429 REQUEST_LIMIT_EXCEEDED", code(429, CodeRequestLimitExceeded), 4, CodeRequestLimitExceeded, IsRateLimited},
		{"REQUEST_LIMIT_EXCEEDED with 400", code(400, CodeRequestLimitExceeded), 4, CodeRequestLimitExceeded, IsRateLimited},
		{"429 html", html(429), 4, CodeJSONParseError, IsRateLimited},
		{"500 INTERNAL_SERVER_ERROR", code(500, CodeInternalServerError), 4, CodeInternalServerError, isAPIStatus(500)},
		{"503 SERVICE_TEMPORARY_UNAVAILABLE", code(503, CodeServiceTemporarilyUnavailable), 4, CodeServiceTemporarilyUnavailable, isAPIStatus(503)},
		{"502 html", html(502), 4, CodeJSONParseError, isResponseStatus(502)},
		{"timeout", func(w http.ResponseWriter, r *http.Request, req apiRequest) { <-r.Context().Done() },
			4, CodeNetworkError, func(err error) bool { ne, ok := errors.AsType[*NetworkError](err); return ok && ne.Timeout }},
		{"connection reset", func(w http.ResponseWriter, r *http.Request, req apiRequest) { resetConn(t, w) },
			4, CodeNetworkError, func(err error) bool { ne, ok := errors.AsType[*NetworkError](err); return ok && ne.Reset }},
		{"eof mid-body", func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `{"requestId":"T-half","resp`)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, 4, CodeNetworkError, func(err error) bool { ne, ok := errors.AsType[*NetworkError](err); return ok && ne.Reset }},
		{"400 bad parameter", code(400, "INVALID_PARAMETER"), 1, "INVALID_PARAMETER", isAPIStatus(400)},
		{"401 auth", code(401, CodeSignatureFailure), 1, CodeSignatureFailure, IsAuth},
		{"403 recycled", code(403, CodeInstanceRecycled), 1, CodeInstanceRecycled, IsRecycled},
		{"403 html challenge", html(403), 1, CodeJSONParseError, isResponseStatus(403)},
		{"404 not found", code(404, CodeInstanceNotFound), 1, CodeInstanceNotFound, IsNotFound},
		{"200 not json", html(200), 1, CodeJSONParseError, isResponseStatus(200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, tt.handle)
			var obs observed
			// Only the timeout case waits for the client's deadline; the others get a generous one,
			// so that a loaded machine cannot turn their first attempt into a timeout.
			timeout := 5 * time.Second
			if tt.name == "timeout" {
				timeout = 50 * time.Millisecond
			}
			c := newTestClient(t, f, WithObserver(obs.observe), WithTimeout(timeout))
			_, err := c.TerminateInstance(context.Background(), "1")
			if err == nil {
				t.Fatal("TerminateInstance succeeded, want an error")
			}
			if got := f.count(); got != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d (err %v)", got, tt.wantAttempts, err)
			}
			if !tt.check(err) {
				t.Errorf("error %v (%T) fails the class check", err, errors.Unwrap(err))
			}
			if got, want := retryable(err), tt.wantAttempts > 1; got != want {
				t.Errorf("retryable(err) = %v, want %v", got, want)
			}
			want := slices.Repeat([]string{"TerminateInstance:" + tt.wantCode}, tt.wantAttempts)
			if got := obs.get(); !slices.Equal(got, want) {
				t.Errorf("observer saw %v, want %v", got, want)
			}
		})
	}
}

func isAPIStatus(status int) func(error) bool {
	return func(err error) bool { ae, ok := errors.AsType[*APIError](err); return ok && ae.HTTPStatus == status }
}

func isResponseStatus(status int) func(error) bool {
	return func(err error) bool {
		re, ok := errors.AsType[*ResponseError](err)
		return ok && re.HTTPStatus == status
	}
}

func TestConnectionRefusedIsNotRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var obs observed
	c, err := New(WithEndpoint("http://"+addr), WithToken(testToken), WithObserver(obs.observe),
		WithSleep(new(recorder).sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TerminateInstance(context.Background(), "1")
	if _, ok := errors.AsType[*NetworkError](err); !ok {
		t.Fatalf("err = %v, want a NetworkError", err)
	}
	if got, want := obs.get(), []string{"TerminateInstance:NETWORK_ERROR"}; !slices.Equal(got, want) {
		t.Errorf("attempts = %v, want %v (refused is not on the allowlist)", got, want)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if req.N <= 2 {
			apiErr(t, w, http.StatusTooManyRequests, CodeRequestLimitExceeded, "T-429")
			return
		}
		ok(t, w, "T-done", nil)
	})
	var obs observed
	var waits recorder
	c := newTestClient(t, f, WithObserver(obs.observe), WithSleep(waits.sleep), WithRetry(4, time.Second, 10*time.Second))
	c.jitter = func(time.Duration) time.Duration { return 0 } // no jitter, to check the schedule
	id, err := c.TerminateInstance(context.Background(), "1")
	if err != nil || id != "T-done" {
		t.Fatalf("TerminateInstance = %q, %v; want T-done, nil", id, err)
	}
	want := []string{"TerminateInstance:REQUEST_LIMIT_EXCEEDED", "TerminateInstance:REQUEST_LIMIT_EXCEEDED", "TerminateInstance:OK"}
	if got := obs.get(); !slices.Equal(got, want) {
		t.Errorf("observer = %v, want %v", got, want)
	}
	if got, want := waits.get(), []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("backoff waits = %v, want %v", got, want)
	}
}

func TestBackoffCeiling(t *testing.T) {
	p := retryPolicy{maxAttempts: 10, base: 100 * time.Millisecond, max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		if got := p.ceiling(i + 1); got != w*time.Millisecond {
			t.Errorf("ceiling(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	huge := retryPolicy{base: time.Second, max: time.Duration(1<<63 - 1)}
	if got := huge.ceiling(200); got <= 0 {
		t.Errorf("ceiling(200) with an unbounded max = %v, want positive (no overflow)", got)
	}
}

func TestFullJitterStaysUnderCeiling(t *testing.T) {
	seen := map[bool]bool{}
	for range 1000 {
		d := fullJitter(time.Second)
		if d < 0 || d > time.Second {
			t.Fatalf("fullJitter(1s) = %v, want within [0, 1s]", d)
		}
		seen[d < 500*time.Millisecond] = true
	}
	if !seen[true] || !seen[false] {
		t.Errorf("1000 jittered waits all fell in one half of [0, 1s]; want spread")
	}
	if got := fullJitter(0); got != 0 {
		t.Errorf("fullJitter(0) = %v, want 0", got)
	}
}

func TestContextCancelStopsBackoff(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		apiErr(t, w, http.StatusServiceUnavailable, CodeServiceTemporarilyUnavailable, "T-503")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	// The real timer-based sleep with an hour of backoff: only cancellation can end the wait.
	c := newTestClient(t, f, WithRetry(4, time.Hour, time.Hour), WithSleep(func(ctx context.Context, d time.Duration) error {
		close(started)
		return sleepCtx(ctx, d)
	}))
	c.jitter = func(d time.Duration) time.Duration { return d }
	done := make(chan error, 1)
	go func() {
		_, err := c.TerminateInstance(ctx, "1")
		done <- err
	}()
	<-started
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if !IsTemporarilyUnavailable(err) {
		t.Errorf("err = %v, want it to keep the last API error", err)
	}
	if got := f.count(); got != 1 {
		t.Errorf("server saw %d attempts, want 1", got)
	}
}

func TestContextCanceledAfterAttemptStopsRetries(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		apiErr(t, w, http.StatusServiceUnavailable, CodeServiceTemporarilyUnavailable, "T-503")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newTestClient(t, f, WithObserver(func(string, string, time.Duration) { cancel() }))
	_, err := c.TerminateInstance(ctx, "1")
	if !errors.Is(err, context.Canceled) || !IsTemporarilyUnavailable(err) {
		t.Errorf("err = %v, want context.Canceled wrapping the API error", err)
	}
	if got := f.count(); got != 1 {
		t.Errorf("server saw %d attempts, want 1", got)
	}
}

// IsTemporarilyUnavailable is a test helper: the error carries SERVICE_TEMPORARY_UNAVAILABLE.
func IsTemporarilyUnavailable(err error) bool { return hasCode(err, CodeServiceTemporarilyUnavailable) }

func TestCanceledContextMakesNoRequest(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T", nil) })
	c := newTestClient(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.TerminateInstance(ctx, "1"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := f.count(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}
