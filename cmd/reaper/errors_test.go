package main

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// repeatedSegment returns the first ": "-separated segment of msg that occurs twice in a row or
// anywhere again ("read marks: read marks:", "zen: ... zen: ..."), or "" when none does.
func repeatedSegment(msg string) string {
	seen := map[string]bool{}
	for seg := range strings.SplitSeq(msg, ": ") {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		if seen[seg] {
			return seg
		}
		seen[seg] = true
	}
	return ""
}

func TestRepeatedSegment(t *testing.T) {
	for msg, want := range map[string]string{
		"read marks: read marks: boom":             "read marks",
		"zen: inventory: zen: DescribeInstances":   "zen",
		"plan: inventory: list instances: refused": "",
	} {
		if got := repeatedSegment(msg); got != want {
			t.Errorf("repeatedSegment(%q) = %q, want %q", msg, got, want)
		}
	}
}

// refusedURL is a loopback URL nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	return url
}

// errorLines are the lines of stderr that are not JSON log records: what reaper prints as errors.
func errorLines(stderr string) []string {
	var out []string
	for l := range strings.Lines(stderr) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "{") {
			out = append(out, l)
		}
	}
	return out
}

// TestPlanRefusedConnection: `reaper plan` against an endpoint that refuses connections says so
// once (on stderr, not also on stdout or in the log), names zenlayer.endpoint, does not call
// the failure an inconsistent listing, and repeats no phrase.
func TestPlanRefusedConnection(t *testing.T) {
	path, _ := writeConfig(t, refusedURL(t), testSecret, "")
	r := reaper(t, "plan", "--config", path)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitFailure, r.stdout, r.stderr)
	}
	const cause = "connection refused"
	if n := strings.Count(r.stdout+r.stderr, cause); n != 1 {
		t.Errorf("%q printed %d times, want once\nstdout: %s\nstderr: %s", cause, n, r.stdout, r.stderr)
	}
	lines := errorLines(r.stderr)
	if len(lines) != 1 {
		t.Fatalf("error lines on stderr = %q, want exactly one", lines)
	}
	msg := lines[0]
	for _, want := range []string{"reaper: plan: ", "zenlayer.endpoint", cause} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "inconsistent") || strings.Contains(msg, "integrity") {
		t.Errorf("error %q calls a failed connection an inconsistent listing", msg)
	}
	if seg := repeatedSegment(msg); seg != "" {
		t.Errorf("error %q repeats %q", msg, seg)
	}
}

// TestFailedPageIsNotInconsistent: a page that failed (refused, 5xx, timeout, an API error) is
// reported as failed, never as an inconsistent listing; only integrity failures are.
func TestFailedPageIsNotInconsistent(t *testing.T) {
	page := func(err error) error {
		return fmt.Errorf("inventory: %w", fmt.Errorf("list instances: %w",
			&zen.IntegrityError{Kind: zen.IntegrityPageFailed, Reason: "page failed", Page: 2, Err: err}))
	}
	for _, tc := range []struct {
		name         string
		err          error
		inconsistent bool
		mention      string
	}{
		{"500", page(&zen.APIError{Action: "DescribeInstances", HTTPStatus: 500, Code: zen.CodeInternalServerError}), false, "page 2"},
		{"timeout", page(&zen.NetworkError{Action: "DescribeInstances", Timeout: true, Err: errors.New("i/o timeout")}), false, "zenlayer.timeout"},
		{"reset", page(&zen.NetworkError{Action: "DescribeInstances", Reset: true, Err: errors.New("read: connection reset by peer")}), false, "zenlayer.endpoint"},
		{"refused", page(&zen.NetworkError{Action: "DescribeInstances", Err: errors.New("connect: connection refused")}), false, "zenlayer.endpoint"},
		{"stopped", fmt.Errorf("inventory: %w", &zen.IntegrityError{Kind: zen.IntegrityPageFailed, Reason: "listing stopped before every page was fetched"}), false, "stopped"},
		{"total changed", fmt.Errorf("inventory: %w", &zen.IntegrityError{Kind: zen.IntegrityTotalChanged, Reason: "totalCount changed from 3 to 4", Page: 2}), true, "totalCount"},
		{"duplicate", fmt.Errorf("inventory: %w", &zen.IntegrityError{Kind: zen.IntegrityDuplicateID, Reason: "instanceId x seen twice"}), true, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := apiError("plan", tc.err).Error()
			if got := strings.Contains(msg, "inconsistent"); got != tc.inconsistent {
				t.Errorf("%q: says inconsistent = %v, want %v", msg, got, tc.inconsistent)
			}
			if !strings.Contains(msg, tc.mention) {
				t.Errorf("%q does not mention %q", msg, tc.mention)
			}
			if seg := repeatedSegment(msg); seg != "" {
				t.Errorf("%q repeats %q", msg, seg)
			}
		})
	}
}

