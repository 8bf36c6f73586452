package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/reaper-bmc/reaper/internal/inert"
)

// apiProbeRetry is how long the daemon waits before it checks the API again after a failed check
// (only until the check succeeds once).
const apiProbeRetry = 30 * time.Second

// pinger is the API call the readiness check makes.
type pinger interface {
	Ping(ctx context.Context) error
}

// apiProbe is what /readyz says before the first cycle has finished: the config is loaded (the
// daemon runs) and one light API call (DescribeInstances, pageSize 1) succeeded.
type apiProbe struct {
	mu   sync.Mutex
	done bool   // a check succeeded
	last string // why the last check failed; empty before the first answer
}

// run checks the API until a check succeeds or ctx ends. Each check is bounded by timeout.
func (p *apiProbe) run(ctx context.Context, client func() pinger, timeout time.Duration, log *slog.Logger) {
	for {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := client().Ping(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		p.done = err == nil
		if err != nil {
			p.last = inert.Text(err.Error())
		}
		p.mu.Unlock()
		if err == nil {
			log.Info("api reachable")
			return
		}
		log.Warn("api check failed", "error", err, "retry_in_seconds", apiProbeRetry.Seconds())
		select {
		case <-ctx.Done():
			return
		case <-time.After(apiProbeRetry):
		}
	}
}

// status is /readyz before any cycle has finished.
func (p *apiProbe) status() (bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.done:
		return true, "ready: config loaded and the API answered (DescribeInstances); no cycle has finished yet"
	case p.last != "":
		return false, "config loaded, but the API check failed: " + p.last
	}
	return false, "config loaded; checking the API"
}

// pinger returns the API client of the running config.
func (d *daemon) pinger() pinger {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rt.client
}
