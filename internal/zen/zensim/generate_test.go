package zensim

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := Generate(500, 9, t0), Generate(500, 9, t0), Generate(500, 10, t0)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different fleets:\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Fatal("different seeds, same fleet")
	}
	if n := len(Generate(0, 1, t0).Instances); n != 0 {
		t.Fatalf("Generate(0) gave %d instances", n)
	}
}

func TestGenerateLargeFleetIsRealistic(t *testing.T) {
	const n = 100_000
	f := Generate(n, 1, t0)
	if len(f.Instances) != n {
		t.Fatalf("%d instances, want %d", len(f.Instances), n)
	}
	if err := f.validate(); err != nil {
		t.Fatalf("generated fleet invalid: %v", err)
	}
	idPattern := regexp.MustCompile(`^[1-9][0-9]{17}$`)
	count := map[string]int{}
	statuses := map[zen.Status]int{}
	zones := map[string]bool{}
	publicIPs := map[string]bool{}
	for _, in := range f.Instances {
		if !idPattern.MatchString(in.ID) {
			t.Fatalf("id %q is not 18 digits", in.ID)
		}
		age := t0.Sub(in.CreatedAt)
		if age <= 0 || age > 401*24*time.Hour {
			t.Fatalf("%s created %v ago, want within ~400 days", in.ID, age)
		}
		statuses[in.Status]++
		zones[in.Zone] = true
		publicIPs[in.PublicIPs[0]] = true
		if in.ChargeType == zen.ChargePrepaid {
			count["prepaid"]++
			if in.ExpiresAt == nil || !in.ExpiresAt.After(t0) || in.PeriodMonths == nil {
				t.Fatalf("prepaid %s without a future expiry and period: %+v", in.ID, in)
			}
		}
		if in.Commitment {
			count["commitment"]++
		}
		if in.Traffic.InBps < 20_000 && in.Traffic.OutBps < 20_000 {
			count["idle"]++
		}
		if in.Status == zen.StatusRecycle && (in.RecycledAt == nil || t0.Sub(*in.RecycledAt) >= RecycleRetention) {
			t.Fatalf("recycled %s would already be released: %v", in.ID, in.RecycledAt)
		}
		for _, k := range []string{"owner", "env", "reaper-expires-at", "reaper-ttl", "reaper-keep", "reaper-protect"} {
			if _, ok := in.Tags[k]; ok {
				count[k]++
			}
		}
	}
	pct := func(v int) float64 { return 100 * float64(v) / n }
	checks := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"RUNNING", pct(statuses[zen.StatusRunning]), 83, 87},
		{"STOPPED", pct(statuses[zen.StatusStopped]), 6, 10},
		{"PREPAID", pct(count["prepaid"]), 9, 11},
		{"idle", pct(count["idle"]), 13, 17},
		{"commitment", pct(count["commitment"]), 3, 6},
		{"owner tag", pct(count["owner"]), 85, 95},
		{"reaper-expires-at", pct(count["reaper-expires-at"]), 4, 7},
		{"reaper-ttl", pct(count["reaper-ttl"]), 3, 5},
		{"reaper-keep", pct(count["reaper-keep"]), 1, 3},
		{"reaper-protect", pct(count["reaper-protect"]), 0.5, 1.5},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s: %.2f%%, want %v..%v%%", c.name, c.got, c.lo, c.hi)
		}
	}
	for _, st := range []zen.Status{zen.StatusCreateFailed, zen.StatusInstallFailed, zen.StatusInstalling, zen.StatusCreating, zen.StatusRecycle, zen.StatusBooting} {
		if statuses[st] == 0 {
			t.Errorf("no %s instances", st)
		}
	}
	if len(zones) < 4 || len(publicIPs) != n {
		t.Errorf("%d zones and %d distinct public IPs, want >= 4 and %d", len(zones), len(publicIPs), n)
	}
	h := newHarness(t)
	h.load(f.Instances...)
	if d := h.describe(map[string]any{"pageSize": 1000, "pageNum": 100}); d.TotalCount != n || len(d.DataSet) != 1000 {
		t.Fatalf("describe over the generated fleet: total %d, page %d", d.TotalCount, len(d.DataSet))
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		Generate(100_000, 1, t0)
	}
}
