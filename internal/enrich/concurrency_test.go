package enrich

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// gateAPI holds every call until the test releases it and records how many were in flight.
type gateAPI struct {
	release chan struct{}

	mu       sync.Mutex
	inflight int
	maxSeen  int
	perID    map[string]int
	overlap  []string // instances with two calls in flight at once
	calls    int
}

func (g *gateAPI) DescribeInstanceTraffic(ctx context.Context, id string, start, end time.Time) (zen.Traffic, error) {
	g.mu.Lock()
	g.calls++
	g.inflight++
	g.maxSeen = max(g.maxSeen, g.inflight)
	g.perID[id]++
	if g.perID[id] > 1 {
		g.overlap = append(g.overlap, id)
	}
	g.mu.Unlock()

	<-g.release

	g.mu.Lock()
	g.inflight--
	g.perID[id]--
	g.mu.Unlock()
	return zen.Traffic{Points: flatPoints(start, end, 1, 1)}, nil
}

func (g *gateAPI) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inflight
}

// TestEnrichConcurrencyBound releases the calls one at a time; each time every goroutine has
// settled (synctest.Wait), exactly Concurrency calls are waiting, never more, and never two for
// one instance.
func TestEnrichConcurrencyBound(t *testing.T) {
	const instances, limit = 20, 3
	synctest.Test(t, func(t *testing.T) {
		g := &gateAPI{release: make(chan struct{}), perID: map[string]int{}}
		var in []zen.Instance
		for i := range instances {
			in = append(in, inst(fmt.Sprintf("i%02d", i), zen.StatusRunning, 30*day))
		}
		type outcome struct {
			n, calls int
			err      error
		}
		done := make(chan outcome, 1)
		go func() {
			got, calls, err := New(Options{API: g, Concurrency: limit}).Enrich(context.Background(), t0, nil, in)
			done <- outcome{len(got), calls, err}
		}()

		for released := 0; released < instances*3; released++ {
			synctest.Wait()
			// Until the last few instances, limit of them have a call waiting.
			want := min(limit, instances-released/3)
			if got := g.inFlight(); got < want || got > limit {
				t.Errorf("after %d answers: %d calls in flight, want %d", released, got, want)
				close(g.release) // let the rest run, to end the test
				break
			}
			g.release <- struct{}{}
		}
		o := <-done

		if o.err != nil || o.n != instances || o.calls != instances*3 {
			t.Fatalf("Enrich: got %d results, %d calls, err %v; want %d, %d, nil", o.n, o.calls, o.err, instances, instances*3)
		}
		if g.maxSeen != limit {
			t.Errorf("max calls in flight: got %d, want %d", g.maxSeen, limit)
		}
		if len(g.overlap) > 0 {
			t.Errorf("instances with concurrent calls: %v; want calls sequential per instance", g.overlap)
		}
		if g.calls != instances*3 {
			t.Errorf("calls seen: got %d, want %d", g.calls, instances*3)
		}
	})
}
