package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// logRecord is one captured log line.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

// recorder is a slog.Handler that keeps every record and announces each
// "next cycle" on waits.
type recorder struct {
	mu      sync.Mutex
	records []logRecord
	waits   chan time.Time
}

func newRecorder() *recorder { return &recorder{waits: make(chan time.Time, 1000)} }

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *recorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recorder) WithGroup(string) slog.Handler            { return h }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]slog.Value{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.Resolve()
		return true
	})
	h.mu.Lock()
	h.records = append(h.records, rec)
	h.mu.Unlock()
	if r.Message == "next cycle" {
		h.waits <- rec.attrs["next_run"].Time()
	}
	return nil
}

// find returns the records with message msg.
func (h *recorder) find(msg string) []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logRecord
	for _, r := range h.records {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// harness runs a Runner on a FakeClock in the background.
type harness struct {
	t      *testing.T
	clock  *FakeClock
	log    *recorder
	runner *Runner
	cancel context.CancelFunc
	done   chan error
}

// testTimeout bounds every wait in these tests, so a bug fails a test
// instead of hanging it. No test waits for it to pass.
const testTimeout = 10 * time.Second

func newHarness(t *testing.T, t0 time.Time, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, clock: NewFakeClock(t0), log: newRecorder()}
	opts.Clock = h.clock
	opts.Logger = slog.New(h.log)
	h.runner = New(opts)
	return h
}

// start runs job in the background; the runner is stopped at cleanup.
func (h *harness) start(job func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.runner.Run(ctx, job) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(testTimeout):
			h.t.Error("runner did not stop")
		}
	})
}

// awaitWait waits until the runner waits for its next cycle and returns
// when that cycle will start.
func (h *harness) awaitWait() time.Time {
	h.t.Helper()
	var next time.Time
	select {
	case next = <-h.log.waits:
	case <-time.After(testTimeout):
		h.t.Fatal("runner did not start waiting")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := h.clock.BlockUntil(ctx, 1); err != nil {
		h.t.Fatalf("runner did not arm its timer: %v", err)
	}
	return next
}

// stop cancels Run and returns its result.
func (h *harness) stop() error {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(testTimeout):
		h.t.Fatal("Run did not return after cancel")
		return nil
	}
}

// receive returns the next value on ch or fails the test.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
