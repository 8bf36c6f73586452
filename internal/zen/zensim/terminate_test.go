package zensim

import (
	"net/http"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

func terminate(id string) map[string]string { return map[string]string{"instanceId": id} }

func TestTerminateRefusals(t *testing.T) {
	tests := []struct {
		name       string
		inst       SimInstance
		wantStatus int
		wantCode   string
	}{
		{"recycle", inst("1", withStatus(zen.StatusRecycle)), 403, "OPERATION_DENIED_INSTANCE_RECYCLED"},
		{"recycling", inst("1", withStatus(zen.StatusRecycling)), 403, "OPERATION_DENIED_INSTANCE_RECYCLED"},
		{"pending", inst("1", withStatus(zen.StatusPending)), 403, "OPERATION_DENIED_INSTANCE_CREATING"},
		{"creating", inst("1", withStatus(zen.StatusCreating)), 403, "OPERATION_DENIED_INSTANCE_CREATING"},
		{"installing", inst("1", withStatus(zen.StatusInstalling)), 403, "OPERATION_DENIED_INSTANCE_STATUS_INSTALLING"},
		{"prepaid", inst("1", func(s *SimInstance) { s.ChargeType = zen.ChargePrepaid }), 403, "OPERATION_DENIED_INSTANCE_SUBSCRIPTION"},
		{"commitment", inst("1", func(s *SimInstance) { s.Commitment = true }), 403, "OPERATION_DENIED_POSTPAID_PROMISE"},
		{"commitment and stopped", inst("1", withStatus(zen.StatusStopped), func(s *SimInstance) { s.Commitment = true }), 403, "OPERATION_DENIED_POSTPAID_PROMISE"},
		{"installing wins over prepaid", inst("1", withStatus(zen.StatusInstalling), func(s *SimInstance) { s.ChargeType = zen.ChargePrepaid }), 403, "OPERATION_DENIED_INSTANCE_STATUS_INSTALLING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.load(tt.inst)
			before, _ := h.sim.Instance("1")
			h.fail("TerminateInstance", terminate("1"), tt.wantStatus, tt.wantCode)
			after, ok := h.sim.Instance("1")
			if !ok || after.Status != before.Status || after.AutoRenew != before.AutoRenew || after.SubscriptionCancelled {
				t.Fatalf("instance changed by a refused terminate: %+v -> %+v", before, after)
			}
		})
	}
}

func TestTerminateNotFoundAndBadRequests(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	h.fail("TerminateInstance", terminate("2"), http.StatusNotFound, "INVALID_INSTANCE_NOT_FOUND")
	h.fail("TerminateInstance", map[string]string{}, http.StatusBadRequest, "MISSING_PARAMETER")
	h.fail("TerminateInstance", []byte(`{"instanceId":1}`), http.StatusBadRequest, "INVALID_PARAMETER")
}

func TestTerminateRecyclesThenReleasesAfter24h(t *testing.T) {
	for _, st := range []zen.Status{zen.StatusRunning, zen.StatusStopped, zen.StatusInstallFailed, zen.StatusBooting, zen.StatusStopping} {
		t.Run(string(st), func(t *testing.T) {
			h := newHarness(t)
			h.load(inst("1", withStatus(st)), inst("2"))
			h.ok("TerminateInstance", terminate("1"), nil)
			got, ok := h.sim.Instance("1")
			if !ok || got.Status != zen.StatusRecycle || got.RecycledAt == nil || !got.RecycledAt.Equal(t0) {
				t.Fatalf("after terminate: %+v, want RECYCLE at %v", got, t0)
			}
			if d := h.describe(map[string]any{"instanceIds": []string{"1"}}); d.TotalCount != 1 {
				t.Fatalf("recycled instance not listed: %+v", d)
			}
			h.fail("TerminateInstance", terminate("1"), http.StatusForbidden, "OPERATION_DENIED_INSTANCE_RECYCLED")

			h.clock.Advance(RecycleRetention - time.Second)
			if d := h.describe(map[string]any{"instanceIds": []string{"1"}}); d.TotalCount != 1 {
				t.Fatalf("released before 24h: %+v", d)
			}
			h.clock.Advance(time.Second)
			if d := h.describe(map[string]any{}); d.TotalCount != 1 || d.DataSet[0].InstanceID != "2" {
				t.Fatalf("after 24h: %+v, want only instance 2", d)
			}
			h.fail("TerminateInstance", terminate("1"), http.StatusNotFound, "INVALID_INSTANCE_NOT_FOUND")
		})
	}
}

func TestTickReleasesWithoutARequest(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", withStatus(zen.StatusRecycle), func(s *SimInstance) { s.RecycledAt = ptr(t0.Add(-time.Hour)) }))
	h.clock.Advance(23 * time.Hour)
	h.sim.Tick()
	if _, ok := h.sim.Instance("1"); ok {
		t.Fatal("instance still present after 24h in the recycle bin and Tick")
	}
}

func TestLoadedRecycleWithoutTimeIsReleasedADayLater(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", withStatus(zen.StatusRecycle)))
	got, _ := h.sim.Instance("1")
	if got.RecycledAt == nil || !got.RecycledAt.Equal(t0) {
		t.Fatalf("RecycledAt %v, want %v", got.RecycledAt, t0)
	}
	h.clock.Advance(RecycleRetention)
	h.sim.Tick()
	if _, ok := h.sim.Instance("1"); ok {
		t.Fatal("instance not released")
	}
}

func TestTerminateCreateFailedDeletesAtOnce(t *testing.T) {
	for _, charge := range []zen.ChargeType{zen.ChargePostpaid, zen.ChargePrepaid} {
		t.Run(string(charge), func(t *testing.T) {
			h := newHarness(t)
			h.load(inst("1", withStatus(zen.StatusCreateFailed), func(s *SimInstance) { s.ChargeType = charge; s.Commitment = true }))
			h.ok("TerminateInstance", terminate("1"), nil)
			if _, ok := h.sim.Instance("1"); ok {
				t.Fatal("CREATE_FAILED instance still present")
			}
			if d := h.describe(map[string]any{"instanceIds": []string{"1"}}); d.TotalCount != 0 {
				t.Fatalf("still listed: %+v", d)
			}
		})
	}
}

func TestTerminatePrepaidCancelsSubscription(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.PrepaidCancels = true })
	expires := t0.Add(10 * 24 * time.Hour)
	h.load(inst("1", func(s *SimInstance) {
		s.ChargeType, s.AutoRenew, s.ExpiresAt, s.PeriodMonths = zen.ChargePrepaid, true, &expires, ptr(1)
	}))
	h.ok("TerminateInstance", terminate("1"), nil)
	got, _ := h.sim.Instance("1")
	if got.Status != zen.StatusRunning || got.AutoRenew || !got.SubscriptionCancelled {
		t.Fatalf("after cancel: status %s autoRenew %v cancelled %v; want RUNNING false true", got.Status, got.AutoRenew, got.SubscriptionCancelled)
	}
	h.ok("TerminateInstance", terminate("1"), nil) // idempotent

	h.clock.Advance(10 * 24 * time.Hour)
	h.sim.Tick()
	got, _ = h.sim.Instance("1")
	if got.Status != zen.StatusRecycle || got.RecycledAt == nil || !got.RecycledAt.Equal(expires) {
		t.Fatalf("at expiry: %+v, want RECYCLE at %v", got, expires)
	}
	h.clock.Advance(RecycleRetention)
	h.sim.Tick()
	if _, ok := h.sim.Instance("1"); ok {
		t.Fatal("not released a day after expiry")
	}
}
