package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen opens a unixgram socket like systemd's and returns a function that
// reads the next datagram.
func listen(t *testing.T, addr string) func() string {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return func() string {
		t.Helper()
		buf := make([]byte, 4096)
		if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("read notification: %v", err)
		}
		return string(buf[:n])
	}
}

func socketPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "notify.sock")
}

func TestNotifierSends(t *testing.T) {
	path := socketPath(t)
	read := listen(t, path)
	n := New(path)
	n.monotonic = func() (time.Duration, error) { return 1234567 * time.Microsecond, nil }

	tests := []struct {
		name string
		send func() error
		want string
	}{
		{"ready", n.Ready, "READY=1"},
		{"reloading", n.Reloading, "RELOADING=1\nMONOTONIC_USEC=1234567"},
		{"stopping", n.Stopping, "STOPPING=1"},
		{"watchdog", n.Watchdog, "WATCHDOG=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatalf("send: %v", err)
			}
			if got := read(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReloadingUsesMonotonicClock(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CLOCK_MONOTONIC is read on Linux only")
	}
	path := socketPath(t)
	read := listen(t, path)
	before, err := monotonicNow()
	if err != nil {
		t.Fatal(err)
	}
	if err := New(path).Reloading(); err != nil {
		t.Fatalf("Reloading: %v", err)
	}
	after, err := monotonicNow()
	if err != nil {
		t.Fatal(err)
	}
	got := read()
	val, ok := strings.CutPrefix(got, "RELOADING=1\nMONOTONIC_USEC=")
	if !ok {
		t.Fatalf("got %q, want RELOADING=1 and MONOTONIC_USEC", got)
	}
	usec, err := strconv.ParseInt(val, 10, 64)
	if err != nil {
		t.Fatalf("MONOTONIC_USEC %q: %v", val, err)
	}
	if usec < before.Microseconds() || usec > after.Microseconds() {
		t.Errorf("MONOTONIC_USEC = %d, want within [%d, %d]", usec, before.Microseconds(), after.Microseconds())
	}
}

func TestNotifierAbstractSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract sockets are Linux only")
	}
	addr := fmt.Sprintf("@reaper-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	read := listen(t, addr)
	if err := New(addr).Ready(); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if got, want := read(), "READY=1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNilNotifierIsNoop(t *testing.T) {
	n := New("")
	if n != nil {
		t.Fatalf("New(\"\") = %v, want nil", n)
	}
	for name, send := range map[string]func() error{
		"Ready": n.Ready, "Reloading": n.Reloading, "Stopping": n.Stopping,
		"Watchdog": n.Watchdog,
	} {
		if err := send(); err != nil {
			t.Errorf("nil %s = %v, want nil", name, err)
		}
	}
}

func TestNotifierErrors(t *testing.T) {
	tests := []struct {
		name, addr string
		want       error // nil: any error
	}{
		{"vsock address", "vsock:2:1234", ErrUnsupportedSocket},
		{"relative path", "run/notify", ErrUnsupportedSocket},
		{"missing socket", filepath.Join(t.TempDir(), "absent.sock"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(tt.addr).Ready()
			if err == nil {
				t.Fatal("Ready = nil, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Ready = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWatchdogInterval(t *testing.T) {
	tests := []struct {
		name        string
		usec, pidEv string
		pid         int
		want        time.Duration
	}{
		{"enabled for us", "60000000", "42", 42, 30 * time.Second},
		{"enabled, no pid given", "10000000", "", 42, 5 * time.Second},
		{"for another process", "60000000", "7", 42, 0},
		{"bad pid", "60000000", "x", 42, 0},
		{"disabled", "", "", 42, 0},
		{"zero", "0", "42", 42, 0},
		{"negative", "-5", "42", 42, 0},
		{"not a number", "1m", "42", 42, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WatchdogInterval(tt.usec, tt.pidEv, tt.pid); got != tt.want {
				t.Errorf("WatchdogInterval(%q, %q, %d) = %s, want %s", tt.usec, tt.pidEv, tt.pid, got, tt.want)
			}
		})
	}
}
