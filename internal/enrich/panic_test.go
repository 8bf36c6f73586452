package enrich

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// panicAPI panics for one instance (a bug in the traffic client) and answers the others.
type panicAPI struct{ id string }

func (p panicAPI) DescribeInstanceTraffic(ctx context.Context, id string, start, end time.Time) (zen.Traffic, error) {
	if id == p.id {
		panic("traffic client bug")
	}
	return zen.Traffic{Points: flatPoints(start, end, 1, 1)}, nil
}

// TestEnrichWorkerPanic: a panic in a fetch worker is Enrich's error, a *safego.PanicError that
// names the worker, with no traffic at all; it never crashes the process (Go's exit 2) or hangs
// the feeder, whatever the concurrency.
func TestEnrichWorkerPanic(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) {
			var in []zen.Instance
			for i := range 20 {
				in = append(in, inst(fmt.Sprintf("i%02d", i), zen.StatusRunning, 30*day))
			}
			got, _, err := New(Options{API: panicAPI{id: "i03"}, Concurrency: conc}).Enrich(context.Background(), t0, nil, in)
			var pe *safego.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("Enrich error = %v, want a *safego.PanicError", err)
			}
			if !strings.Contains(err.Error(), "traffic fetch of instance i03") || !strings.Contains(err.Error(), "traffic client bug") {
				t.Errorf("error %q does not name the instance and the panic", err)
			}
			if got != nil {
				t.Errorf("Enrich returned traffic for %d instances with a panic, want none", len(got))
			}
		})
	}
}
