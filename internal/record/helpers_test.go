package record

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/metrics"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
)

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// fakePolicies is the policy set a report names.
type fakePolicies struct{}

func (fakePolicies) Digest() string     { return "sha256:policies" }
func (fakePolicies) Packages() []string { return []string{"reaper.expiry", "reaper.idle"} }

func reason(p, r string) policy.Reason { return policy.Reason{Policy: p, Reason: r} }

func entry(id string, a reconcile.Action, rs ...policy.Reason) reconcile.Entry {
	e := reconcile.Entry{Instance: &zen.Instance{ID: id, Name: "vm-" + id, Zone: "asia-east-1a", Status: zen.StatusRunning,
		ChargeType: zen.ChargePostpaid}, Action: a}
	e.SetTerminate(rs)
	return e
}

// result is a finished cycle of entries.
func result(status reconcile.Status, entries ...reconcile.Entry) *reconcile.Result {
	return &reconcile.Result{RunID: "20261126T080000Z-abcdef", Command: reconcile.CommandRun, StartedAt: t0,
		FinishedAt: t0.Add(42 * time.Second), Status: status, InventoryComplete: true, InventorySize: len(entries), Entries: entries}
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.StateDir = t.TempDir()
	return cfg
}

// scrape returns the exposition text m serves.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// series returns the values of one metric by the value of its only label.
func series(t *testing.T, body, name, label string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), name+"{"+label+`="`)
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(rest, `"} `)
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%s line %q: %v", name, line, err)
		}
		out[k] = int(n)
	}
	return out
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func textLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
