package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestReadyzBodyIsTheReason: /readyz answers with the reason ready gives, ready or not.
func TestReadyzBodyIsTheReason(t *testing.T) {
	tests := []struct {
		ok     bool
		reason string
		code   int
		body   string
	}{
		{true, "ready: the API answered", http.StatusOK, "ready: the API answered\n"},
		{true, "", http.StatusOK, "ready\n"},
		{false, "the API check failed", http.StatusServiceUnavailable, "the API check failed\n"},
		{false, "", http.StatusServiceUnavailable, "not ready\n"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			srv := httptest.NewServer(newMux(New(), func() (bool, string) { return tt.ok, tt.reason }))
			defer srv.Close()
			if code, body := get(t, srv.URL+"/readyz"); code != tt.code || body != tt.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, tt.code, tt.body)
			}
		})
	}
}
