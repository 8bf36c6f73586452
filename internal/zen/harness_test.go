package zen

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testKeyID  = "TESTAKID0001"
	testSecret = "TestSecretPassword123"
	testToken  = "tok-SECRET-bearer-0123456789"
)

// apiRequest is one request the fake API saw.
type apiRequest struct {
	N      int // 1-based order of arrival
	Action string
	Header http.Header
	Body   []byte
	Params map[string]any // Body decoded
}

// fakeAPI is an httptest server that records every request and answers with handle.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []apiRequest
	handle func(w http.ResponseWriter, r *http.Request, req apiRequest)
}

func newFakeAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, req apiRequest)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake api: read body: %v", err)
		return
	}
	req := apiRequest{Action: r.Header.Get("X-ZC-Action"), Header: r.Header.Clone(), Body: body}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req.Params); err != nil {
			f.t.Errorf("fake api: request body is not a JSON object: %q", body)
		}
	}
	f.mu.Lock()
	req.N = len(f.reqs) + 1
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	f.handle(w, r, req)
}

// requests returns a copy of the requests seen so far.
func (f *fakeAPI) requests() []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiRequest(nil), f.reqs...)
}

func (f *fakeAPI) count() int { return len(f.requests()) }

// recorder collects the waits a client asked for through WithSleep, without waiting.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recorder) get() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

// newTestClient builds a client for f: access key auth, no rate limit, 4 attempts, backoff
// recorded instead of waited, so tests never sleep.
func newTestClient(t *testing.T, f *fakeAPI, opts ...Option) *Client {
	t.Helper()
	base := []Option{
		WithEndpoint(f.srv.URL),
		WithAccessKey(testKeyID, testSecret),
		WithRequestsPerSecond(math.Inf(1)),
		WithRetry(4, 10*time.Millisecond, 80*time.Millisecond),
		WithSleep(new(recorder).sleep),
		WithTimeout(5 * time.Second),
	}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// writeJSON answers with status and v as JSON.
func writeJSON(t *testing.T, w http.ResponseWriter, status int, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Errorf("marshal json: %v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client may have gone (canceled listings); that is its business

}

// ok answers 200 with the API envelope around resp (which may be nil).
func ok(t *testing.T, w http.ResponseWriter, reqID string, resp map[string]any) {
	t.Helper()
	if resp == nil {
		resp = map[string]any{}
	}
	resp["requestId"] = reqID
	writeJSON(t, w, http.StatusOK, map[string]any{"requestId": reqID, "response": resp})
}

// apiErr answers with an API error body.
func apiErr(t *testing.T, w http.ResponseWriter, status int, code, reqID string) {
	t.Helper()
	writeJSON(t, w, status, map[string]any{"requestId": reqID, "code": code, "message": "message for " + code})
}

// testInstance is a complete InstanceInfo as the API sends it.
func testInstance(id, zone, rg string) map[string]any {
	return map[string]any{
		"instanceId": id, "zoneId": zone, "instanceName": "name-" + id, "hostname": "host-" + id,
		"instanceTypeId": "S9I", "instanceChargeType": "POSTPAID", "period": nil,
		"internetChargeType": "ByBandwidth", "bandwidthOutMbps": 100,
		"primaryPublicIpAddress": "203.0.113.10", "publicIpAddresses": []string{"203.0.113.10"},
		"privateIpAddresses": []string{}, "createTime": "2026-01-02T03:04:05Z", "expiredTime": nil,
		"resourceGroupId": rg, "resourceGroupName": "group " + rg, "instanceStatus": "RUNNING",
		"autoRenew": false, "tags": map[string]any{"tags": []map[string]string{{"key": "owner", "value": "ci"}}},
	}
}

// fleet makes n instances with IDs id-00001... in the given zone and group.
func fleet(n int, zone, rg string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = testInstance(fmt.Sprintf("%s-%s-%05d", zone, rg, i+1), zone, rg)
	}
	return out
}

// intParam reads a numeric request parameter.
func intParam(req apiRequest, name string) int {
	v, _ := req.Params[name].(float64)
	return int(v)
}

func strParam(req apiRequest, name string) string {
	v, _ := req.Params[name].(string)
	return v
}

// pageOf returns page num of list with the given size, and the DescribeInstances response for it.
func pageOf(list []map[string]any, num, size int) map[string]any {
	start := min((num-1)*size, len(list))
	end := min(start+size, len(list))
	return map[string]any{"totalCount": len(list), "dataSet": list[start:end]}
}

// pagedFleet serves DescribeInstances over fleets keyed by zone+"/"+resource group, paging as
// asked. mutate, when set, may change a page's response before it is sent.
func pagedFleet(t *testing.T, fleets map[string][]map[string]any,
	mutate func(req apiRequest, resp map[string]any)) func(http.ResponseWriter, *http.Request, apiRequest) {
	return func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if req.Action != "DescribeInstances" {
			t.Errorf("action %q, want DescribeInstances", req.Action)
		}
		key := strParam(req, "zoneId") + "/" + strParam(req, "resourceGroupId")
		resp := pageOf(fleets[key], intParam(req, "pageNum"), intParam(req, "pageSize"))
		if mutate != nil {
			mutate(req, resp)
		}
		ok(t, w, fmt.Sprintf("T-%d", req.N), resp)
	}
}

// verifySignature recomputes ZC2-HMAC-SHA256 for a request independently of sign.go.
func verifySignature(t *testing.T, r *http.Request, body []byte) {
	t.Helper()
	ts := r.Header.Get("X-ZC-Timestamp")
	payload := sha256.Sum256(body)
	canonical := strings.Join([]string{
		"POST", "/", "",
		"content-type:" + r.Header.Get("Content-Type"),
		"host:" + r.Host,
		"",
		"content-type;host",
		hex.EncodeToString(payload[:]),
	}, "\n")
	ch := sha256.Sum256([]byte(canonical))
	mac := hmac.New(sha256.New, []byte(testSecret))
	fmt.Fprintf(mac, "ZC2-HMAC-SHA256\n%s\n%s", ts, hex.EncodeToString(ch[:]))
	want := "ZC2-HMAC-SHA256 Credential=" + testKeyID + ", SignedHeaders=content-type;host, Signature=" +
		hex.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}
