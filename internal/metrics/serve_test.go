package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestEndpoints(t *testing.T) {
	var isReady atomic.Bool
	ready := func() (bool, string) {
		if !isReady.Load() {
			return false, "no cycle completed yet"
		}
		return true, ""
	}
	srv := httptest.NewServer(newMux(New(), ready))
	t.Cleanup(srv.Close)

	steps := []struct {
		name     string
		path     string
		ready    bool
		wantCode int
		wantBody string
	}{
		{"healthz while not ready", "/healthz", false, http.StatusOK, "ok\n"},
		{"readyz before the first cycle", "/readyz", false, http.StatusServiceUnavailable, "no cycle completed yet\n"},
		{"readyz after the first cycle", "/readyz", true, http.StatusOK, "ready\n"},
		{"healthz when ready", "/healthz", true, http.StatusOK, "ok\n"},
		{"index", "/", true, http.StatusOK, "reaper: /metrics /healthz /readyz\n"},
		{"unknown path", "/debug/pprof/", true, http.StatusNotFound, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			isReady.Store(s.ready)
			code, body := get(t, srv.URL+s.path)
			if code != s.wantCode {
				t.Errorf("GET %s = %d, want %d", s.path, code, s.wantCode)
			}
			if s.wantBody != "" && body != s.wantBody {
				t.Errorf("GET %s body = %q, want %q", s.path, body, s.wantBody)
			}
		})
	}

	t.Run("post is refused", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/metrics", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST /metrics = %d, want 405", resp.StatusCode)
		}
	})
}

func TestReadyzNilReadyIsReady(t *testing.T) {
	srv := httptest.NewServer(newMux(New(), nil))
	t.Cleanup(srv.Close)
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("GET /readyz = %d, want 200", code)
	}
}

func TestServeReturnsBindError(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { taken.Close() })

	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), taken.Addr().String(), New(), nil, nil) }()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("Serve on a taken address = %v, want EADDRINUSE", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve on a taken address did not return")
	}
}

func TestServeListenerStopsOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, New(), nil, nil) }()

	if code, body := get(t, url+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET /healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
	if code, body := get(t, url+"/metrics"); code != http.StatusOK || !strings.Contains(body, "reaper_cycles_total") {
		t.Fatalf("GET /metrics = %d without reaper metrics", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not stop after cancel")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after it stopped")
	}
}
