package zensim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestFaultCount(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.sim.SetFault("DescribeInstances", Fault{Count: 2})
	h.fail("DescribeInstances", map[string]any{}, 500, "INTERNAL_SERVER_ERROR")
	h.fail("DescribeInstances", map[string]any{}, 500, "INTERNAL_SERVER_ERROR")
	h.describe(map[string]any{})
	var faults []string
	for _, c := range h.sim.Calls() {
		faults = append(faults, c.Fault)
	}
	if strings.Join(faults, ",") != "error,error," {
		t.Fatalf("recorded faults %q, want error,error,(none)", faults)
	}
}

func TestFaultStatusAndCodeDefaults(t *testing.T) {
	tests := []struct {
		fault      Fault
		wantStatus int
		wantCode   string
	}{
		{Fault{Count: 1}, 500, "INTERNAL_SERVER_ERROR"},
		{Fault{Count: 1, HTTPStatus: 503}, 503, "SERVICE_TEMPORARY_UNAVAILABLE"},
		{Fault{Count: 1, HTTPStatus: 429}, 429, "REQUEST_LIMIT_EXCEEDED"},
		{Fault{Count: 1, Code: "REQUEST_TIMED_OUT"}, 500, "REQUEST_TIMED_OUT"},
		{Fault{Count: 1, HTTPStatus: 403, Code: "OPERATION_DENIED_POSTPAID_PROMISE"}, 403, "OPERATION_DENIED_POSTPAID_PROMISE"},
		{Fault{}, 500, "INTERNAL_SERVER_ERROR"}, // no count, no rate: every call
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			h := newHarness(t)
			h.sim.SetFault("", tt.fault)
			h.fail("DescribeInstances", map[string]any{}, tt.wantStatus, tt.wantCode)
		})
	}
}

func TestFaultScopeAndPrecedence(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.sim.SetFault("TerminateInstance", Fault{HTTPStatus: 503})
	h.describe(map[string]any{}) // other actions unaffected
	h.fail("TerminateInstance", terminate("1"), 503, "SERVICE_TEMPORARY_UNAVAILABLE")
	h.sim.SetFault("", Fault{HTTPStatus: 500})
	h.fail("TerminateInstance", terminate("1"), 503, "SERVICE_TEMPORARY_UNAVAILABLE") // own fault wins
	h.fail("DescribeInstances", map[string]any{}, 500, "INTERNAL_SERVER_ERROR")
	h.sim.ClearFaults()
	h.describe(map[string]any{})
	h.ok("TerminateInstance", terminate("1"), nil)
}

// TestFaultMatch: a fault with Match fires only on the calls whose body it accepts, counts only
// those for Skip and Count, and a call it rejects falls to the fault for every action.
func TestFaultMatch(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2"))
	only2 := func(body []byte) bool { return strings.Contains(string(body), `"2"`) }
	h.sim.SetFault("TerminateInstance", Fault{HTTPStatus: 503, Skip: 1, Count: 1, Match: only2})
	h.ok("TerminateInstance", terminate("2"), nil)                                    // skipped: the first match
	h.fail("TerminateInstance", terminate("2"), 503, "SERVICE_TEMPORARY_UNAVAILABLE") // the second match fires
	h.sim.SetFault("TerminateInstance", Fault{HTTPStatus: 503, Match: only2})
	h.sim.SetFault("", Fault{HTTPStatus: 500})
	h.fail("TerminateInstance", terminate("1"), 500, "INTERNAL_SERVER_ERROR") // rejected: every action's fault
	h.sim.SetFault("", Fault{HTTPStatus: 500, Match: only2})
	h.ok("TerminateInstance", terminate("1"), nil) // rejected by both: served
}

func TestFaultNotExecutedLeavesStateAlone(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.sim.SetFault("TerminateInstance", Fault{Count: 1})
	h.fail("TerminateInstance", terminate("1"), 500, "INTERNAL_SERVER_ERROR")
	if got, _ := h.sim.Instance("1"); got.Status != zen.StatusRunning {
		t.Fatalf("status %s after a faulted terminate, want RUNNING", got.Status)
	}
}

func TestFaultExecutedTakesEffect(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.sim.SetFault("TerminateInstance", Fault{Count: 1, HTTPStatus: 504, Code: "REQUEST_TIMED_OUT", Executed: true})
	h.fail("TerminateInstance", terminate("1"), 504, "REQUEST_TIMED_OUT")
	if got, _ := h.sim.Instance("1"); got.Status != zen.StatusRecycle {
		t.Fatalf("status %s, want RECYCLE (the action ran, its answer was lost)", got.Status)
	}
	h.fail("TerminateInstance", terminate("1"), 403, "OPERATION_DENIED_INSTANCE_RECYCLED")
}

