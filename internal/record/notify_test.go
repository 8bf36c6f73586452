package record

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/notify"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func kinds(es []notify.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

func TestEvents(t *testing.T) {
	newMark := entry("m", reconcile.ActionMarked, reason("reaper.idle", "idle"))
	newMark.SetMarks([]reconcile.PolicyMark{{Policy: "reaper.idle", MarkedAt: t0, DueAt: t0.Add(time.Hour), New: true}})
	oldMark := entry("o", reconcile.ActionMarked, reason("reaper.idle", "idle"))
	oldMark.SetMarks([]reconcile.PolicyMark{{Policy: "reaper.idle", MarkedAt: t0.Add(-time.Hour), DueAt: t0.Add(time.Hour)}})
	blocked := func() *reconcile.Result {
		r := result(reconcile.StatusBlocked, entry("b", reconcile.ActionBlocked))
		r.Block = &reconcile.Block{Limit: reconcile.LimitPerRun, Message: "too many"}
		return r
	}
	dry := func(r *reconcile.Result) *reconcile.Result { r.DryRun = true; return r }
	tests := []struct {
		name   string
		res    *reconcile.Result
		newSet bool
		want   []string
	}{
		{"quiet", result(reconcile.StatusOK, entry("k", reconcile.ActionKept)), false, nil},
		{"aborted", result(reconcile.StatusAborted), false, []string{notify.KindFailed}},
		{"failed cycle", result(reconcile.StatusFailed, entry("f", reconcile.ActionFailed)), false, []string{notify.KindFailed}},
		{"blocked", blocked(), false, []string{notify.KindBlocked}},
		{"acting", result(reconcile.StatusOK, entry("t", reconcile.ActionTerminated), entry("u", reconcile.ActionUnconfirmed),
			entry("f", reconcile.ActionFailed)), false, []string{notify.KindTerminated, notify.KindUnconfirmed, notify.KindFailed}},
		{"only new marks are news", result(reconcile.StatusOK, newMark, oldMark), false, []string{notify.KindMarked}},
		{"dry run, new set", dry(result(reconcile.StatusOK, entry("w", reconcile.ActionWouldTerminate))), true, []string{notify.KindDigest}},
		{"dry run, same set", dry(result(reconcile.StatusOK, entry("w", reconcile.ActionWouldTerminate))), false, nil},
		{"acting run has no digest", result(reconcile.StatusOK, entry("w", reconcile.ActionWouldTerminate)), true, nil},
		{"blocked dry run has no digest", dry(blocked()), true, []string{notify.KindBlocked}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kinds(Events(Report(tt.res, testConfig(t), fakePolicies{}), tt.newSet))
			if !slices.Equal(got, tt.want) {
				t.Errorf("events = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEventCarriesRecycleDeadline: a terminated event names each instance's recycle deadline as
// the report derived it, and says where the instances went.
func TestEventCarriesRecycleDeadline(t *testing.T) {
	done := entry("t", reconcile.ActionTerminated, reason("reaper.expiry", "expired"))
	at := t0.Add(30 * time.Second)
	done.SetTerminatedAt(&at)
	done.SetRequestID("req-1")
	failedBuild := entry("c", reconcile.ActionTerminated)
	failedBuild.Instance.Status = zen.StatusCreateFailed
	failedBuild.SetTerminatedAt(&at)
	rep := Report(result(reconcile.StatusOK, done, failedBuild), testConfig(t), fakePolicies{})
	es := Events(rep, false)
	if len(es) != 1 || es[0].Kind != notify.KindTerminated {
		t.Fatalf("events = %v, want one terminated", kinds(es))
	}
	var deadline *time.Time
	for _, in := range rep.All() {
		if in.ID == "t" {
			deadline = in.RecycleDeadline
		}
	}
	if deadline == nil {
		t.Fatal("the report derived no recycle deadline for a terminated pay-as-you-go instance")
	}
	ev := es[0].Instances[0]
	if ev.ID != "t" || ev.RecycleDeadline == nil || !ev.RecycleDeadline.Equal(*deadline) || ev.RequestID != "req-1" ||
		!slices.Equal(ev.Reasons, []string{"reaper.expiry: expired"}) {
		t.Errorf("event instance = %+v, want the report's deadline %v", ev, deadline)
	}
	if want := "1 stays in the recycle bin until its recycle deadline (24 hours after termination), then it is released for good; " +
		"1 was deleted at once (CREATE_FAILED)."; es[0].Text != want {
		t.Errorf("text = %q, want %q", es[0].Text, want)
	}
}

func TestWhereTheyWent(t *testing.T) {
	deadline := t0.Add(24 * time.Hour)
	bin := report.Instance{RecycleDeadline: &deadline}
	prepaid := report.Instance{ChargeType: string(zen.ChargePrepaid)}
	deleted := report.Instance{ChargeType: string(zen.ChargePostpaid)}
	tests := []struct {
		name string
		in   []report.Instance
		want string
	}{
		{"one in the bin", []report.Instance{bin}, "1 stays in the recycle bin until its recycle deadline (24 hours after termination), then it is released for good."},
		{"two in the bin", []report.Instance{bin, bin}, "2 stay in the recycle bin until their recycle deadline (24 hours after termination), then they are released for good."},
		{"deleted", []report.Instance{deleted, deleted}, "2 were deleted at once (CREATE_FAILED)."},
		{"subscription", []report.Instance{prepaid}, "1 had its subscription cancelled and is returned when it expires."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := whereTheyWent(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// memory is an in-memory Memory.
type memory struct {
	m   map[string]string
	err error
}

func (m *memory) Meta(k string) (string, bool, error) { v, ok := m.m[k]; return v, ok, m.err }
func (m *memory) SetMeta(k, v string) error {
	if m.err != nil {
		return m.err
	}
	m.m[k] = v
	return nil
}

// sender keeps what it was asked to send.
type sender struct{ sent []notify.Event }

func (s *sender) Send(_ context.Context, e notify.Event) error {
	s.sent = append(s.sent, e)
	return nil
}

// TestAnnounceDigestOnce: the same dry-run candidate set is announced once; a changed set again.
func TestAnnounceDigestOnce(t *testing.T) {
	s := &sender{}
	a := &Announcer{send: s, memory: &memory{m: map[string]string{}}, log: discard()}
	run := func(ids ...string) {
		var es []reconcile.Entry
		for _, id := range ids {
			es = append(es, entry(id, reconcile.ActionWouldTerminate))
		}
		res := result(reconcile.StatusOK, es...)
		res.DryRun = true
		a.Announce(context.Background(), Report(res, testConfig(t), fakePolicies{}))
	}
	run("1", "2")
	run("2", "1")
	run("1")
	if got := kinds(s.sent); !slices.Equal(got, []string{notify.KindDigest, notify.KindDigest}) {
		t.Errorf("sent %v, want two digests (the second for the changed set)", got)
	}
	if n := len(s.sent[1].Instances); n != 1 {
		t.Errorf("second digest has %d instances, want 1", n)
	}
}

func TestAnnounceDigestMemoryFails(t *testing.T) {
	s := &sender{}
	var logs strings.Builder
	a := &Announcer{send: s, memory: &memory{m: map[string]string{}, err: errors.New("disk full")}, log: textLogger(&logs)}
	res := result(reconcile.StatusOK, entry("1", reconcile.ActionWouldTerminate))
	res.DryRun = true
	a.Announce(context.Background(), Report(res, testConfig(t), fakePolicies{}))
	if got := kinds(s.sent); !slices.Equal(got, []string{notify.KindDigest}) {
		t.Errorf("sent %v, want the digest even when it cannot be remembered", got)
	}
	if !strings.Contains(logs.String(), "candidate digest not saved") {
		t.Errorf("logs = %q, want a warning", logs.String())
	}
}
