package zensim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/clocktest"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// t0 is the simulator time most tests start at.
var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

const (
	testKeyID  = "TESTAKID0001"
	testSecret = "TestSecretPassword123"
	testToken  = "tok-0123456789abcdef"
)

// harness is a simulator behind a real loopback HTTP server.
type harness struct {
	t     *testing.T
	sim   *Server
	srv   *httptest.Server
	clock *clocktest.Clock
	rate  *clocktest.Clock
}

func newHarness(t *testing.T, mods ...func(*Options)) *harness {
	t.Helper()
	clock, rate := clocktest.New(t0), clocktest.New(t0)
	opts := Options{
		Now:       clock.Now,
		RateClock: rate.Now,
		Keys:      map[string]string{testKeyID: testSecret},
		Tokens:    []string{testToken},
		Seed:      1,
	}
	for _, m := range mods {
		m(&opts)
	}
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, srv: srv, clock: clock, rate: rate}
}

func (h *harness) load(instances ...SimInstance) {
	h.t.Helper()
	if err := h.sim.Load(Fleet{Instances: instances}); err != nil {
		h.t.Fatalf("Load: %v", err)
	}
}

// testSignature is the test's own ZC2-HMAC-SHA256 signer, written from the §1.3 recipe as one
// template so that it shares no code with the verifier.
func testSignature(secret, timestamp, contentType, host string, body []byte) string {
	canonical := fmt.Sprintf("POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%x",
		contentType, host, sha256.Sum256(body))
	toSign := fmt.Sprintf("ZC2-HMAC-SHA256\n%s\n%x", timestamp, sha256.Sum256([]byte(canonical)))
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, toSign)
	return fmt.Sprintf("%x", m.Sum(nil))
}

func authorization(keyID, sig string) string {
	return "ZC2-HMAC-SHA256 Credential=" + keyID + ", SignedHeaders=content-type;host, Signature=" + sig
}

// newAPIRequest builds an unsigned API request for action with the usual headers.
func (h *harness) newAPIRequest(action string, body []byte) *http.Request {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+Path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ZC-Action", action)
	req.Header.Set("X-ZC-Version", Version2026)
	req.Header.Set("X-ZC-Service", "bmc")
	return req
}

// sign signs req (whose body is body) with the test key at simulator time ts.
func sign(req *http.Request, body []byte, keyID, secret string, ts time.Time) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("X-ZC-Timestamp", stamp)
	req.Header.Set("X-ZC-Signature-Method", "ZC2-HMAC-SHA256")
	sig := testSignature(secret, stamp, req.Header.Get("Content-Type"), req.URL.Host, body)
	req.Header.Set("Authorization", authorization(keyID, sig))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	if b, ok := v.([]byte); ok {
		return b
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// do sends req and returns the status and body.
func (h *harness) do(req *http.Request) (int, []byte) {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s: %v", req.Header.Get("X-ZC-Action"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, b
}

// call sends a signed request for action with body (a value to marshal, or raw []byte).
func (h *harness) call(action string, body any) (int, []byte) {
	h.t.Helper()
	b := mustJSON(h.t, body)
	req := h.newAPIRequest(action, b)
	sign(req, b, testKeyID, testSecret, h.clock.Now())
	return h.do(req)
}

// ok calls action, requires 200 and a well-formed envelope, and decodes response into out.
func (h *harness) ok(action string, body, out any) {
	h.t.Helper()
	status, raw := h.call(action, body)
	if status != http.StatusOK {
		h.t.Fatalf("%s: status %d, want 200; body %s", action, status, raw)
	}
	var env struct {
		RequestID string          `json:"requestId"`
		Response  json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		h.t.Fatalf("%s: decode envelope: %v", action, err)
	}
	var inner struct {
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal(env.Response, &inner); err != nil {
		h.t.Fatalf("%s: decode response: %v", action, err)
	}
	if !requestIDPattern.MatchString(env.RequestID) || inner.RequestID != env.RequestID {
		h.t.Fatalf("%s: request ids %q / %q, want equal and T+UUID", action, env.RequestID, inner.RequestID)
	}
	if out != nil {
		if err := json.Unmarshal(env.Response, out); err != nil {
			h.t.Fatalf("%s: decode into %T: %v", action, out, err)
		}
	}
}

// fail calls action and requires an API error with the given status and code.
func (h *harness) fail(action string, body any, wantStatus int, wantCode string) {
	h.t.Helper()
	status, raw := h.call(action, body)
	checkError(h.t, status, raw, wantStatus, wantCode)
}

func checkError(t *testing.T, status int, raw []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		RequestID string          `json:"requestId"`
		Code      string          `json:"code"`
		Message   string          `json:"message"`
		Response  json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("decode error body %q: %v", raw, err)
	}
	if status != wantStatus || e.Code != wantCode {
		t.Fatalf("got %d %s (%s), want %d %s", status, e.Code, e.Message, wantStatus, wantCode)
	}
	if !requestIDPattern.MatchString(e.RequestID) || e.Message == "" || e.Response != nil {
		t.Fatalf("malformed error body %s", raw)
	}
}

// describeResult is DescribeInstances' response as a test reads it.
type describeResult struct {
	TotalCount int `json:"totalCount"`
	DataSet    []struct {
		InstanceID         string   `json:"instanceId"`
		InstanceStatus     string   `json:"instanceStatus"`
		InstanceChargeType string   `json:"instanceChargeType"`
		CreateTime         *string  `json:"createTime"`
		Tags               wireTags `json:"tags"`
	} `json:"dataSet"`
}

func (d describeResult) ids() []string {
	out := []string{}
	for _, x := range d.DataSet {
		out = append(out, x.InstanceID)
	}
	return out
}

func (h *harness) describe(body any) describeResult {
	h.t.Helper()
	var out describeResult
	h.ok("DescribeInstances", body, &out)
	return out
}

// inst builds a RUNNING POSTPAID instance created 30 days before t0.
func inst(id string, mods ...func(*SimInstance)) SimInstance {
	s := SimInstance{
		ID: id, Name: "vm-" + id, Hostname: "host-" + id, Zone: "HKG-A", Type: "S9I",
		Status: zen.StatusRunning, ChargeType: zen.ChargePostpaid, InternetChargeType: "ByBandwidth",
		CreatedAt: t0.Add(-30 * 24 * time.Hour), ResourceGroupID: "rg-1", ResourceGroupName: "Default Resource Group",
	}
	for _, m := range mods {
		m(&s)
	}
	return s
}

func withStatus(st zen.Status) func(*SimInstance) { return func(s *SimInstance) { s.Status = st } }

func ptr[T any](v T) *T { return &v }