// TestPlanFailedPageAtSimulator: a listing whose page the API refuses (here a non-retryable
// 400, so no backoff) is reported as a failed page with the API's code, not as inconsistent.
func TestPlanFailedPageAtSimulator(t *testing.T) {
	sim, url := startSim(t, fleetN(3, healthyInstance))
	sim.SetFault("DescribeInstances", zensim.Fault{HTTPStatus: 400, Code: "INVALID_PARAMETER"})
	path, _ := writeConfig(t, url, testSecret, "")
	r := reaper(t, "plan", "--config", path)
	lines := errorLines(r.stderr)
	if r.code != exitFailure || len(lines) != 1 {
		t.Fatalf("exit %d, error lines %q; want exit 1 and one error line\nstdout: %s", r.code, lines, r.stdout)
	}
	msg := lines[0]
	if strings.Contains(msg, "inconsistent") || !strings.Contains(msg, "INVALID_PARAMETER") {
		t.Errorf("error %q: want the API's code, not an inconsistent listing", msg)
	}
	if seg := repeatedSegment(msg); seg != "" {
		t.Errorf("error %q repeats %q", msg, seg)
	}
	if strings.Contains(r.stdout, "INVALID_PARAMETER") {
		t.Errorf("error printed on stdout too:\n%s", r.stdout)
	}
}

// TestReportWriteErrorSaidOnce: a report that cannot be written fails the command with one line
// that says "write report" once, and nothing else (no log record) says it again.
func TestReportWriteErrorSaidOnce(t *testing.T) {
	_, url := startSim(t, fleetN(2, healthyInstance))
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path, _ := writeConfig(t, url, testSecret, "")
	r := reaper(t, "plan", "--config", path, "--report-dir", filepath.Join(blocker, "reports"))
	lines := errorLines(r.stderr)
	if r.code != exitFailure || len(lines) != 1 {
		t.Fatalf("exit %d, error lines %q; want exit 1 and one error line", r.code, lines)
	}
	if n := strings.Count(r.stdout+r.stderr, "write report"); n != 1 {
		t.Errorf("\"write report\" printed %d times, want once\nstdout: %s\nstderr: %s", n, r.stdout, r.stderr)
	}
	if seg := repeatedSegment(lines[0]); seg != "" {
		t.Errorf("error %q repeats %q", lines[0], seg)
	}
}

// TestReportDirErrorNamesReportDir: a report directory that cannot be read is reported as such
// (naming report.dir), not as a failure to open the state.
func TestReportDirErrorNamesReportDir(t *testing.T) {
	_, url := startSim(t, fleetN(2, healthyInstance))
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path, _ := writeConfig(t, url, testSecret, "report: {dir: "+filepath.Join(blocker, "reports")+"}\n")
	r := reaper(t, "plan", "--config", path)
	lines := errorLines(r.stderr)
	if r.code != exitFailure || len(lines) != 1 {
		t.Fatalf("exit %d, error lines %q; want exit 1 and one error line", r.code, lines)
	}
	if msg := lines[0]; !strings.Contains(msg, "report.dir") || strings.Contains(msg, "open state") {
		t.Errorf("error %q: want it to name report.dir, not the state", msg)
	}
}
