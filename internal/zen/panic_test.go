package zen

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// panicOnPage is a transport that panics when asked for page num: a bug in an HTTP layer (a
// proxy transport, an instrumented client) that runs on a page worker's goroutine.
type panicOnPage struct {
	num  int
	next http.RoundTripper
}

func (p panicOnPage) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := r.GetBody()
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(b), `"pageNum":`+strconv.Itoa(p.num)) {
		panic("transport bug")
	}
	return p.next.RoundTrip(r)
}

// TestListInstancesPageWorkerPanic: a panic while a page worker fetches a page is an error of
// the listing that names the page worker; it must not crash the process (Go's exit 2).
func TestListInstancesPageWorkerPanic(t *testing.T) {
	f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{"/": fleet(2500, "HKG-A", "")}, nil))
	hc := &http.Client{Transport: panicOnPage{num: 2, next: http.DefaultTransport}}
	c := newTestClient(t, f, WithHTTPClient(hc), WithPageConcurrency(2))
	got, err := c.ListInstances(context.Background(), Filter{})
	var pe *safego.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("ListInstances = %d instances, %v; want a *safego.PanicError", len(got), err)
	}
	if got != nil {
		t.Errorf("ListInstances returned %d instances with the error, want none", len(got))
	}
	if !strings.Contains(err.Error(), "zen page worker") || !strings.Contains(err.Error(), "transport bug") {
		t.Errorf("error %q does not name the page worker and the panic", err)
	}
}
