package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/notify"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
)

// digestKey is where the last announced candidate set is remembered, so the same set is not
// announced twice.
const digestKey = "notify.candidate_digest"

// announceTimeout bounds all webhook sends of one cycle. Sends happen after the cycle acted, so a
// failing webhook never fails or delays an action.
const announceTimeout = 30 * time.Second

// announcer derives webhook events from a finished cycle's report.
type announcer struct {
	n     *notify.Notifier
	store state.Backend
	log   *slog.Logger
}

// newAnnouncer returns nil when no webhook is configured or it cannot be set up (logged).
func newAnnouncer(cfg *config.Config, store state.Backend, log *slog.Logger) *announcer {
	if cfg.Notify.WebhookURL == "" {
		return nil
	}
	n, err := notify.New(notify.Options{URL: cfg.Notify.WebhookURL.Reveal(), Format: cfg.Notify.Format, Logger: log})
	if err != nil {
		log.Error("notifications disabled", "error", err)
		return nil
	}
	return &announcer{n: n, store: store, log: log}
}

// announce sends the events a run calls for: failed or blocked cycles, terminations, new marks,
// and a digest when the candidate set changed.
func (a *announcer) announce(ctx context.Context, r *report.Run) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	for _, e := range a.events(r) {
		if err := a.n.Send(ctx, e); err != nil {
			a.log.Warn("notification not delivered", "kind", e.Kind, "run_id", r.RunID, "error", err)
		}
	}
}

func (a *announcer) events(r *report.Run) []notify.Event {
	base := notify.Event{RunID: r.RunID, DryRun: r.DryRun, At: r.FinishedAt}
	var out []notify.Event
	add := func(kind, title, text string, in []report.Instance) {
		e := base
		e.Kind, e.Title, e.Text, e.Instances = kind, title, text, eventInstances(in)
		out = append(out, e)
	}
	switch {
	case r.Result == report.ResultAborted || r.Result == report.ResultFailed:
		add("failed", "reaper cycle "+r.Result, r.Error, pick(r, report.ActionFailed))
	case r.Blocked != nil:
		add("blocked", "reaper cycle blocked by "+r.Blocked.Limit, r.Blocked.Message+". Nothing was terminated.", pick(r, report.ActionBlocked))
	}
	if t := pick(r, report.ActionTerminated); len(t) > 0 {
		add("terminated", fmt.Sprintf("reaper terminated %d instances", len(t)), whereTheyWent(t), t)
	}
	if u := pick(r, report.ActionUnconfirmed); len(u) > 0 {
		add("unconfirmed", fmt.Sprintf("%d terminations did not take", len(u)),
			"The API accepted them, but the instances were still there afterwards. They are not counted as terminated "+
				"and are not called again before safety.unconfirmed_retry_after; check them in the Zenlayer console.", u)
	}
	if f := pick(r, report.ActionFailed); len(f) > 0 && r.Result == report.ResultOK {
		add("failed", fmt.Sprintf("%d terminations failed", len(f)), "See the report for the errors.", f)
	}
	if m := newlyMarked(r); len(m) > 0 {
		add("marked", fmt.Sprintf("%d new termination candidates", len(m)), "They become due after the grace period.", m)
	}
	if d, ok := a.digest(r); ok {
		add("digest", fmt.Sprintf("dry-run: %d instances would be terminated", len(d)), "The candidate set changed.", d)
	}
	return out
}

// digest returns the would-terminate set when it differs from the last one announced.
func (a *announcer) digest(r *report.Run) ([]report.Instance, bool) {
	if !r.DryRun || r.Result != report.ResultOK {
		return nil, false
	}
	set := pick(r, report.ActionWouldTerminate)
	ids := make([]string, len(set))
	for i, in := range set {
		ids[i] = in.ID
	}
	d := notify.CandidateDigest(ids)
	if last, ok, err := a.store.Meta(digestKey); err == nil && ok && last == d {
		return nil, false
	}
	if err := a.store.SetMeta(digestKey, d); err != nil {
		a.log.Warn("candidate digest not saved", "error", err)
	}
	return set, len(set) > 0
}

func pick(r *report.Run, action string) []report.Instance {
	var out []report.Instance
	for _, in := range r.Instances {
		if in.Action == action {
			out = append(out, in)
		}
	}
	return out
}

// newlyMarked returns the instances inside their grace period that some policy marked in this
// run: a first candidacy, and also a policy that joins an instance another policy had already
// marked (its own grace period starts, so it is news). Whether a mark is new is what the cycle
// says, not read from times: a mark made while the clock was in doubt starts at the last run
// time, after the start of the cycles that follow, and is news only once.
func newlyMarked(r *report.Run) []report.Instance {
	var out []report.Instance
	for _, in := range r.Instances {
		if in.Action != report.ActionMarked {
			continue
		}
		if slices.ContainsFunc(in.Marks, func(m report.Mark) bool { return m.New }) {
			out = append(out, in)
		}
	}
	return out
}

func eventInstances(in []report.Instance) []notify.EventInstance {
	out := make([]notify.EventInstance, len(in))
	for i, x := range in {
		rs := make([]string, len(x.Reasons))
		for k, r := range x.Reasons {
			rs[k] = r.Policy + ": " + r.Reason
		}
		out[i] = notify.EventInstance{ID: x.ID, Name: x.Name, Action: x.Action, Reasons: rs, DueAt: x.DueAt,
			RequestID: x.RequestID, RecycleDeadline: x.RecycleDeadline}
	}
	return out
}

// whereTheyWent says what became of terminated instances, as the report's recycle deadlines say:
// only those with a deadline wait in the recycle bin (each event instance carries its own).
func whereTheyWent(t []report.Instance) string {
	var bin, deleted, cancelled int
	for _, in := range t {
		switch {
		case in.RecycleDeadline != nil:
			bin++
		case in.ChargeType == "PREPAID":
			cancelled++
		default:
			deleted++
		}
	}
	var parts []string
	if bin > 0 {
		parts = append(parts, fmt.Sprintf("%d %s in the recycle bin until %s recycle deadline (24 hours after termination), then %s released for good",
			bin, plural(bin, "stays", "stay"), plural(bin, "its", "their"), plural(bin, "it is", "they are")))
	}
	if deleted > 0 {
		parts = append(parts, fmt.Sprintf("%d %s deleted at once (CREATE_FAILED)", deleted, plural(deleted, "was", "were")))
	}
	if cancelled > 0 {
		parts = append(parts, fmt.Sprintf("%d had %s subscription cancelled and %s",
			cancelled, plural(cancelled, "its", "their"), plural(cancelled, "is returned when it expires", "are returned when they expire")))
	}
	return strings.Join(parts, "; ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
