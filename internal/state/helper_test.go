package state

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// helperDirEnv, when set, turns the test binary into a helper process that
// holds the store in that directory (see holdStore).
const helperDirEnv = "REAPER_STATE_TEST_HOLD_DIR"

// helperIntent is the intent the helper process writes before saying ready.
var helperIntent = Intent{
	RunID:      "20261126T083000Z-child",
	InstanceID: "932237369560662463",
	CreatedAt:  time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC),
	Reasons:    []string{"reaper.idle: idle for 72h"},
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		holdStore(dir)
		return // exits 0 without closing the store
	}
	os.Exit(m.Run())
}

// holdStore is the helper process: open the store, write an intent, say
// "ready", then wait for stdin to close (or to be killed) and exit without
// Close, as a crashed reaper would.
func holdStore(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Printf("open: %v\n", err)
		return
	}
	if err := s.PutIntent(helperIntent); err != nil {
		fmt.Printf("put intent: %v\n", err)
		return
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

// holder is a helper process holding a store.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startHolder re-executes the test binary as a helper process holding the
// store in dir and waits until it has written helperIntent.
func startHolder(t *testing.T, dir string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { h.cmd.Process.Kill(); h.cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("helper process said %q (%v), want %q", line, err, "ready\n")
	}
	return h
}

// exit lets the helper return without closing the store and waits for it.
func (h *holder) exit(t *testing.T) {
	t.Helper()
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper process: %v", err)
	}
}

// kill sends SIGKILL to the helper and waits for it.
func (h *holder) kill(t *testing.T) {
	t.Helper()
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait() // reports "signal: killed"
}

// openStore opens a store in a fresh directory and closes it at cleanup.
func openStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	return openStoreIn(t, filepath.Join(t.TempDir(), "state"), opts...)
}

// openStoreIn opens the store in dir and closes it at cleanup.
func openStoreIn(t *testing.T, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