func TestFaultErrorRateSeeded(t *testing.T) {
	run := func(seed int64) string {
		h := newHarness(t, func(o *Options) { o.Seed = seed })
		h.sim.SetFault("", Fault{ErrorRate: 0.5})
		var b strings.Builder
		for range 60 {
			status, _ := h.call("DescribeInstances", map[string]any{})
			if status == http.StatusOK {
				b.WriteByte('.')
			} else {
				b.WriteByte('x')
			}
		}
		return b.String()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatalf("different seeds, same faults: %s", a)
	}
	if n := strings.Count(a, "x"); n < 15 || n > 45 {
		t.Fatalf("%d of 60 faulted at rate 0.5: %s", n, a)
	}
}

func TestFaultHTML(t *testing.T) {
	h := newHarness(t)
	h.sim.SetFault("DescribeInstances", Fault{Kind: FaultHTML, Count: 1})
	req := h.newAPIRequest("DescribeInstances", []byte(`{}`))
	sign(req, []byte(`{}`), testKeyID, testSecret, h.clock.Now())
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Content-Type") != "text/html" || !strings.HasPrefix(string(body), "<html>") {
		t.Fatalf("got %d %q %q, want a 502 HTML page", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if c := h.sim.Calls()[0]; c.HTTPStatus != 502 || c.Code != "" || c.Fault != "html" {
		t.Fatalf("recorded %+v", c)
	}
}

func TestFaultMalformedJSON(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2"))
	h.sim.SetFault("DescribeInstances", Fault{Kind: FaultMalformedJSON, Count: 1})
	status, raw := h.call("DescribeInstances", map[string]any{})
	var v any
	if status != http.StatusOK || json.Unmarshal(raw, &v) == nil || !strings.HasPrefix(string(raw), `{"requestId":"T`) {
		t.Fatalf("got %d %s, want 200 with truncated JSON", status, raw)
	}
}

func TestFaultReset(t *testing.T) {
	for _, executed := range []bool{false, true} {
		t.Run(map[bool]string{false: "not executed", true: "executed"}[executed], func(t *testing.T) {
			h := newHarness(t)
			h.load(inst("1"))
			h.sim.SetFault("TerminateInstance", Fault{Kind: FaultReset, Count: 1, Executed: executed})
			body := mustJSON(t, terminate("1"))
			req := h.newAPIRequest("TerminateInstance", body)
			sign(req, body, testKeyID, testSecret, h.clock.Now())
			resp, err := h.srv.Client().Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatal("request succeeded, want a broken connection")
			}
			got, _ := h.sim.Instance("1")
			if wantRecycled := executed; (got.Status == zen.StatusRecycle) != wantRecycled {
				t.Fatalf("status %s, executed %v", got.Status, executed)
			}
			if c := h.sim.Calls()[0]; c.HTTPStatus != 0 || c.Fault != "reset" {
				t.Fatalf("recorded %+v", c)
			}
		})
	}
}

func TestFaultResetWithoutHijacker(t *testing.T) {
	sim := New(Options{Tokens: []string{testToken}})
	sim.SetFault("", Fault{Kind: FaultReset})
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ZC-Action", "DescribeInstances")
	req.Header.Set("X-ZC-Version", Version2026)
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	declared, err := strconv.Atoi(rec.Header().Get("Content-Length"))
	if got := rec.Body.Len(); err != nil || got == 0 || got >= declared {
		t.Fatalf("body %d bytes, declared %q: want a short body", got, rec.Header().Get("Content-Length"))
	}
}

func TestFaultTotalCountDrift(t *testing.T) {
	h := newHarness(t)
	var fleet []SimInstance
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		fleet = append(fleet, inst(id))
	}
	h.load(fleet...)
	h.sim.SetFault("", Fault{Kind: FaultTotalCountDrift})
	h.ok("TerminateInstance", terminate("1"), nil) // other actions are not affected
	p1 := h.describe(map[string]any{"pageSize": 2, "pageNum": 1})
	p2 := h.describe(map[string]any{"pageSize": 2, "pageNum": 2})
	p3 := h.describe(map[string]any{"pageSize": 2, "pageNum": 3})
	if p1.TotalCount != 5 || p2.TotalCount != 6 || p3.TotalCount != 6 {
		t.Fatalf("totalCounts %d %d %d, want 5 6 6", p1.TotalCount, p2.TotalCount, p3.TotalCount)
	}
	if c := h.sim.Calls(); c[1].Fault != "" || c[2].Fault != "total_count_drift" {
		t.Fatalf("recorded faults %q %q", c[1].Fault, c[2].Fault)
	}
}

