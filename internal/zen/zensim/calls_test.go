package zensim

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestCallRecording(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2", withStatus(zen.StatusRecycle)))
	h.describe(map[string]any{"instanceIds": []string{"1", "2"}})
	h.clock.Advance(time.Minute)
	h.ok("TerminateInstance", terminate("1"), nil)
	h.fail("TerminateInstance", terminate("2"), http.StatusForbidden, "OPERATION_DENIED_INSTANCE_RECYCLED")
	status, _ := h.do(h.newAPIRequest("DescribeInstances", []byte(`{"instanceIds":["2"]}`))) // unsigned
	if status != http.StatusUnauthorized {
		t.Fatalf("unsigned call: %d, want 401", status)
	}

	type row struct {
		Seq     int
		Time    time.Time
		Action  string
		Body    string
		IDs     []string
		Status  int
		Code    string
		Auth    string
		ReqIDOK bool
	}
	var got []row
	for _, c := range h.sim.Calls() {
		got = append(got, row{c.Seq, c.Time, c.Action, string(c.Body), c.InstanceIDs, c.HTTPStatus, c.Code, c.Auth, requestIDPattern.MatchString(c.RequestID)})
	}
	t1 := t0.Add(time.Minute)
	want := []row{
		{1, t0, "DescribeInstances", `{"instanceIds":["1","2"]}`, []string{"1", "2"}, 200, "", "hmac", true},
		{2, t1, "TerminateInstance", `{"instanceId":"1"}`, []string{"1"}, 200, "", "hmac", true},
		{3, t1, "TerminateInstance", `{"instanceId":"2"}`, []string{"2"}, 403, "OPERATION_DENIED_INSTANCE_RECYCLED", "hmac", true},
		{4, t1, "DescribeInstances", `{"instanceIds":["2"]}`, []string{"2"}, 401, "AUTHFAILURE_SIGNATURE_FAILURE", "none", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("calls (-want +got):\n%s", diff)
	}
	if tc := h.sim.TerminateCalls(); len(tc) != 2 || tc[0].Seq != 2 || tc[1].Seq != 3 {
		t.Fatalf("TerminateCalls %+v, want seq 2 and 3", tc)
	}

	h.sim.ResetCalls()
	if n := len(h.sim.Calls()); n != 0 {
		t.Fatalf("%d calls after reset", n)
	}
	h.describe(map[string]any{})
	if c := h.sim.Calls(); len(c) != 1 || c[0].Seq != 5 {
		t.Fatalf("after reset: %+v, want one call with seq 5", c)
	}
}

func TestCallsAreCopies(t *testing.T) {
	h := newHarness(t)
	h.describe(map[string]any{})
	c := h.sim.Calls()
	c[0].Body[0] = 'X'
	if h.sim.Calls()[0].Body[0] != '{' {
		t.Fatal("Calls shares memory with the recorder")
	}
}

func TestMaxCalls(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxCalls = 2 })
	for range 5 {
		h.describe(map[string]any{})
	}
	c := h.sim.Calls()
	if len(c) != 2 || c[0].Seq != 4 || c[1].Seq != 5 {
		t.Fatalf("kept %+v, want seq 4 and 5", c)
	}
}

func TestOnCallMutatesBetweenCalls(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2"))
	// After the first describe, instance 1 starts reinstalling and 2 disappears: the race the
	// compare-and-act step has to survive.
	h.sim.OnCall(func(c Call) {
		if c.Seq == 1 {
			h.sim.Mutate("1", func(s *SimInstance) { s.Status = zen.StatusInstalling })
			h.sim.Remove("2")
		}
	})
	if d := h.describe(map[string]any{}); d.TotalCount != 2 {
		t.Fatalf("first describe saw %d, want 2 (hook runs after the call)", d.TotalCount)
	}
	h.fail("TerminateInstance", terminate("1"), http.StatusForbidden, "OPERATION_DENIED_INSTANCE_STATUS_INSTALLING")
	h.fail("TerminateInstance", terminate("2"), http.StatusNotFound, "INVALID_INSTANCE_NOT_FOUND")
	h.sim.OnCall(nil)
	h.describe(map[string]any{})
}

func TestConcurrentCalls(t *testing.T) {
	h := newHarness(t)
	var fleet []SimInstance
	for i := range 40 {
		fleet = append(fleet, inst(fmt.Sprint(100+i)))
	}
	h.load(fleet...)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := mustJSON(t, terminate(fmt.Sprint(100+i)))
			req := h.newAPIRequest("TerminateInstance", body)
			sign(req, body, testKeyID, testSecret, h.clock.Now())
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("terminate %d: %d", 100+i, resp.StatusCode)
			}
			h.sim.Instances()
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, c := range h.sim.TerminateCalls() {
		seen[c.Seq] = true
	}
	if len(seen) != 40 {
		t.Fatalf("%d distinct terminate calls recorded, want 40", len(seen))
	}
	for _, in := range h.sim.Instances() {
		if in.Status != zen.StatusRecycle {
			t.Fatalf("%s is %s, want RECYCLE", in.ID, in.Status)
		}
	}
}

func TestLogsOneRecordPerCallWithoutSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newHarness(t, func(o *Options) { o.Logger = logger })
	h.describe(map[string]any{})
	r := h.newAPIRequest("DescribeInstances", []byte(`{}`))
	r.Header.Set("Authorization", "Bearer "+testToken)
	h.do(r)
	out := buf.String()
	if n := strings.Count(out, `"msg":"zensim call"`); n != 2 {
		t.Fatalf("%d log records, want 2:\n%s", n, out)
	}
	for _, secret := range []string{testSecret, testToken, "Signature="} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, `"request_id":"T`) || !strings.Contains(out, `"http_status":200`) {
		t.Fatalf("log lacks request_id or http_status:\n%s", out)
	}
}
