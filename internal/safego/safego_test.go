package safego

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

func TestCall(t *testing.T) {
	tests := []struct {
		name      string
		fn        func()
		wantErr   string // "" for no error
		wantUnwrp error
	}{
		{name: "returns", fn: func() {}},
		{name: "string panic", fn: func() { panic("boom") }, wantErr: "internal error in worker: panic: boom"},
		{name: "error panic", fn: func() { panic(io.ErrUnexpectedEOF) }, wantErr: "internal error in worker: panic: unexpected EOF", wantUnwrp: io.ErrUnexpectedEOF},
		{name: "runtime error", fn: func() {
			var s []int
			_ = s[len(os.Args)] // index out of range
		}, wantErr: "internal error in worker: panic: runtime error: index out of range"},
		{name: "nil panic", fn: func() { panic(nil) }, wantErr: "internal error in worker: panic: panic called with nil argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Call("worker", tt.fn)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Call = %v, want nil", err)
				}
				return
			}
			var pe *PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("Call = %v (%T), want a *PanicError", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Error() = %q, want prefix %q", err, tt.wantErr)
			}
			if !strings.Contains(string(pe.Stack), "TestCall") {
				t.Errorf("Stack does not show the panicking function:\n%s", pe.Stack)
			}
			if tt.wantUnwrp != nil && !errors.Is(err, tt.wantUnwrp) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantUnwrp)
			}
		})
	}
}

func TestGoHandsThePanicToItsWaiter(t *testing.T) {
	got := make(chan error, 1)
	Go("sender", func() { panic("boom") }, func(err error) { got <- err })
	err := <-got
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Where != "sender" {
		t.Fatalf("failed got %v, want a *PanicError from sender", err)
	}
}

func TestPanicErrorLogValue(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Error("cycle failed", "error", Call("zen page worker", func() { panic("boom") }))
	for _, part := range []string{`"error":{"where":"zen page worker","panic":"boom"}`} {
		if !strings.Contains(buf.String(), part) {
			t.Errorf("log %s lacks %s", buf.String(), part)
		}
	}
	if strings.Contains(buf.String(), "goroutine") {
		t.Errorf("log %s holds the stack", buf.String())
	}
}