func TestFaultTotalCountDriftCountOnlyConsumedOnLaterPages(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2"), inst("3"))
	h.sim.SetFault("DescribeInstances", Fault{Kind: FaultTotalCountDrift, Count: 1})
	if d := h.describe(map[string]any{"pageSize": 1}); d.TotalCount != 3 {
		t.Fatalf("page 1 totalCount %d, want 3", d.TotalCount)
	}
	if d := h.describe(map[string]any{"pageSize": 1, "pageNum": 2}); d.TotalCount != 4 {
		t.Fatalf("page 2 totalCount %d, want 4", d.TotalCount)
	}
	if d := h.describe(map[string]any{"pageSize": 1, "pageNum": 3}); d.TotalCount != 3 {
		t.Fatalf("page 3 totalCount %d, want 3 (fault used up)", d.TotalCount)
	}
}

func TestFaultLatencyOnly(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.sim.SetFault("", Fault{Latency: 10 * time.Millisecond, Count: 1})
	h.describe(map[string]any{})
	if c := h.sim.Calls()[0]; c.HTTPStatus != 200 || c.Fault != "latency" {
		t.Fatalf("recorded %+v, want a 200 with latency", c)
	}
}

func TestFaultLatencyHonoursContext(t *testing.T) {
	sim := New(Options{Now: clocktest.New(t0).Now, Tokens: []string{testToken}})
	sim.SetFault("", Fault{Latency: time.Hour})
	handlerDone := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
		handlerDone <- struct{}{}
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+Path, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ZC-Action", "DescribeInstances")
	req.Header.Set("X-ZC-Version", Version2026)
	sim.OnCall(func(Call) { cancel() }) // the client gives up while the answer is delayed
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	select {
	case <-handlerDone:
	case <-time.After(30 * time.Second): // a guard against a hang, not a timing assertion
		t.Fatal("handler still sleeping after the client went away")
	}
}

func TestFaultNotTakenAcceptsAndChangesNothing(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PrepaidCancels = true })
	h.load(inst("1"), inst("2"), inst("3", func(s *SimInstance) { s.ChargeType = zen.ChargePrepaid; s.AutoRenew = true }),
		inst("4", withStatus(zen.StatusInstalling)))
	h.sim.SetFault("TerminateInstance", Fault{Kind: FaultNotTaken})
	h.ok("TerminateInstance", terminate("1"), nil)
	h.ok("TerminateInstance", terminate("1"), nil) // accepted again, still not taken
	h.ok("TerminateInstance", terminate("3"), nil)
	h.fail("TerminateInstance", terminate("4"), 403, "OPERATION_DENIED_INSTANCE_STATUS_INSTALLING") // checks still apply
	h.fail("TerminateInstance", terminate("9"), 404, "INVALID_INSTANCE_NOT_FOUND")
	if got, _ := h.sim.Instance("1"); got.Status != zen.StatusRunning {
		t.Errorf("status %s after a not-taken terminate, want RUNNING", got.Status)
	}
	if got, _ := h.sim.Instance("3"); !got.AutoRenew || got.SubscriptionCancelled {
		t.Errorf("prepaid instance changed by a not-taken terminate: auto_renew %v, cancelled %v", got.AutoRenew, got.SubscriptionCancelled)
	}
	var faults []string
	for _, c := range h.sim.TerminateCalls() {
		faults = append(faults, c.Fault)
	}
	if got := strings.Join(faults, ","); got != "not_taken,not_taken,not_taken,not_taken,not_taken" {
		t.Errorf("recorded faults %q, want not_taken on every call", got)
	}
	h.sim.ClearFaults()
	h.ok("TerminateInstance", terminate("2"), nil)
	if got, _ := h.sim.Instance("2"); got.Status != zen.StatusRecycle {
		t.Errorf("status %s after the fault cleared, want RECYCLE", got.Status)
	}
}

func TestFaultNotTakenCount(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2"))
	h.sim.SetFault("TerminateInstance", Fault{Kind: FaultNotTaken, Count: 1})
	h.ok("TerminateInstance", terminate("1"), nil)
	h.ok("TerminateInstance", terminate("2"), nil)
	one, _ := h.sim.Instance("1")
	two, _ := h.sim.Instance("2")
	if one.Status != zen.StatusRunning || two.Status != zen.StatusRecycle {
		t.Fatalf("statuses %s, %s; want RUNNING (not taken), RECYCLE (taken)", one.Status, two.Status)
	}
}
