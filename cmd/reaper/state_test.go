package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/scheduler"
	"github.com/reaper-bmc/reaper/internal/state"
)

// reaperAt runs Main with the clock at now.
func reaperAt(t *testing.T, now time.Time, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	code := Main(context.Background(), Env{
		Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }, IsTTY: func() bool { return false },
		Clock: scheduler.NewFakeClock(now),
	})
	return result{code, out.String(), errOut.String()}
}

// damage writes a valid state store at path and damages it as kind says.
func damage(t *testing.T, path, kind string) {
	t.Helper()
	s, err := state.Open(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := s.PutRun(state.Run{ID: "run-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)),
			InventoryComplete: true, InventorySize: i}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := os.Getpagesize()
	switch kind {
	case "empty":
		data = nil
	case "truncated":
		data = data[:2*ps]
	case "garbage page":
		for i := 3 * ps; i < 4*ps; i++ {
			data[i] = byte(i*7 + 13)
		}
	case "freelist page":
		meta := func(p int) (uint64, uint64) { // freelist pgid, txid
			b := data[p*ps+16:]
			return binary.LittleEndian.Uint64(b[32:]), binary.LittleEndian.Uint64(b[48:])
		}
		fl, tx := meta(0)
		if fl1, tx1 := meta(1); tx1 > tx {
			fl = fl1
		}
		copy(data[int(fl)*ps:int(fl+1)*ps], bytes.Repeat([]byte{0xAB}, ps))
	default:
		t.Fatalf("unknown damage %q", kind)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedStateExitsOneAndIsLeftAlone: a state file that is empty, truncated or has a damaged
// page is refused by every command that opens it, with its path and the recovery command, exit 1
// (never 2, never a Go panic), no call to the API, and the file exactly as it was.
func TestDamagedStateExitsOneAndIsLeftAlone(t *testing.T) {
	for _, kind := range []string{"empty", "truncated", "garbage page", "freelist page"} {
		t.Run(kind, func(t *testing.T) {
			sim, url := startSim(t, fleetN(2, expiredInstance))
			path, dir := writeConfig(t, url, testSecret, "dry_run: false\nsafety: {grace_period: 0s, max_terminations_percent: 100}\n")
			db := filepath.Join(dir, "state", "state.db")
			if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
				t.Fatal(err)
			}
			damage(t, db, kind)
			before, _ := os.ReadFile(db)
			for _, args := range [][]string{{"run", "--once"}, {"plan"}, {"state", "check"}, {"state", "accept-clock", "--yes"}} {
				r := reaper(t, append(args, "--config", path)...)
				if r.code != exitFailure {
					t.Errorf("%v: code %d, want 1\n%s%s", args, r.code, r.stdout, r.stderr)
				}
				for _, want := range []string{db, "reaper state reset --yes"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
					}
				}
				if strings.Contains(r.stderr, "goroutine ") {
					t.Errorf("%v: stderr has a stack trace:\n%s", args, r.stderr)
				}
			}
			if n := terminateCount(sim); n != 0 {
				t.Errorf("TerminateInstance calls = %d, want 0", n)
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
				t.Errorf("state file changed: %d bytes before, %d after", len(before), len(after))
			}
		})
	}
}

// TestStateBackupAndReset: the documented way out of a damaged state file. reset needs --yes,
// keeps the old file beside the new one, and the next cycle runs.
func TestStateBackupAndReset(t *testing.T) {
	_, url := startSim(t, fleetN(2, healthyInstance))
	path, dir := writeConfig(t, url, testSecret, "")
	db := filepath.Join(dir, "state", "state.db")
	if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
		t.Fatal(err)
	}
	damage(t, db, "truncated")
	before, _ := os.ReadFile(db)

	backup := filepath.Join(t.TempDir(), "state-copy.db")
	if r := reaper(t, "state", "backup", backup, "--config", path); r.code != exitOK || !strings.Contains(r.stdout, "byte for byte") {
		t.Fatalf("backup: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(backup); !bytes.Equal(got, before) {
		t.Errorf("backup differs from the damaged file")
	}
	if r := reaper(t, "state", "reset", "--config", path); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("reset without --yes: %d\n%s", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(db); !bytes.Equal(got, before) {
		t.Fatalf("reset without --yes changed the file")
	}
	at := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)
	r := reaperAt(t, at, "state", "reset", "--yes", "--config", path)
	moved := db + ".reset-20261203T190000Z"
	if r.code != exitOK || !strings.Contains(r.stdout, moved) {
		t.Fatalf("reset: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(moved); !bytes.Equal(got, before) {
		t.Errorf("the moved-aside file differs from the damaged one")
	}
	if r := reaper(t, "state", "check", "--config", path); r.code != exitOK || !strings.Contains(r.stdout, "ok") {
		t.Errorf("check after reset: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := reaper(t, "plan", "--config", path); r.code != exitOK {
		t.Errorf("plan after reset: %d\n%s", r.code, r.stderr)
	}
}

// TestClockBehindBlocksUntilAccepted: a run made with a clock two days ahead, then the clock put
// right. The next cycle is blocked (exit 3, limit clock, no call), and so is every one after it,
// until the operator accepts the clock; then it acts. The reports follow the run sequence:
// `report show latest` is the newest run, not the future-dated one.
func TestClockBehindBlocksUntilAccepted(t *testing.T) {
	sim, url := startSim(t, append(fleetN(1, expiredInstance), healthyInstance("1")))
	path, dir := writeConfig(t, url, testSecret, "dry_run: false\nsafety: {grace_period: 0s, max_terminations_percent: 100}\n")
	now := time.Now()
	if r := reaperAt(t, now.Add(48*time.Hour), "plan", "--config", path); r.code != exitOK {
		t.Fatalf("plan with a fast clock: %d\n%s", r.code, r.stderr)
	}
	for i := range 2 {
		r := reaperAt(t, now, "run", "--once", "--config", path)
		if r.code != exitBlocked || !strings.Contains(r.stdout, "BLOCKED by clock") || !strings.Contains(r.stdout, "accept-clock") {
			t.Fatalf("run %d with the clock put right: code %d, want 3 and BLOCKED by clock\n%s%s", i, r.code, r.stdout, r.stderr)
		}
		if n := terminateCount(sim); n != 0 {
			t.Fatalf("run %d: TerminateInstance calls = %d, want 0", i, n)
		}
	}
	latest, err := report.Load(filepath.Join(dir, "reports"), report.Latest)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Blocked == nil || latest.Blocked.Limit != reconcile.LimitClock || latest.Seq != 3 {
		t.Errorf("latest report: seq %d blocked %+v; want the third run, blocked by clock", latest.Seq, latest.Blocked)
	}
	if r := reaper(t, "report", "show", "latest", "--format", "json", "--config", path); !strings.Contains(r.stdout, `"limit":"clock"`) &&
		!strings.Contains(r.stdout, `"limit": "clock"`) {
		t.Errorf("report show latest is not the blocked run:\n%.400s", r.stdout)
	}
	if r := reaperAt(t, now, "state", "accept-clock", "--config", path); r.code != exitUsage {
		t.Errorf("accept-clock without --yes: code %d, want 2", r.code)
	}
	if r := reaperAt(t, now, "state", "accept-clock", "--yes", "--config", path); r.code != exitOK || !strings.Contains(r.stdout, "clock accepted") {
		t.Fatalf("accept-clock: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Accepted: cycles run again. The mark made while the clock was in doubt counts from the
	// last run time (slower, never sooner), so the instance becomes due when that time comes.
	r := reaperAt(t, now.Add(time.Minute), "run", "--once", "--config", path)
	if r.code != exitOK || terminateCount(sim) != 0 || !strings.Contains(r.stdout, "marked 1") {
		t.Fatalf("run after accept-clock: code %d, calls %d; want 0, none and marked 1\n%s%s", r.code, terminateCount(sim), r.stdout, r.stderr)
	}
	r = reaperAt(t, now.Add(48*time.Hour+time.Minute), "run", "--once", "--config", path)
	if r.code != exitOK || terminateCount(sim) != 1 {
		t.Fatalf("run when the mark is due: code %d, calls %d; want 0 and 1\n%s%s", r.code, terminateCount(sim), r.stdout, r.stderr)
	}
	var doc struct {
		Seq uint64 `json:"seq"`
	}
	entries, _ := report.List(filepath.Join(dir, "reports"))
	if b, err := os.ReadFile(filepath.Join(dir, "reports", entries[0].RunID, "report.json")); err != nil || json.Unmarshal(b, &doc) != nil || doc.Seq != 5 {
		t.Errorf("newest report seq = %d (%v), want 5", doc.Seq, err)
	}
}

// TestResetStoreNumbersAfterExistingReports: a fresh store (reset, or restored from an old
// backup) continues the sequence after the reports on disk, so retention keeps the new reports.
func TestResetStoreNumbersAfterExistingReports(t *testing.T) {
	_, url := startSim(t, fleetN(1, healthyInstance))
	path, dir := writeConfig(t, url, testSecret, "report: {dir: reports, formats: [json], keep: 2}\n")
	for range 3 {
		if r := reaper(t, "plan", "--config", path); r.code != exitOK {
			t.Fatalf("plan: %d %s", r.code, r.stderr)
		}
	}
	if r := reaper(t, "state", "reset", "--yes", "--config", path); r.code != exitOK {
		t.Fatalf("reset: %d %s", r.code, r.stderr)
	}
	r := reaper(t, "plan", "--config", path)
	if r.code != exitOK {
		t.Fatalf("plan after reset: %d %s", r.code, r.stderr)
	}
	entries, err := report.List(filepath.Join(dir, "reports"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("reports = %d (%v), want 2", len(entries), err)
	}
	if !strings.Contains(r.stdout, entries[0].RunID) || entries[0].Seq != 4 {
		t.Errorf("newest report %s seq %d; want the run after the reset with seq 4\n%s", entries[0].RunID, entries[0].Seq, r.stdout)
	}
}

// TestPanicExitsOne: a panic inside a command is an internal error: exit 1 with a clear line,
// never Go's exit 2.
func TestPanicExitsOne(t *testing.T) {
	var errOut bytes.Buffer
	code := contain(Env{Stderr: &errOut}, func() int { panic("invalid freelist page: 7") })
	if code != exitFailure || !strings.HasPrefix(errOut.String(), "reaper: internal error: invalid freelist page: 7\n") {
		t.Errorf("code %d, stderr:\n%s", code, errOut.String())
	}
}
