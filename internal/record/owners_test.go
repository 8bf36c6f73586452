package record

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/notify"
	"github.com/reaper-bmc/reaper/internal/notify/smtptest"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

const ownerSMTPPassword = "0wner-SMTP-Secret-77"

// hook is a webhook endpoint that keeps every generic owner digest it accepts and can be made to
// fail (503).
type hook struct {
	srv     *httptest.Server
	mu      sync.Mutex
	failing bool
	posts   int
	got     []map[string]any
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.posts++
		if h.failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var doc map[string]any
		if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
			t.Errorf("webhook: %v", err)
		}
		h.got = append(h.got, doc)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) fail(on bool) { h.mu.Lock(); h.failing = on; h.mu.Unlock() }

// take returns the digests accepted since the last call, as "owner: kind=ids" lines, sorted.
func (h *hook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, d := range h.got {
		out = append(out, digestLine(d))
	}
	h.got = nil
	slices.Sort(out)
	return out
}

func digestLine(d map[string]any) string {
	line := d["owner"].(string) + ":"
	for _, k := range []string{"marked", "reminders", "terminated"} {
		var ids []string
		for _, in := range d[k].([]any) {
			ids = append(ids, in.(map[string]any)["id"].(string))
		}
		if len(ids) > 0 {
			line += " " + k + "=" + strings.Join(ids, ",")
		}
	}
	return line
}

// mails returns the recipients and subjects of the messages accepted since index from.
func mails(srv *smtptest.Server, from int) []string {
	var out []string
	for _, m := range srv.Messages()[from:] {
		out = append(out, strings.Join(m.To, ",")+": "+string(subject(m.Data)))
	}
	return out
}

func subject(data []byte) []byte {
	for line := range bytes.Lines(data) {
		if s, ok := bytes.CutPrefix(line, []byte("Subject: ")); ok {
			return bytes.TrimSpace(s)
		}
	}
	return nil
}

type ownersHarness struct {
	team, operator *hook
	smtp           *smtptest.Server
	store          *state.Store
	ann            *Announcer
	cfg            *config.Config
	logs           *bytes.Buffer
}

func newOwnersHarness(t *testing.T) *ownersHarness {
	t.Helper()
	h := &ownersHarness{team: newHook(t), operator: newHook(t), logs: &bytes.Buffer{},
		smtp: smtptest.Start(t, smtptest.Options{Username: "reaper", Password: ownerSMTPPassword})}
	st, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h.store = st
	h.cfg = testConfig(t)
	h.cfg.Notify.WebhookURL = config.Secret(h.operator.srv.URL + "/operator")
	h.cfg.Notify.Owners.Routes = []config.OwnerRoute{
		{Match: "team-*", WebhookURL: config.Secret(h.team.srv.URL + "/team"), Format: "generic"},
		{Match: "*@example.test", Email: true},
	}
	h.cfg.Notify.Owners.SMTP = config.SMTP{Host: h.smtp.Host, Port: h.smtp.Port, From: "reaper@example.test",
		Username: "reaper", Password: ownerSMTPPassword, StartTLS: true}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.ann = newAnnouncer(h.cfg.Notify, st, log, OwnerOptions{
		Notify: notify.Options{MaxAttempts: 1},
		Mail:   notify.MailOptions{TLSConfig: &tls.Config{RootCAs: h.smtp.RootCAs}},
	})
	// The operator channel's own events are not what these tests count.
	h.ann.send = nil
	return h
}

// cycle records a result in mode at t0+offset.
func (h *ownersHarness) cycle(t *testing.T, mode string, offset time.Duration, entries ...reconcile.Entry) {
	t.Helper()
	res := result(reconcile.StatusOK, entries...)
	res.StartedAt, res.FinishedAt = t0.Add(offset), t0.Add(offset+time.Minute)
	res.RunID = "run-" + strconv.FormatInt(int64(offset/time.Minute), 10)
	res.Permissions = reconcile.Permit(mode, false, reconcile.CommandRun)
	res.DryRun = res.Permissions.DryRun()
	if _, err := New(Options{Config: h.cfg, Policies: fakePolicies{}, Announcer: h.ann, Logger: discard()}).Record(context.Background(), res); err != nil {
		t.Fatalf("Record: %v", err)
	}
}

func owned(e reconcile.Entry, tags ...zen.Tag) reconcile.Entry {
	e.Instance.TagList = tags
	return e
}

func tag(k, v string) zen.Tag { return zen.Tag{Key: k, Value: v} }

