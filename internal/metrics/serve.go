package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// shutdownTimeout bounds how long Serve waits for scrapes in progress when
// its context ends.
const shutdownTimeout = 5 * time.Second

// Serve listens on addr and serves /metrics, /healthz and /readyz until ctx
// is done, then shuts down and returns nil. A failure to listen (the address
// is in use, say) is returned at once, as is any later serving error.
//
// /healthz answers 200 while the server runs. /readyz calls ready and
// answers 200 or 503, with the reason ready gives as the body ("ready" or
// "not ready" when it gives none); a nil ready is always ready.
func Serve(ctx context.Context, addr string, m *Metrics, ready func() (bool, string), logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen metrics: %w", err)
	}
	return ServeListener(ctx, ln, m, ready, logger)
}

// ServeListener is Serve on an existing listener, which it closes. Tests
// and callers that need the bound port (addr ":0") use it.
func ServeListener(ctx context.Context, ln net.Listener, m *Metrics, ready func() (bool, string), logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           newMux(m, ready),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("metrics listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	// A panic in the server's own loop (handlers are contained by net/http) is Serve's error.
	safego.Go("metrics server", func() { served <- srv.Serve(ln) }, func(err error) { served <- err })
	select {
	case err := <-served:
		return fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics: %w", err)
	}
	logger.Info("metrics stopped")
	return nil
}

// newMux routes the endpoints.
func newMux(m *Metrics, ready func() (bool, string)) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready == nil {
			writeText(w, http.StatusOK, "ready")
			return
		}
		ok, reason := ready()
		switch {
		case !ok && reason == "":
			reason = "not ready"
		case ok && reason == "":
			reason = "ready"
		}
		code := http.StatusOK
		if !ok {
			code = http.StatusServiceUnavailable
		}
		writeText(w, code, reason)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "reaper: /metrics /healthz /readyz")
	})
	return mux
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body+"\n")
}
