package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// panickingTraffic is a traffic API with a bug: it panics for every instance.
type panickingTraffic struct{}

func (panickingTraffic) DescribeInstanceTraffic(context.Context, string, time.Time, time.Time) (zen.Traffic, error) {
	panic("traffic client bug")
}

// TestEnrichmentPanicAbortsTheCycle: missing traffic costs only the data, but a panic in a
// traffic worker is an internal error: the cycle aborts with no action and names the worker.
func TestEnrichmentPanicAbortsTheCycle(t *testing.T) {
	h := newHarness(t, fleet(3), nil)
	h.rec.opts.Enricher = enrich.New(enrich.Options{API: panickingTraffic{}, Concurrency: 2})
	res, err := h.rec.Run(context.Background(), Cycle{RunID: "run-1", Command: "run"})
	var pe *safego.PanicError
	if res.Status != StatusAborted || !errors.As(err, &pe) {
		t.Fatalf("status %s, error %v; want aborted with a *safego.PanicError", res.Status, err)
	}
	if !strings.Contains(err.Error(), "traffic fetch of instance") {
		t.Errorf("error %q does not say where the panic happened", err)
	}
	if len(h.api.calls()) != 0 {
		t.Fatalf("TerminateInstance calls %v, want none", h.api.calls())
	}
}
