package zen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	key := WithAccessKey(testKeyID, testSecret)
	tests := []struct {
		name    string
		opts    []Option
		wantErr string // substring; "" means success
	}{
		{"defaults with key", []Option{key}, ""},
		{"token", []Option{WithToken(testToken)}, ""},
		{"loopback http", []Option{key, WithEndpoint("http://127.0.0.1:8080")}, ""},
		{"no scheme", []Option{key, WithEndpoint("console.zenlayer.com")}, `endpoint "console.zenlayer.com" must be an absolute http or https URL`},
		{"relative", []Option{key, WithEndpoint("/api")}, `endpoint "/api" must be an absolute`},
		{"ftp", []Option{key, WithEndpoint("ftp://console.zenlayer.com")}, `endpoint "ftp://console.zenlayer.com" must be an absolute`},
		{"empty", []Option{key, WithEndpoint("")}, `endpoint "" must be an absolute`},
		{"no host", []Option{key, WithEndpoint("https://")}, `endpoint "https://" must be an absolute`},
		{"query", []Option{key, WithEndpoint("https://h/?a=b")}, "must not have a query"},
		{"user info", []Option{key, WithEndpoint("https://user:hunter2@h")}, "must not contain user info"},
		{"no credentials", nil, "no credentials"},
		{"both", []Option{key, WithToken(testToken)}, "both an access key and a token"},
		{"id without secret", []Option{WithAccessKey(testKeyID, "")}, "needs both an ID and a secret"},
		{"secret without id", []Option{WithAccessKey("", testSecret)}, "needs both an ID and a secret"},
		{"token with newline", []Option{WithToken("abc\nX-Evil: 1")}, "token contains characters"},
		{"zero timeout", []Option{key, WithTimeout(0)}, "timeout must be positive"},
		{"zero rps", []Option{key, WithRequestsPerSecond(0)}, "requests per second must be positive"},
		{"NaN rps", []Option{key, WithRequestsPerSecond(math.NaN())}, "requests per second must be positive"},
		{"zero attempts", []Option{key, WithRetry(0, time.Second, time.Second)}, "at least 1"},
		{"base above max", []Option{key, WithRetry(3, time.Minute, time.Second)}, "0 < base <= max"},
		{"zero concurrency", []Option{key, WithPageConcurrency(0)}, "page concurrency"},
		{"huge concurrency", []Option{key, WithPageConcurrency(65)}, "page concurrency"},
		{"empty user agent", []Option{key, WithUserAgent("")}, "user agent"},
		{"nil clock", []Option{key, WithClock(nil)}, "clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v, want a client", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New: nil error, want one containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %q, want it to contain %q", err, tt.wantErr)
			}
			for _, secret := range []string{testSecret, testToken, "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("New error %q contains a secret", err)
				}
			}
		})
	}
}

func TestNewEndpointPath(t *testing.T) {
	tests := []struct{ base, want string }{
		{"https://console.zenlayer.com", "https://console.zenlayer.com/api/v2/bmc"},
		{"https://console.zenlayer.com/", "https://console.zenlayer.com/api/v2/bmc"},
		{"http://127.0.0.1:8443/prefix/", "http://127.0.0.1:8443/prefix/api/v2/bmc"},
		{"HTTPS://Console.Zenlayer.com", "https://Console.Zenlayer.com/api/v2/bmc"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := New(WithEndpoint(tt.base), WithToken(testToken))
			if err != nil {
				t.Fatal(err)
			}
			if c.url != tt.want {
				t.Errorf("url = %q, want %q", c.url, tt.want)
			}
		})
	}
}

