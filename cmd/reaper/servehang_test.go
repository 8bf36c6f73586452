package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/scheduler"
	"github.com/reaper-bmc/reaper/internal/sdnotify"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// waitingClock never fires; it says when the runner first waits on it.
type waitingClock struct {
	once    sync.Once
	waiting chan struct{}
}

func (c *waitingClock) Now() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func (c *waitingClock) After(time.Duration) <-chan time.Time {
	c.once.Do(func() { close(c.waiting) })
	return make(chan time.Time)
}

// TestServeExitsWhenTheSchedulerFails: when the scheduler returns an error of its own (here: it is
// already running), the daemon stops its goroutines (the API probe retrying a dead endpoint, the
// reload loop) and exits 1, instead of waiting for them forever. The 30 s bound only catches a
// hang; a correct serve returns at once.
func TestServeExitsWhenTheSchedulerFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	client, err := zen.New(zen.WithEndpoint(dead), zen.WithToken("t"), zen.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	sched, err := scheduler.Parse("@every 1h", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	clock := &waitingClock{waiting: make(chan struct{})}
	runner := scheduler.New(scheduler.Options{Schedule: sched, Clock: clock})
	busy, stopBusy := context.WithCancel(context.Background())
	defer stopBusy()
	go func() { _ = runner.Run(busy, func(context.Context) error { return nil }) }()
	<-clock.waiting // the runner is running: another Run fails with ErrAlreadyRunning
	cfg := &config.Config{Schedule: "@every 1h"}
	cfg.Zenlayer.Timeout = config.Duration(time.Second)
	env := Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	d := &daemon{env: env, log: slog.New(slog.DiscardHandler), metrics: metrics.New(), sd: sdnotify.New(""),
		runner: runner, rt: &loaded{cfg: cfg, client: client}}
	done := make(chan int, 1)
	go func() { done <- d.serve(context.Background(), cfg) }()
	select {
	case code := <-done:
		if code != exitFailure {
			t.Errorf("exit %d, want %d", code, exitFailure)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after the scheduler failed: it waits for goroutines it never stopped")
	}
}