// candidate is an entry marked by reaper.idle at markedAt and due at dueAt.
func candidate(id string, a reconcile.Action, markedAt, dueAt time.Time, tags ...zen.Tag) reconcile.Entry {
	e := owned(entry(id, a, reason("reaper.idle", "idle for 7d")), tags...)
	e.SetMarkedAt(&markedAt)
	e.SetDueAt(&dueAt)
	e.SetMarks([]reconcile.PolicyMark{{Policy: "reaper.idle", MarkedAt: markedAt, DueAt: dueAt}})
	return e
}

func terminated(id string, at time.Time, tags ...zen.Tag) reconcile.Entry {
	e := owned(entry(id, reconcile.ActionTerminated, reason("reaper.idle", "idle for 7d")), tags...)
	e.SetTerminatedAt(&at)
	return e
}

// TestOwnerNoticesRoutingAndExactlyOnce drives the record step through cycles against real
// servers: an operator and a team webhook, and an SMTP server with STARTTLS and AUTH. It proves
// routing (globs, case, first match, unrouted to the operator, no owner no notice), one digest per
// owner per cycle, each event exactly once across cycles, and retry without duplicates through a
// failing-then-recovering webhook and SMTP server.
func TestOwnerNoticesRoutingAndExactlyOnce(t *testing.T) {
	h := newOwnersHarness(t)
	day := 24 * time.Hour
	fleet := []reconcile.Entry{
		candidate("1", reconcile.ActionMarked, t0, t0.Add(2*day), tag("owner", "team-a")),
		candidate("2", reconcile.ActionWouldTerminate, t0.Add(-3*day), t0.Add(-time.Hour), tag(" OWNER ", " Team-A ")),
		candidate("3", reconcile.ActionMarked, t0, t0.Add(2*time.Hour), tag("owner", "alice@example.test")),
		candidate("4", reconcile.ActionMarked, t0, t0.Add(2*day), tag("owner", "bob")),
		candidate("5", reconcile.ActionMarked, t0, t0.Add(2*day)),
		candidate("6", reconcile.ActionMarked, t0, t0.Add(2*day), tag("owner", "team-b"), tag("Owner", "alice@example.test")),
		owned(entry("7", reconcile.ActionKept), tag("owner", "team-a")),
	}
	h.cycle(t, reconcile.ModeMark, 0, fleet...)
	if got, want := h.team.take(), []string{"team-a: marked=1,2", "team-b: marked=6"}; !slices.Equal(got, want) {
		t.Errorf("cycle 1 team digests = %q, want %q", got, want)
	}
	if got, want := h.operator.take(), []string{"bob: marked=4"}; !slices.Equal(got, want) {
		t.Errorf("cycle 1 operator digests = %q, want %q", got, want)
	}
	if got, want := mails(h.smtp, 0), []string{"alice@example.test: reaper: your instances: 1 marked"}; !slices.Equal(got, want) {
		t.Errorf("cycle 1 mails = %q, want %q", got, want)
	}

	// The same fleet again: every event was delivered, nothing is sent.
	h.cycle(t, reconcile.ModeMark, 30*time.Minute, fleet...)
	if got := append(h.team.take(), h.operator.take()...); len(got) != 0 || len(h.smtp.Messages()) != 1 {
		t.Errorf("cycle 2 sent again: %q, %d mails", got, len(h.smtp.Messages()))
	}

	// A day later instances 1, 4 and 6 are due within remind_before (24h): one reminder each (3
	// had its reminder folded into its first notice, 2 too). Instances 1 and 3 are
	// then terminated while the team webhook and the SMTP server fail.
	h.cycle(t, reconcile.ModeMark, day+time.Hour, fleet...)
	if got, want := h.team.take(), []string{"team-a: reminders=1", "team-b: reminders=6"}; !slices.Equal(got, want) {
		t.Errorf("cycle 3 team digests = %q, want %q", got, want)
	}
	if got, want := h.operator.take(), []string{"bob: reminders=4"}; !slices.Equal(got, want) {
		t.Errorf("cycle 3 operator digests = %q, want %q", got, want)
	}
	if n := len(h.smtp.Messages()); n != 1 {
		t.Errorf("cycle 3: %d mails in all, want still 1", n)
	}
	h.team.fail(true)
	h.smtp.FailNext(1)
	postsBefore, attemptsBefore := h.team.posts, h.smtp.Attempts()
	gone := t0.Add(2*day + time.Hour)
	rest := []reconcile.Entry{terminated("1", gone, tag("owner", "team-a")), terminated("3", gone, tag("owner", "alice@example.test"))}
	h.cycle(t, reconcile.ModeEnforce, 2*day+time.Hour, rest...)
	if h.team.posts != postsBefore+1 || h.smtp.Attempts() != attemptsBefore+1 || len(h.smtp.Messages()) != 1 {
		t.Fatalf("cycle 4: %d webhook posts and %d SMTP attempts, want one each, none accepted", h.team.posts-postsBefore, h.smtp.Attempts()-attemptsBefore)
	}

	// Recovered: the terminations go out once, in the next cycle, though the instances are gone.
	h.team.fail(false)
	h.cycle(t, reconcile.ModeEnforce, 2*day+90*time.Minute)
	if got, want := h.team.take(), []string{"team-a: terminated=1"}; !slices.Equal(got, want) {
		t.Errorf("cycle 5 team digests = %q, want %q", got, want)
	}
	if got, want := mails(h.smtp, 1), []string{"alice@example.test: reaper: your instances: 1 terminated"}; !slices.Equal(got, want) {
		t.Errorf("cycle 5 mails = %q, want %q", got, want)
	}
	msg := string(h.smtp.Messages()[1].Data)
	if !strings.Contains(msg, "in the recycle bin until: 2026-11-29 09:00 UTC") {
		t.Errorf("the termination mail lacks the recycle deadline:\n%s", msg)
	}
	h.cycle(t, reconcile.ModeEnforce, 3*day)
	if got := h.team.take(); len(got) != 0 || len(h.smtp.Messages()) != 2 {
		t.Errorf("cycle 6 sent again: %q, %d mails", got, len(h.smtp.Messages()))
	}
	if strings.Contains(h.logs.String(), ownerSMTPPassword) {
		t.Errorf("the SMTP password is in the logs")
	}
	if !strings.Contains(h.logs.String(), "owner notice not delivered; retried next cycle") {
		t.Errorf("the failed delivery was not logged:\n%s", h.logs.String())
	}
}

