package zen_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// pipeNet is an in-memory network for synctest: the simulator serves real HTTP on one end of
// net.Pipe connections, the client dials the other end, and every client write first spends a
// random latency of up to maxLatency, so requests sent evenly arrive unevenly, as on a real
// network.
type pipeNet struct {
	conns      chan net.Conn
	done       chan struct{}
	once       sync.Once
	mu         sync.Mutex
	rnd        *rand.Rand
	maxLatency time.Duration
}

func newPipeNet(seed uint64, maxLatency time.Duration) *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), done: make(chan struct{}),
		rnd: rand.New(rand.NewPCG(seed, seed)), maxLatency: maxLatency}
}

func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) Close() error   { p.once.Do(func() { close(p.done) }); return nil }
func (p *pipeNet) Addr() net.Addr { return pipeAddr{} }

func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return &slowConn{Conn: client, net: p}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) latency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Duration(p.rnd.Int64N(int64(p.maxLatency) + 1))
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

type slowConn struct {
	net.Conn
	net *pipeNet
}

func (c *slowConn) Write(b []byte) (int, error) {
	time.Sleep(c.net.latency())
	return c.Conn.Write(b)
}

// TestListingAtTheAccountRateLimitCompletes: with the account limit (10 requests per second,
// burst 1) equal to the client's requests_per_second, a 30-page listing (30,000 instances, 4
// pages in flight) over a network whose latency varies by up to 100 ms completes without error,
// with and without Retry-After on the 429s; the simulator refuses at most 2 calls per 5 pages,
// and every other call succeeds. The backoff jitter always picks its shortest wait, the worst
// case it allows (before the fix: no wait at all, and with seed 2 a page failed after 4 attempts).
// Time is synctest's virtual clock: every wait is real code waiting, none takes wall time.
func TestListingAtTheAccountRateLimitCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("lists 30,000 instances")
	}
	var fleet zensim.Fleet
	for i := range 30_000 {
		fleet.Instances = append(fleet.Instances, zensim.FleetInstance{ID: fmt.Sprintf("1%017d", i),
			CreatedAt: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	for i := range 4 {
		seed, retryAfter := uint64(2+i/2), i%2 == 1
		synctest.Test(t, func(t *testing.T) {
			const rps = 10
			sim := zensim.New(zensim.Options{Keys: map[string]string{"AK": "secret"}, RetryAfter: retryAfter})
			if err := sim.Load(fleet); err != nil {
				t.Fatal(err)
			}
			sim.SetRateLimit(rps, 1)
			pn := newPipeNet(seed, 100*time.Millisecond)
			srv := &http.Server{Handler: sim}
			go srv.Serve(pn)
			defer srv.Close()
			tr := &http.Transport{DialContext: pn.dial}
			defer tr.CloseIdleConnections()
			c, err := zen.New(zen.WithEndpoint("http://sim.test"), zen.WithAccessKey("AK", "secret"),
				zen.WithHTTPClient(&http.Client{Transport: tr}), zen.WithRequestsPerSecond(rps))
			if err != nil {
				t.Fatal(err)
			}
			zen.SetJitter(c, func(time.Duration) time.Duration { return 0 }) // the shortest wait jitter may pick
			start := time.Now()
			list, err := c.ListInstances(context.Background(), zen.Filter{})
			if err != nil {
				t.Fatalf("seed %d retry-after %v: listing at the account's rate limit failed after %v: %v",
					seed, retryAfter, time.Since(start), err)
			}
			if len(list) != len(fleet.Instances) {
				t.Fatalf("seed %d retry-after %v: listed %d instances, want %d", seed, retryAfter, len(list), len(fleet.Instances))
			}
			throttled := 0
			for _, call := range sim.Calls() {
				if call.HTTPStatus == http.StatusTooManyRequests {
					throttled++
				}
			}
			t.Logf("seed %d retry-after %v: %d calls, %d throttled, %v of virtual time",
				seed, retryAfter, len(sim.Calls()), throttled, time.Since(start))
			// Measured over 24 seeds: 6 to 11 refusals for the 30 pages.
			if pages := len(fleet.Instances) / 1000; throttled > pages*2/5 || len(sim.Calls()) != pages+throttled {
				t.Errorf("seed %d retry-after %v: %d calls, %d refused for %d pages: want at most %d refused and no other call",
					seed, retryAfter, len(sim.Calls()), throttled, pages, pages*2/5)
			}
		})
	}
}
