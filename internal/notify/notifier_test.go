package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// secretPath stands in for the secret part of a webhook URL.
const secretPath = "/services/T0SECRET/B0SECRET/XyZsecretTOKEN42"

// receiver is a webhook endpoint that answers each call with the next response of a script.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	respond func(call int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, respond func(call int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.headers = append(rc.headers, r.Header.Clone())
		call := len(rc.bodies)
		rc.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != secretPath {
			t.Errorf("request: got %s %s, want POST to the webhook path", r.Method, r.URL.Path)
		}
		rc.respond(call, w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + secretPath + "?token=QuerySecret99" }

func (rc *receiver) calls() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

// statuses answers the calls with these status codes, then 200.
func statuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(call int, w http.ResponseWriter, r *http.Request) {
		if call <= len(codes) {
			w.WriteHeader(codes[call-1])
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// sleeps records the waits instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func newNotifier(t *testing.T, rawURL, format string, sl *sleeps, logs io.Writer) *Notifier {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	n, err := New(Options{
		URL: rawURL, Format: format, MaxAttempts: 4, Backoff: time.Second, MaxBackoff: 5 * time.Second,
		Sleep: sl.sleep, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time { return at },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

var at = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func sampleEvent() Event {
	due := at.Add(4 * time.Hour)
	return Event{
		Kind: KindDigest, RunID: "20261126T080000Z-3f9a1c", DryRun: true,
		Title: "reaper: 2 candidates", Text: "1 would be terminated, 1 is marked.",
		Instances: []EventInstance{
			{ID: "932237369560662584", Name: "staging-api", Action: "would_terminate", Reasons: []string{"reaper.expiry: expired"}},
			{ID: "932237369560662490", Name: "load-test-3", Action: "marked", Reasons: []string{"reaper.idle: idle"}, DueAt: &due},
		},
	}
}

func TestGenericPayload(t *testing.T) {
	rc := newReceiver(t, statuses())
	n := newNotifier(t, rc.url(), "", &sleeps{}, nil)
	if err := n.Send(context.Background(), sampleEvent()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(rc.bodies[0], &got); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	want := map[string]any{
		"kind": "digest", "run_id": "20261126T080000Z-3f9a1c", "dry_run": true,
		"title": "reaper: 2 candidates", "text": "1 would be terminated, 1 is marked.", "at": "2026-11-26T08:00:00Z",
		"instances": []any{
			map[string]any{"id": "932237369560662584", "name": "staging-api", "action": "would_terminate",
				"reasons": []any{"reaper.expiry: expired"}, "due_at": nil, "request_id": ""},
			map[string]any{"id": "932237369560662490", "name": "load-test-3", "action": "marked",
				"reasons": []any{"reaper.idle: idle"}, "due_at": "2026-11-26T12:00:00Z", "request_id": ""},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generic payload (-want +got):\n%s", diff)
	}
	if ct := rc.headers[0].Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type: got %q", ct)
	}

	// No instances is an empty array, never null.
	if err := n.Send(context.Background(), Event{Kind: KindBlocked, Title: "blocked"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rc.bodies[1], []byte(`"instances":[]`)) {
		t.Errorf("payload without instances: %s", rc.bodies[1])
	}
}

type slackMessage struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Elements []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"elements"`
	} `json:"blocks"`
}

func TestSlackPayload(t *testing.T) {
	rc := newReceiver(t, statuses())
	n := newNotifier(t, rc.url(), FormatSlack, &sleeps{}, nil)
	e := sampleEvent()
	e.Title = "reaper <!channel> & friends"
	e.Instances = nil
	for i := range 25 {
		e.Instances = append(e.Instances, EventInstance{
			ID: "9322373695606625" + string(rune('a'+i)), Name: "web-<@U123>\n" + string(rune('a'+i)), Action: "would_terminate",
			Reasons: []string{"reaper.idle: idle <https://evil|click>"},
		})
	}
	if err := n.Send(context.Background(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	var msg slackMessage
	if err := json.Unmarshal(rc.bodies[0], &msg); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	if msg.Text != "reaper &lt;!channel&gt; &amp; friends" {
		t.Errorf("fallback text: got %q", msg.Text)
	}
	if len(msg.Blocks) != 3 {
		t.Fatalf("blocks: got %d, want summary, instances, more", len(msg.Blocks))
	}
	summary := msg.Blocks[0].Text
	if msg.Blocks[0].Type != "section" || summary.Type != "mrkdwn" ||
		!strings.Contains(summary.Text, "*reaper &lt;!channel&gt; &amp; friends*") ||
		!strings.Contains(summary.Text, "1 would be terminated, 1 is marked.") ||
		!strings.Contains(summary.Text, "run `20261126T080000Z-3f9a1c` · dry run") {
		t.Errorf("summary section: %+v", msg.Blocks[0])
	}
	lines := strings.Split(msg.Blocks[1].Text.Text, "\n")
	if len(lines) != 20 {
		t.Errorf("instance lines: got %d, want 20", len(lines))
	}
	if !strings.HasPrefix(lines[0], "• `9322373695606625a` *web-&lt;@U123&gt; a* would_terminate: reaper.idle: idle &lt;https://evil|click&gt;") {
		t.Errorf("first instance line: %q", lines[0])
	}
	if len(msg.Blocks[1].Text.Text) > slackMaxText {
		t.Errorf("instance section is %d characters, Slack allows %d", len(msg.Blocks[1].Text.Text), slackMaxText)
	}
	if more := msg.Blocks[2]; more.Type != "context" || len(more.Elements) != 1 || !strings.Contains(more.Elements[0].Text, "and 5 more") {
		t.Errorf("more block: %+v", more)
	}
	if bytes.Contains(rc.bodies[0], []byte("<!channel>")) || bytes.Contains(rc.bodies[0], []byte("<@U123>")) {
		t.Errorf("payload contains a live mention: %s", rc.bodies[0])
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	rc := newReceiver(t, statuses(500, 502, 503))
	sl := &sleeps{}
	n := newNotifier(t, rc.url(), "", sl, nil)
	if err := n.Send(context.Background(), sampleEvent()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := rc.calls(); got != 4 {
		t.Errorf("attempts: got %d, want 4", got)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, sl.waits); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
	for i, b := range rc.bodies[1:] {
		if !bytes.Equal(b, rc.bodies[0]) {
			t.Errorf("attempt %d sent a different body", i+2)
		}
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) {})
	rc.respond = func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "upstream down")
	}
	sl := &sleeps{}
	n, err := New(Options{URL: rc.url(), MaxAttempts: 6, Backoff: time.Second, MaxBackoff: 5 * time.Second, Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Send(context.Background(), sampleEvent())
	var ne *Error
	if !errors.As(err, &ne) {
		t.Fatalf("Send: got %v, want *Error", err)
	}
	if ne.Attempts != 6 || ne.StatusCode != 503 || ne.Body != "upstream down" || ne.Kind != KindDigest {
		t.Errorf("error: got %+v", ne)
	}
	if got := rc.calls(); got != 6 {
		t.Errorf("attempts: got %d, want 6", got)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, sl.waits); diff != "" {
		t.Errorf("capped backoff (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "status 503: upstream down (after 6 attempts)") {
		t.Errorf("message: %q", err.Error())
	}
}

func TestRetryAfter(t *testing.T) {
	rc := newReceiver(t, func(call int, w http.ResponseWriter, _ *http.Request) {
		switch call {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	sl := &sleeps{}
	if err := newNotifier(t, rc.url(), "", sl, nil).Send(context.Background(), sampleEvent()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// 3s beats the 1s backoff; an hour is capped at MaxBackoff.
	if diff := cmp.Diff([]time.Duration{3 * time.Second, 5 * time.Second}, sl.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestNotRetried(t *testing.T) {
	for _, code := range []int{400, 403, 404, 410, 302} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				if code == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(code)
			})
			sl := &sleeps{}
			err := newNotifier(t, rc.url(), "", sl, nil).Send(context.Background(), sampleEvent())
			var ne *Error
			if !errors.As(err, &ne) || ne.StatusCode != code || ne.Attempts != 1 {
				t.Fatalf("Send: got %v, want an *Error with status %d after 1 attempt", err, code)
			}
			if rc.calls() != 1 || len(sl.waits) != 0 {
				t.Errorf("calls %d, waits %v: want 1 call and no retry", rc.calls(), sl.waits)
			}
		})
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	rc := newReceiver(t, func(call int, w http.ResponseWriter, _ *http.Request) {
		if call == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close() // the client sees the connection drop
		}
	})
	sl := &sleeps{}
	if err := newNotifier(t, rc.url(), "", sl, nil).Send(context.Background(), sampleEvent()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rc.calls() != 2 || len(sl.waits) != 1 {
		t.Errorf("calls %d, waits %v: want a retry after the dropped connection", rc.calls(), sl.waits)
	}
}

func TestURLNeverInErrorsOrLogs(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String() + secretPath + "?token=QuerySecret99"
	closed.Close()

	echo := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "no route for "+r.URL.String()+" (path "+r.URL.Path+")")
	})
	userinfo := strings.Replace(echo.url(), "http://", "http://admin:PassWord77@", 1)
	cases := map[string]string{"refused": deadURL, "echoing 500": echo.url(), "user info": userinfo}
	for name, rawURL := range cases {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			n := newNotifier(t, rawURL, FormatSlack, &sleeps{}, &logs)
			err := n.Send(context.Background(), sampleEvent())
			if err == nil {
				t.Fatal("Send: got nil error")
			}
			var ne *Error
			errors.As(err, &ne)
			var uerr *url.Error
			if errors.As(err, &uerr) {
				t.Errorf("the error chain holds a *url.Error, whose message is the whole URL")
			}
			if cause := errors.Unwrap(err); cause != nil && strings.Contains(cause.Error(), "SECRET") {
				t.Errorf("the unwrapped cause contains the URL: %v", cause)
			}
			logged := &bytes.Buffer{}
			slog.New(slog.NewJSONHandler(logged, nil)).Error("notify failed", "error", ne)
			for what, text := range map[string]string{"error": err.Error(), "logs": logs.String(), "logged error": logged.String(), "body": ne.Body} {
				for _, secret := range []string{"T0SECRET", "XyZsecretTOKEN42", "QuerySecret99", "PassWord77", "admin"} {
					if strings.Contains(text, secret) {
						t.Errorf("%s contains %q: %s", what, secret, text)
					}
				}
			}
			if !strings.Contains(err.Error(), "://127.0.0.1:") || !strings.Contains(err.Error(), "/…") {
				t.Errorf("error should name the webhook as scheme://host/…: %s", err)
			}
			if !strings.Contains(logs.String(), "notification attempt failed") {
				t.Errorf("no warning logged per failed attempt: %s", logs.String())
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := map[string]Options{
		"empty":          {URL: "  "},
		"no scheme":      {URL: "hooks.slack.com" + secretPath},
		"ftp":            {URL: "ftp://hooks.example" + secretPath},
		"no host":        {URL: "https://" + secretPath},
		"does not parse": {URL: "https://hooks.example:badport" + secretPath},
		"control chars":  {URL: "https://hooks.example" + secretPath + "\x7f"},
		"unknown format": {URL: "https://hooks.example" + secretPath, Format: "teams"},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(opts)
			if err == nil {
				t.Fatalf("New: got nil error")
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "secretTOKEN") {
				t.Errorf("error leaks the URL: %v", err)
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		rc := newReceiver(t, statuses(500, 500, 500))
		ctx, cancel := context.WithCancel(context.Background())
		n, err := New(Options{URL: rc.url(), Sleep: func(ctx context.Context, _ time.Duration) error {
			cancel() // shutdown arrives while waiting to retry
			return ctx.Err()
		}})
		if err != nil {
			t.Fatal(err)
		}
		err = n.Send(ctx, sampleEvent())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send: got %v, want context.Canceled", err)
		}
		if rc.calls() != 1 {
			t.Errorf("calls: got %d, want 1 (no retry after cancel)", rc.calls())
		}
	})
	t.Run("before sending", func(t *testing.T) {
		rc := newReceiver(t, statuses())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newNotifier(t, rc.url(), "", &sleeps{}, nil).Send(ctx, sampleEvent())
		if !errors.Is(err, context.Canceled) || rc.calls() != 0 {
			t.Errorf("Send: got %v after %d calls, want context.Canceled and no call", err, rc.calls())
		}
	})
	t.Run("default sleep returns at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := sleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("sleepContext: got %v, want context.Canceled", err)
		}
	})
}

func TestNilNotifier(t *testing.T) {
	var n *Notifier
	if err := n.Send(context.Background(), sampleEvent()); err != nil {
		t.Errorf("nil Notifier Send: got %v, want nil", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/XXXX": "https://hooks.slack.com/…",
		"http://user:pw@127.0.0.1:8080/x?token=y":     "http://127.0.0.1:8080/…",
		"https://hooks.example":                       "https://hooks.example/…",
		"not a url":                                   "(invalid url)",
		"":                                            "(invalid url)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestCandidateDigest(t *testing.T) {
	a := CandidateDigest([]string{"3", "1", "2"})
	if b := CandidateDigest([]string{"1", "2", "3", "2"}); a != b {
		t.Errorf("order or duplicates changed the digest: %s vs %s", a, b)
	}
	if c := CandidateDigest([]string{"1", "2"}); c == a {
		t.Errorf("different sets share a digest")
	}
	if x, y := CandidateDigest([]string{"1\n2"}), CandidateDigest([]string{"1", "2"}); x == y {
		t.Errorf("ambiguous join: %q and [1 2] share a digest", "1\n2")
	}
	if e1, e2 := CandidateDigest(nil), CandidateDigest([]string{}); e1 != e2 || len(e1) != 64 {
		t.Errorf("empty set digest: %q vs %q", e1, e2)
	}
}
