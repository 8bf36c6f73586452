package zen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// throttleRig is a simulator and a client whose every wait advances one fake clock instead of
// sleeping; the client logs JSON into logs and counts the throttled answers it observed.
type throttleRig struct {
	sim       *zensim.Server
	client    *zen.Client
	clock     *clocktest.Clock
	logs      *bytes.Buffer // slog's handler serialises its writes
	mu        sync.Mutex
	throttled int // attempts the client's observer saw answered REQUEST_LIMIT_EXCEEDED
}

// newThrottleRig starts the simulator (its token bucket on rateClock, or on the shared clock when
// rateClock is nil) with a one-instance fleet and a client at rps requests per second.
func newThrottleRig(t *testing.T, rps float64, rateClock func() time.Time) *throttleRig {
	t.Helper()
	r := &throttleRig{clock: clocktest.New(time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)), logs: new(bytes.Buffer)}
	if rateClock == nil {
		rateClock = r.clock.Now
	}
	r.sim = zensim.New(zensim.Options{Keys: map[string]string{"AK": "secret"}, Now: r.clock.Now, RateClock: rateClock})
	if err := r.sim.Load(zensim.Fleet{Instances: []zensim.SimInstance{{ID: "100000000000000001"}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.sim)
	t.Cleanup(srv.Close)
	c, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey("AK", "secret"), zen.WithClock(r.clock.Now),
		zen.WithRequestsPerSecond(rps),
		zen.WithSleep(func(ctx context.Context, d time.Duration) error { r.clock.Advance(d); return ctx.Err() }),
		zen.WithLogger(slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		zen.WithObserver(func(_, code string, _ time.Duration) {
			if code == zen.CodeRequestLimitExceeded {
				r.mu.Lock()
				r.throttled++
				r.mu.Unlock()
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	zen.SetJitter(c, func(time.Duration) time.Duration { return 0 })
	zen.SetLimiterClock(c, r.clock.Now)
	r.client = c
	return r
}

// observedThrottles is how many throttled attempts the client's observer (the metrics) saw.
func (r *throttleRig) observedThrottles() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.throttled
}

// refused counts the calls the simulator answered 429 REQUEST_LIMIT_EXCEEDED, from call from on.
func refused(calls []zensim.Call) int {
	n := 0
	for _, c := range calls {
		if c.HTTPStatus == http.StatusTooManyRequests && c.Code == zen.CodeRequestLimitExceeded {
			n++
		}
	}
	return n
}

// logRecords returns the JSON log records whose message is msg.
func logRecords(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// TestThrottleSlowsThenRecovers: against an account limit of 4 requests per second, a client
// configured for 10 is throttled, every call still succeeds, and the client comes down to about
// the account's rate (it does not keep retrying at 10); once the limit is lifted it climbs back to
// 10 and no higher, calls spaced 100 ms apart on the simulator's clock. The observer (the
// metrics) counts every throttled answer the simulator gave, and the logs say the rate went down
// and came back, in snake_case attributes.
func TestThrottleSlowsThenRecovers(t *testing.T) {
	r := newThrottleRig(t, 10, nil)
	r.sim.SetRateLimit(4, 1)
	ctx := context.Background()
	for i := range 40 {
		if err := r.client.Ping(ctx); err != nil {
			t.Fatalf("call %d at the account's limit failed: %v", i+1, err)
		}
	}
	calls := r.sim.Calls()
	t.Logf("against 4/s: %d calls, %d refused, rate now %v/s", len(calls), refused(calls), zen.RequestRate(r.client))
	if n := refused(calls); n == 0 || n > 10 {
		t.Errorf("the simulator refused %d of %d calls, want some but at most 10 (one in four of the 40 calls)", n, len(calls))
	}
	if got := zen.RequestRate(r.client); got > 5 {
		t.Errorf("after 40 calls against a limit of 4/s the client runs at %v/s, want at most 5", got)
	}
	if got, want := r.observedThrottles(), refused(calls); got != want {
		t.Errorf("the observer saw %d throttled attempts, the simulator refused %d", got, want)
	}
	lowered := logRecords(t, r.logs.String(), "zenlayer api throttles: lowering the request rate")
	if len(lowered) == 0 {
		t.Fatalf("no log record says the rate was lowered:\n%s", r.logs)
	}
	for _, rec := range lowered {
		if rec["level"] != "WARN" || rec["requests_per_second"] == nil || rec["configured_requests_per_second"] != 10.0 {
			t.Errorf("log record %v: want level WARN with requests_per_second and configured_requests_per_second 10", rec)
		}
	}

	r.sim.SetRateLimit(0, 0) // the account's limit is lifted
	before := len(calls)
	for i := range 30 {
		if err := r.client.Ping(ctx); err != nil {
			t.Fatalf("call %d without a limit failed: %v", i+1, err)
		}
	}
	if got := zen.RequestRate(r.client); got != 10 {
		t.Errorf("after 30 calls without throttling the client runs at %v/s, want the configured 10", got)
	}
	calls = r.sim.Calls()
	if n := refused(calls[before:]); n != 0 {
		t.Errorf("%d calls refused after the limit was lifted", n)
	}
	last := calls[len(calls)-5:]
	for i := 1; i < len(last); i++ {
		if gap := last[i].Time.Sub(last[i-1].Time); gap != 100*time.Millisecond {
			t.Errorf("calls %d and %d are %v apart on the simulator's clock, want 100ms (10/s, not more)", last[i-1].Seq, last[i].Seq, gap)
		}
	}
	if len(logRecords(t, r.logs.String(), "zenlayer request rate recovered")) == 0 {
		t.Errorf("no log record says the rate recovered:\n%s", r.logs)
	}
}

// TestPersistentThrottleFailsTyped: an account that refuses every call (its token bucket never
// refills) fails a listing after the retry policy's attempts, with a typed *zen.ExhaustedError that
// says every attempt was throttled, instead of retrying forever; the simulator sees exactly those
// attempts and the waits add up to the SDK schedule (1 + 2 + 4 s), not more.
func TestPersistentThrottleFailsTyped(t *testing.T) {
	frozen := clocktest.New(time.Unix(1_000_000, 0))
	r := newThrottleRig(t, 10, frozen.Now)
	r.sim.SetRateLimit(10, 1)
	ctx := context.Background()
	if _, err := r.client.ListInstances(ctx, zen.Filter{}); err != nil { // takes the bucket's only token
		t.Fatalf("first listing: %v", err)
	}
	start := r.clock.Now()
	_, err := r.client.ListInstances(ctx, zen.Filter{})
	if err == nil {
		t.Fatal("listing against an account that throttles every call succeeded")
	}
	var ee *zen.ExhaustedError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v (%T), want a *zen.ExhaustedError", err, err)
	}
	if ee.Attempts != zen.DefaultMaxAttempts || ee.Throttled != ee.Attempts || ee.Action != "DescribeInstances" {
		t.Errorf("ExhaustedError = %+v, want %d attempts, all throttled, of DescribeInstances", ee, zen.DefaultMaxAttempts)
	}
	if !zen.IsRateLimited(err) || !strings.Contains(err.Error(), "throttled") || zen.RequestID(err) == "" {
		t.Errorf("err = %q: want it rate-limited, saying throttled, with the API's request ID", err)
	}
	if n := len(r.sim.Calls()); n != 1+zen.DefaultMaxAttempts {
		t.Errorf("the simulator saw %d calls, want the first listing's and %d attempts", n, zen.DefaultMaxAttempts)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Error("listing failed", "error", ee)
	for _, want := range []string{`"attempts":4`, `"throttled":4`, `"action":"DescribeInstances"`, `"code":"REQUEST_LIMIT_EXCEEDED"`} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("logged error %s: want %s", logged.String(), want)
		}
	}
	if waited := r.clock.Now().Sub(start); waited < 7*time.Second || waited > 9*time.Second {
		t.Errorf("the failing listing waited %v, want the SDK schedule 1+2+4 s plus the limiter's spacing", waited)
	}
}