// TestOwnerNoticesNeverInDryRun: a dry-run cycle and a plan send nothing and remember nothing,
// so the first cycle allowed to send notices sends them.
func TestOwnerNoticesNeverInDryRun(t *testing.T) {
	h := newOwnersHarness(t)
	fleet := []reconcile.Entry{
		candidate("1", reconcile.ActionMarked, t0, t0.Add(time.Hour), tag("owner", "team-a")),
		candidate("2", reconcile.ActionMarked, t0, t0.Add(time.Hour), tag("owner", "alice@example.test")),
		candidate("3", reconcile.ActionMarked, t0, t0.Add(time.Hour), tag("owner", "bob")),
	}
	h.cycle(t, reconcile.ModeDryRun, 0, fleet...)
	res := result(reconcile.StatusOK, fleet...)
	res.RunID = "plan"
	res.Command, res.Permissions = reconcile.CommandPlan, reconcile.Permit(reconcile.ModeEnforce, false, reconcile.CommandPlan)
	if _, err := New(Options{Config: h.cfg, Policies: fakePolicies{}, Announcer: h.ann, Logger: discard()}).Record(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	if h.team.posts+h.operator.posts != 0 || h.smtp.Attempts() != 0 {
		t.Fatalf("dry-run or plan sent: %d webhook posts, %d mails", h.team.posts+h.operator.posts, h.smtp.Attempts())
	}
	if _, ok, err := h.store.Meta(ownersKey); ok || err != nil {
		t.Errorf("dry-run remembered owner events (ok %v, err %v)", ok, err)
	}
	h.cycle(t, reconcile.ModeMark, time.Minute, fleet...)
	if h.team.posts != 1 || h.operator.posts != 1 || len(h.smtp.Messages()) != 1 {
		t.Errorf("mark mode: %d team posts, %d operator posts, %d mails; want 1 each", h.team.posts, h.operator.posts, len(h.smtp.Messages()))
	}
}

func TestOwnerOf(t *testing.T) {
	tests := []struct {
		tags []zen.Tag
		want string
	}{
		{nil, ""},
		{[]zen.Tag{tag("team", "x")}, ""},
		{[]zen.Tag{tag(" Owner ", "  alice  ")}, "alice"},
		{[]zen.Tag{tag("owner", "first"), tag("OWNER", "second")}, "first"},
		{[]zen.Tag{tag("owner", " "), tag("owner", "second")}, ""},
	}
	for _, tt := range tests {
		if got := OwnerOf(tt.tags, "owner"); got != tt.want {
			t.Errorf("OwnerOf(%v) = %q, want %q", tt.tags, got, tt.want)
		}
	}
}
