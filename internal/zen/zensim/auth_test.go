package zensim

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var requestIDPattern = regexp.MustCompile(`^T[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)

// sigVector is one of the signing test vectors of zenlayer-bmc-api.md §1.4, with the signature
// copied from the document (not computed).
type sigVector struct {
	name, keyID, secret, ts, contentType, host, body, signature string
}

var sigVectors = []sigVector{
	{"vector 0 (docs example)", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3", "Gu5t9xGARNpq86cd98joQYCN3", "1673361177",
		"application/json; charset=utf-8", "console.zenlayer.com", `{"pageSize":10,"pageNum":1,"zoneId":"HKG-A"}`,
		"efb356c32e55c781e10dc676da59462c22596d82e91c57803666243379555b2f"},
	{"vector A (Go SDK)", "TESTAKID0001", "TestSecretPassword123", "1700000000",
		"application/json", "console.zenlayer.com", `{"instanceIds":["123456789012345678"],"pageNum":1,"pageSize":20}`,
		"623154cddeddbfc6ae04962939aceab0919ca177b5ba644a4c35994abda30fe9"},
	{"vector B (host with port)", "TESTAKID0001", "TestSecretPassword123", "1700000000",
		"application/json", "127.0.0.1:8443", `{"instanceId":"123456789012345678"}`,
		"b80f8600b1a8942b6b8feb224a143f0c6c51cc19170ea7b19bfb85fe92d19b8f"},
	{"vector C (empty body)", "TESTAKID0001", "TestSecretPassword123", "1700000000",
		"application/json", "console.zenlayer.com", ``,
		"e13a9629d913d4acb306f2f21cd2459bdf39d456058fd54666c82ace7ae477dd"},
}

// vectorRequest builds the request a client would send for v, with its documented signature.
func vectorRequest(v sigVector) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://"+v.host+Path, strings.NewReader(v.body))
	r.Header.Set("Content-Type", v.contentType)
	r.Header.Set("X-ZC-Timestamp", v.ts)
	r.Header.Set("X-ZC-Signature-Method", "ZC2-HMAC-SHA256")
	r.Header.Set("Authorization", authorization(v.keyID, v.signature))
	return r
}

func vectorTime(t *testing.T, v sigVector) time.Time {
	t.Helper()
	secs, err := strconv.ParseInt(v.ts, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(secs, 0)
}

func TestVerifierAcceptsDocumentedVectors(t *testing.T) {
	for _, v := range sigVectors {
		t.Run(v.name, func(t *testing.T) {
			ver := verifier{keys: map[string]string{v.keyID: v.secret}, maxSkew: DefaultMaxSkew}
			r := vectorRequest(v)
			if err := ver.verify(r, []byte(v.body), vectorTime(t, v)); err != nil {
				t.Fatalf("verify: %v, want accepted", err)
			}
		})
	}
}

func TestVerifierRejectsOneByteChanges(t *testing.T) {
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	for _, v := range sigVectors {
		mutations := map[string]func(sigVector) (sigVector, []byte){
			"content type": func(v sigVector) (sigVector, []byte) {
				v.contentType = flip(v.contentType, len(v.contentType)-1)
				return v, []byte(v.body)
			},
			"host": func(v sigVector) (sigVector, []byte) { v.host = flip(v.host, 0); return v, []byte(v.body) },
			"timestamp": func(v sigVector) (sigVector, []byte) {
				v.ts = flip(v.ts, len(v.ts)-1) // one second off: inside the skew window
				return v, []byte(v.body)
			},
			"signature": func(v sigVector) (sigVector, []byte) {
				last := v.signature[len(v.signature)-1]
				repl := byte('0')
				if last == '0' {
					repl = '1'
				}
				v.signature = v.signature[:len(v.signature)-1] + string(repl)
				return v, []byte(v.body)
			},
			"body appended": func(v sigVector) (sigVector, []byte) { return v, []byte(v.body + " ") },
		}
		if v.body != "" {
			mutations["body byte"] = func(v sigVector) (sigVector, []byte) { return v, []byte(flip(v.body, len(v.body)/2)) }
		}
		if strings.Contains(v.contentType, "charset") {
			mutations["charset stripped"] = func(v sigVector) (sigVector, []byte) {
				v.contentType = "application/json"
				return v, []byte(v.body)
			}
		}
		for name, mutate := range mutations {
			t.Run(v.name+"/"+name, func(t *testing.T) {
				ver := verifier{keys: map[string]string{v.keyID: v.secret}, maxSkew: DefaultMaxSkew}
				mv, body := mutate(v)
				if err := ver.verify(vectorRequest(mv), body, vectorTime(t, v)); err == nil {
					t.Fatal("verify accepted a changed request")
				}
			})
		}
	}
}

func TestTestSignerMatchesVectors(t *testing.T) {
	for _, v := range sigVectors {
		if got := testSignature(v.secret, v.ts, v.contentType, v.host, []byte(v.body)); got != v.signature {
			t.Errorf("%s: got %s, want %s", v.name, got, v.signature)
		}
	}
}

func TestAuthentication(t *testing.T) {
	body := []byte(`{"pageSize":10}`)
	tests := []struct {
		name     string
		prepare  func(h *harness, r *http.Request)
		wantOK   bool
		wantAuth string
	}{
		{"good signature", func(h *harness, r *http.Request) { sign(r, body, testKeyID, testSecret, h.clock.Now()) }, true, AuthHMAC},
		{"charset content type signed verbatim", func(h *harness, r *http.Request) {
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			sign(r, body, testKeyID, testSecret, h.clock.Now())
		}, true, AuthHMAC},
		{"charset added after signing", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now())
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
		}, false, AuthHMAC},
		{"bad signature", func(h *harness, r *http.Request) { sign(r, body, testKeyID, "wrong-secret", h.clock.Now()) }, false, AuthHMAC},
		{"unknown key", func(h *harness, r *http.Request) { sign(r, body, "NOSUCHKEY", testSecret, h.clock.Now()) }, false, AuthHMAC},
		{"skew inside window", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now().Add(-299*time.Second))
		}, true, AuthHMAC},
		{"timestamp too old", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now().Add(-301*time.Second))
		}, false, AuthHMAC},
		{"timestamp too new", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now().Add(301*time.Second))
		}, false, AuthHMAC},
		{"missing timestamp", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now())
			r.Header.Del("X-ZC-Timestamp")
		}, false, AuthHMAC},
		{"missing signature method", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now())
			r.Header.Del("X-ZC-Signature-Method")
		}, false, AuthHMAC},
		{"wrong signed headers", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now())
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "content-type;host", "host", 1))
		}, false, AuthHMAC},
		{"signed for another host", func(h *harness, r *http.Request) {
			sign(r, body, testKeyID, testSecret, h.clock.Now())
			r.Host = "console.zenlayer.com"
		}, false, AuthHMAC},
		{"bearer good", func(h *harness, r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) }, true, AuthBearer},
		{"bearer bad", func(h *harness, r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, false, AuthBearer},
		{"bearer empty", func(h *harness, r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, false, AuthNone}, // the space is trimmed in transit
		{"no authorization", func(h *harness, r *http.Request) {}, false, AuthNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.newAPIRequest("DescribeInstances", body)
			tt.prepare(h, r)
			status, raw := h.do(r)
			if tt.wantOK {
				if status != http.StatusOK {
					t.Fatalf("status %d (%s), want 200", status, raw)
				}
			} else {
				checkError(t, status, raw, http.StatusUnauthorized, "AUTHFAILURE_SIGNATURE_FAILURE")
				if strings.Contains(string(raw), testSecret) || strings.Contains(string(raw), testToken) {
					t.Fatalf("error body leaks a secret: %s", raw)
				}
			}
			calls := h.sim.Calls()
			if len(calls) != 1 || calls[0].Auth != tt.wantAuth {
				t.Fatalf("calls %+v, want one with auth %q", calls, tt.wantAuth)
			}
		})
	}
}

func TestReplayInsideWindowAccepted(t *testing.T) {
	h := newHarness(t)
	body := []byte(`{}`)
	r1 := h.newAPIRequest("DescribeInstances", body)
	sign(r1, body, testKeyID, testSecret, h.clock.Now())
	r2 := h.newAPIRequest("DescribeInstances", body)
	r2.Header = r1.Header.Clone()
	h.clock.Advance(time.Minute)
	for i, r := range []*http.Request{r1, r2} {
		if status, raw := h.do(r); status != http.StatusOK {
			t.Fatalf("attempt %d: status %d (%s), want 200", i+1, status, raw)
		}
	}
}

func TestNoCredentialsConfiguredRejectsEverything(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Keys, o.Tokens = nil, nil })
	r := h.newAPIRequest("DescribeInstances", []byte(`{}`))
	r.Header.Set("Authorization", "Bearer ")
	status, raw := h.do(r)
	checkError(t, status, raw, http.StatusUnauthorized, "AUTHFAILURE_SIGNATURE_FAILURE")
}

func TestRequestValidation(t *testing.T) {
	tests := []struct {
		name       string
		prepare    func(r *http.Request) *http.Request
		body       string
		wantStatus int
		wantCode   string
	}{
		{"missing action", func(r *http.Request) *http.Request { r.Header.Del("X-ZC-Action"); return r }, `{}`, 400, "INVALID_ACTION"},
		{"unknown action", func(r *http.Request) *http.Request { r.Header.Set("X-ZC-Action", "RebootInstances"); return r }, `{}`, 400, "INVALID_ACTION"},
		{"ReleaseInstances is not served", func(r *http.Request) *http.Request { r.Header.Set("X-ZC-Action", "ReleaseInstances"); return r }, `{"instanceIds":["1"]}`, 400, "INVALID_ACTION"},
		{"missing version", func(r *http.Request) *http.Request { r.Header.Del("X-ZC-Version"); return r }, `{}`, 400, "INVALID_VERSION"},
		{"unknown version", func(r *http.Request) *http.Request { r.Header.Set("X-ZC-Version", "2020-01-01"); return r }, `{}`, 400, "INVALID_VERSION"},
		{"other service", func(r *http.Request) *http.Request { r.Header.Set("X-ZC-Service", "zrm"); return r }, `{}`, 400, "INVALID_SERVICE"},
		{"not json body", nil, `pageSize=10`, 400, "INVALID_PARAMETER"},
		{"empty body", nil, ``, 400, "INVALID_PARAMETER"},
		{"json array body", nil, `[]`, 400, "INVALID_PARAMETER"},
		{"wrong field type", nil, `{"pageSize":"10"}`, 400, "INVALID_PARAMETER"},
		{"text content type", func(r *http.Request) *http.Request { r.Header.Set("Content-Type", "text/plain"); return r }, `{}`, 400, "INVALID_PARAMETER"},
		{"GET", func(r *http.Request) *http.Request { r.Method = http.MethodGet; return r }, `{}`, 405, "METHOD_NOT_ALLOWED"},
		{"other path", func(r *http.Request) *http.Request { r.URL.Path = "/api/v2/vm"; return r }, `{}`, 404, "INVALID_PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.newAPIRequest("DescribeInstances", []byte(tt.body))
			if tt.prepare != nil {
				r = tt.prepare(r)
			}
			sign(r, []byte(tt.body), testKeyID, testSecret, h.clock.Now())
			status, raw := h.do(r)
			checkError(t, status, raw, tt.wantStatus, tt.wantCode)
		})
	}
}

func TestLegacyVersionAccepted(t *testing.T) {
	h := newHarness(t)
	body := []byte(`{}`)
	r := h.newAPIRequest("DescribeInstances", body)
	r.Header.Set("X-ZC-Version", Version2022)
	r.Header.Del("X-ZC-Service") // not required
	sign(r, body, testKeyID, testSecret, h.clock.Now())
	if status, raw := h.do(r); status != http.StatusOK {
		t.Fatalf("status %d (%s), want 200", status, raw)
	}
}

func TestLowercaseHeaderNamesAccepted(t *testing.T) {
	h := newHarness(t)
	body := []byte(`{}`)
	r := h.newAPIRequest("DescribeInstances", body)
	sign(r, body, testKeyID, testSecret, h.clock.Now())
	lower := http.Header{}
	for k, v := range r.Header {
		lower[strings.ToLower(k)] = v // as the Go SDK sends them
	}
	r.Header = lower
	if status, raw := h.do(r); status != http.StatusOK {
		t.Fatalf("status %d (%s), want 200", status, raw)
	}
}
