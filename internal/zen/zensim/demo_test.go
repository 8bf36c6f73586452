package zensim

import (
	"net/http"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

func TestDemoFleetScenarios(t *testing.T) {
	f := DemoFleet(t0)
	if n := len(f.Instances); n < 18 || n > 25 {
		t.Fatalf("%d demo instances, want about 20", n)
	}
	byName := map[string]SimInstance{}
	for _, in := range f.Instances {
		byName[in.Name] = in
	}
	get := func(t *testing.T, name string) SimInstance {
		t.Helper()
		in, ok := byName[name]
		if !ok {
			t.Fatalf("no demo instance %q", name)
		}
		return in
	}
	age := func(in SimInstance) time.Duration { return t0.Sub(in.CreatedAt) }
	expiredTag := func(t *testing.T, in SimInstance) {
		t.Helper()
		v := in.Tags["reaper-expires-at"]
		ts, err := time.Parse(time.RFC3339, v)
		if err != nil {
			d, derr := time.Parse(time.DateOnly, v)
			if derr != nil {
				t.Fatalf("%s: reaper-expires-at %q is neither RFC 3339 nor a date", in.Name, v)
			}
			ts = d.Add(24 * time.Hour) // the end of that UTC day
		}
		if !ts.Before(t0) {
			t.Fatalf("%s: reaper-expires-at %q is not in the past", in.Name, v)
		}
	}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"expired RFC 3339", func(t *testing.T) {
			in := get(t, "expired-ci-runner")
			if _, err := time.Parse(time.RFC3339, in.Tags["reaper-expires-at"]); err != nil {
				t.Fatal(err)
			}
			expiredTag(t, in)
		}},
		{"expired date", func(t *testing.T) {
			in := get(t, "expired-date-sandbox")
			if _, err := time.Parse(time.DateOnly, in.Tags["reaper-expires-at"]); err != nil {
				t.Fatal(err)
			}
			expiredTag(t, in)
		}},
		{"ttl exceeded", func(t *testing.T) {
			for name, ttl := range map[string]time.Duration{"ttl-72h-loadtest": 72 * time.Hour, "ttl-7d-staging": 7 * 24 * time.Hour, "ttl-2w-experiment": 14 * 24 * time.Hour} {
				in := get(t, name)
				if in.Tags["reaper-ttl"] == "" || age(in) <= ttl {
					t.Errorf("%s: ttl %q, age %v; want a ttl shorter than the age", name, in.Tags["reaper-ttl"], age(in))
				}
			}
		}},
		{"malformed expiry", func(t *testing.T) {
			v := get(t, "malformed-expiry-tag").Tags["reaper-expires-at"]
			if _, err := time.Parse(time.RFC3339, v); err == nil {
				t.Fatalf("%q parses", v)
			}
			if _, err := time.Parse(time.DateOnly, v); err == nil {
				t.Fatalf("%q parses", v)
			}
		}},
		{"idle and busy old", func(t *testing.T) {
			idle, busy := get(t, "idle-old-build-box"), get(t, "busy-old-web")
			if age(idle) < 7*24*time.Hour || float64(max(idle.Traffic.InBps, idle.Traffic.OutBps))*(1+idle.Traffic.Jitter) >= 100_000 || idle.Traffic.hasGap() {
				t.Errorf("idle: %+v", idle)
			}
			if age(busy) < 7*24*time.Hour || busy.Traffic.InBps < 1_000_000 {
				t.Errorf("busy: %+v", busy)
			}
		}},
		{"failed builds", func(t *testing.T) {
			for name, want := range map[string]zen.Status{"failed-create-old": zen.StatusCreateFailed, "failed-install-old": zen.StatusInstallFailed} {
				if in := get(t, name); in.Status != want || age(in) <= 6*time.Hour {
					t.Errorf("%s: %s, age %v; want %s older than 6h", name, in.Status, age(in), want)
				}
			}
			if in := get(t, "failed-create-young"); in.Status != zen.StatusCreateFailed || age(in) >= 6*time.Hour {
				t.Errorf("young: %s, age %v", in.Status, age(in))
			}
		}},
		{"transient statuses", func(t *testing.T) {
			for name, want := range map[string]zen.Status{
				"installing-new": zen.StatusInstalling, "creating-new": zen.StatusCreating,
				"in-recycle-bin": zen.StatusRecycle, "booting-expired-tag": zen.StatusBooting,
			} {
				if got := get(t, name).Status; got != want {
					t.Errorf("%s: %s, want %s", name, got, want)
				}
			}
		}},
		{"guarded with expired tags", func(t *testing.T) {
			prepaid := get(t, "prepaid-expired-tag")
			if prepaid.ChargeType != zen.ChargePrepaid || prepaid.ExpiresAt == nil || prepaid.PeriodMonths == nil {
				t.Errorf("prepaid: %+v", prepaid)
			}
			if c := get(t, "commitment-expired-tag"); !c.Commitment || c.ChargeType != zen.ChargePostpaid {
				t.Errorf("commitment: %+v", c)
			}
			if get(t, "protected-expired").Tags["reaper-protect"] != "true" || get(t, "keep-expired").Tags["reaper-keep"] != "true" {
				t.Error("protect/keep tags missing")
			}
			for _, n := range []string{"prepaid-expired-tag", "commitment-expired-tag", "protected-expired", "keep-expired", "booting-expired-tag"} {
				expiredTag(t, get(t, n))
			}
		}},
		{"snoozed within and beyond the 30d maximum", func(t *testing.T) {
			in := get(t, "snoozed-expired")
			expiredTag(t, in)
			until, err := time.Parse(time.RFC3339, in.Tags["reaper-snooze-until"])
			if err != nil || !until.After(t0) || until.After(t0.Add(30*24*time.Hour)) {
				t.Errorf("snoozed-expired: reaper-snooze-until %q, want within 30 days after now", in.Tags["reaper-snooze-until"])
			}
			far := get(t, "snoozed-too-far")
			expiredTag(t, far)
			date, err := time.Parse(time.DateOnly, far.Tags["reaper-snooze-until"])
			if err != nil || !date.After(t0.Add(30*24*time.Hour)) {
				t.Errorf("snoozed-too-far: reaper-snooze-until %q, want a date beyond 30 days", far.Tags["reaper-snooze-until"])
			}
		}},
		{"no owner tag, young enough to keep without tags.required", func(t *testing.T) {
			in := get(t, "no-owner-tag")
			if len(in.Tags) != 0 || age(in) >= 7*24*time.Hour || in.Status != zen.StatusRunning {
				t.Errorf("untagged: %+v", in)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

func TestDemoFleetServesAsExpected(t *testing.T) {
	h := newHarness(t)
	h.load(DemoFleet(t0).Instances...)
	byName := map[string]string{}
	for _, in := range h.sim.Instances() {
		byName[in.Name] = in.ID
	}
	// 72 hours of idle traffic, complete, with a p95 under the bundled idle threshold.
	for i := range 3 {
		end := t0.Add(-time.Duration(i) * 24 * time.Hour)
		tr := h.traffic(byName["idle-old-build-box"], end.Add(-24*time.Hour), end)
		if len(tr.DataList) != 288 || tr.In95 >= 100_000 || tr.Out95 >= 100_000 {
			t.Fatalf("idle day %d: %d points, p95 %d/%d", i, len(tr.DataList), tr.In95, tr.Out95)
		}
	}
	if tr := h.traffic(byName["busy-old-web"], t0.Add(-24*time.Hour), t0); tr.In95 < 1_000_000 {
		t.Fatalf("busy p95 %d", tr.In95)
	}
	if tr := h.traffic(byName["stopped-no-traffic"], t0.Add(-24*time.Hour), t0); len(tr.DataList) != 0 {
		t.Fatalf("stopped machine has %d samples", len(tr.DataList))
	}
	h.fail("TerminateInstance", terminate(byName["prepaid-expired-tag"]), http.StatusForbidden, "OPERATION_DENIED_INSTANCE_SUBSCRIPTION")
	h.fail("TerminateInstance", terminate(byName["commitment-expired-tag"]), http.StatusForbidden, "OPERATION_DENIED_POSTPAID_PROMISE")
	h.fail("TerminateInstance", terminate(byName["in-recycle-bin"]), http.StatusForbidden, "OPERATION_DENIED_INSTANCE_RECYCLED")
	h.ok("TerminateInstance", terminate(byName["expired-ci-runner"]), nil)
	h.clock.Advance(18 * time.Hour) // recycled 6h before t0: released now
	h.sim.Tick()
	if _, ok := h.sim.Instance(byName["in-recycle-bin"]); ok {
		t.Fatal("demo recycle-bin instance not released 24h after recycling")
	}
	if got, _ := h.sim.Instance(byName["expired-ci-runner"]); got.Status != zen.StatusRecycle {
		t.Fatalf("terminated demo instance is %s, want RECYCLE until a day has passed", got.Status)
	}
}
