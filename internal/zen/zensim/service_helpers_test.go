package zensim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// endpoint is one service as a client addresses it (zenlayer-bmc-api.md §1.5).
type endpoint struct{ path, service, version string }

var (
	bmcEndpoint = endpoint{Path, "bmc", "2026-02-01"}
	zrmEndpoint = endpoint{PathZRM, "zrm", "2025-10-14"}
	zbcEndpoint = endpoint{PathZBC, "zbc", "2024-08-08"}
)

// callAt sends action to the endpoint, signed with the zen package's signer (the client's steps).
func (h *harness) callAt(ep endpoint, action string, body any) (int, []byte) {
	h.t.Helper()
	b := mustJSON(h.t, body)
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+ep.path, bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ZC-Action", action)
	req.Header.Set("X-ZC-Version", ep.version)
	req.Header.Set("X-ZC-Service", ep.service)
	zen.SignRequest(req, b, testKeyID, testSecret, h.clock.Now())
	return h.do(req)
}

// okAt calls action, requires 200 with a well-formed envelope, and returns the raw "response".
func (h *harness) okAt(ep endpoint, action string, body any) json.RawMessage {
	h.t.Helper()
	status, raw := h.callAt(ep, action, body)
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
	if err := json.Unmarshal(env.Response, &inner); err != nil || inner.RequestID != env.RequestID || !requestIDPattern.MatchString(env.RequestID) {
		h.t.Fatalf("%s: malformed envelope %s", action, raw)
	}
	return env.Response
}

// failAt calls action and requires an API error with the given status and code.
func (h *harness) failAt(ep endpoint, action string, body any, wantStatus int, wantCode string) {
	h.t.Helper()
	status, raw := h.callAt(ep, action, body)
	checkError(h.t, status, raw, wantStatus, wantCode)
}

// generic decodes raw JSON into plain maps and slices, numbers as json.Number, for exact
// comparisons of wire shapes (a null stays nil, an absent member stays absent).
func generic(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