func TestHeadersSent(t *testing.T) {
	now := time.Unix(1700000000, 0)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/bmc" || r.URL.RawQuery != "" {
			t.Errorf("request %s %s, want POST /api/v2/bmc", r.Method, r.URL)
		}
		verifySignature(t, r, req.Body)
		ok(t, w, "T-1", nil)
	})
	c := newTestClient(t, f, WithClock(func() time.Time { return now }), WithUserAgent("reaper/1.2.3"))
	if _, err := c.TerminateInstance(context.Background(), "123456789012345678"); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	h := reqs[0].Header
	want := map[string]string{
		"X-Zc-Action":           "TerminateInstance",
		"X-Zc-Version":          "2026-02-01",
		"X-Zc-Service":          "bmc",
		"X-Zc-Timestamp":        "1700000000",
		"X-Zc-Signature-Method": "ZC2-HMAC-SHA256",
		"Content-Type":          "application/json",
		"User-Agent":            "reaper/1.2.3",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if got, want := string(reqs[0].Body), `{"instanceId":"123456789012345678"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestClientString(t *testing.T) {
	c, err := New(WithEndpoint("http://127.0.0.1:9"), WithAccessKey(testKeyID, testSecret), WithRequestsPerSecond(2))
	if err != nil {
		t.Fatal(err)
	}
	want := "zen.Client{endpoint: http://127.0.0.1:9/api/v2/bmc, auth: access key TESTAKID0001, requests_per_second: 2, max_attempts: 4}"
	if got := c.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestBearerModeSendsNoSignature(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T-1", nil) })
	c, err := New(WithEndpoint(f.srv.URL), WithToken(testToken), WithRequestsPerSecond(math.Inf(1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TerminateInstance(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	h := f.requests()[0].Header
	if got, want := h.Get("Authorization"), "Bearer "+testToken; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	for _, k := range []string{"X-ZC-Timestamp", "X-ZC-Signature-Method"} {
		if v, present := h[http.CanonicalHeaderKey(k)]; present {
			t.Errorf("bearer request carries %s: %q", k, v)
		}
	}
	for k, v := range map[string]string{"X-ZC-Action": "TerminateInstance", "X-ZC-Version": "2026-02-01", "X-ZC-Service": "bmc"} {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestEveryAttemptIsResigned(t *testing.T) {
	var tick int64 = 1700000000
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		verifySignature(t, r, req.Body)
		if req.N < 3 {
			apiErr(t, w, http.StatusServiceUnavailable, CodeServiceTemporarilyUnavailable, "T-x")
			return
		}
		ok(t, w, "T-ok", nil)
	})
	c := newTestClient(t, f, WithClock(func() time.Time { tick += 7; return time.Unix(tick, 0) }))
	if _, err := c.TerminateInstance(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.requests() {
		got = append(got, r.Header.Get("X-ZC-Timestamp"))
	}
	want := []string{"1700000007", "1700000014", "1700000021"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timestamps = %v, want %v (one fresh signature per attempt)", got, want)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T", nil) })
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		http.Redirect(w, r, elsewhere.srv.URL+"/api/v2/bmc", http.StatusTemporaryRedirect)
	})
	c := newTestClient(t, f)
	_, err := c.TerminateInstance(context.Background(), "1")
	var re *ResponseError
	if !errors.As(err, &re) || re.HTTPStatus != http.StatusTemporaryRedirect {
		t.Fatalf("err = %v, want a ResponseError with HTTP 307", err)
	}
	if n := elsewhere.count(); n != 0 {
		t.Errorf("redirect target saw %d requests, want 0", n)
	}
}

// TestSecretsNeverLeak runs failing calls with a debug logger and checks that neither the secret
// nor the token appears in the logs, the errors, or any rendering of the client.
func TestSecretsNeverLeak(t *testing.T) {
	// secret is the credential the client under test holds; a misbehaving server echoes it.
	var secret string
	echo := func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		// A misbehaving proxy that echoes the credentials into an HTML page.
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html>secret=%s auth=%s</html>", secret, r.Header.Get("Authorization"))
	}
	handlers := map[string]func(http.ResponseWriter, *http.Request, apiRequest){
		"auth failure": func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			apiErr(t, w, http.StatusUnauthorized, CodeSignatureFailure, "T-auth")
		},
		"server error": func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			apiErr(t, w, http.StatusInternalServerError, CodeInternalServerError, "T-500")
		},
		"echo by proxy": echo,
		"echo in api message": func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			writeJSON(t, w, http.StatusBadRequest, map[string]string{"code": "BAD", "requestId": r.Header.Get("Authorization"),
				"message": "got " + secret + " " + r.Header.Get("Authorization")})
		},
		"echo in 200 without response": func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			fmt.Fprintf(w, "{\"x\": %q}", secret)
		},
	}
	auths := map[string]Option{"access key": WithAccessKey(testKeyID, testSecret), "token": WithToken(testToken)}
	secrets := map[string]string{"access key": testSecret, "token": testToken}
	for hname, h := range handlers {
		for aname, auth := range auths {
			t.Run(hname+"/"+aname, func(t *testing.T) {
				secret = secrets[aname]
				f := newFakeAPI(t, h)
				var logs bytes.Buffer
				logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				c, err := New(WithEndpoint(f.srv.URL), auth, WithLogger(logger), WithRequestsPerSecond(math.Inf(1)),
					WithRetry(2, time.Millisecond, time.Millisecond), WithSleep(new(recorder).sleep))
				if err != nil {
					t.Fatal(err)
				}
				_, err1 := c.TerminateInstance(context.Background(), "1")
				_, err2 := c.ListInstances(context.Background(), Filter{Zones: []string{"HKG-A"}})
				if err1 == nil || err2 == nil {
					t.Fatalf("calls succeeded (%v, %v), want failures", err1, err2)
				}
				logger.Info("client", "client", c, "error", err1, "error2", err2)
				texts := map[string]string{
					"logs": logs.String(), "err1": err1.Error(), "err2": err2.Error(),
					"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
					"value %+v": fmt.Sprintf("%+v", *c), "value %#v": fmt.Sprintf("%#v", *c),
					"creds": fmt.Sprintf("%v %+v %#v %s", c.creds, *c.creds, c.creds, c.creds),
				}
				if strings.HasPrefix(hname, "echo") && !strings.Contains(err1.Error(), redacted) {
					t.Errorf("error %q does not show the echoed secret as %s", err1, redacted)
				}
				if !strings.Contains(logs.String(), "zenlayer request") {
					t.Errorf("debug log has no request lines: %s", logs.String())
				}
				for where, text := range texts {
					if strings.Contains(text, secret) {
						t.Errorf("%s contains the secret: %s", where, text)
					}
				}
			})
		}
	}
}

func TestNetworkErrorHasNoSecret(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more: connection refused
	c, err := New(WithEndpoint(url), WithToken(testToken), WithRequestsPerSecond(math.Inf(1)),
		WithSleep(new(recorder).sleep))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TerminateInstance(context.Background(), "1")
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a NetworkError", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
}
