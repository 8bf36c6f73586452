package record

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/notify"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// digestKey is where the last announced candidate set is remembered, so the same set is not
// announced twice.
const digestKey = "notify.candidate_digest"

// announceTimeout bounds all webhook sends of one cycle. Sends happen after the cycle acted, so a
// failing webhook never fails or delays an action.
const announceTimeout = 30 * time.Second

// Memory remembers small values between cycles (*state.Store).
type Memory interface {
	Meta(key string) (value string, ok bool, err error)
	SetMeta(key, value string) error
}

// Sender delivers one event (*notify.Notifier).
type Sender interface {
	Send(ctx context.Context, e notify.Event) error
}

// Announcer derives notification events from a finished cycle's report and sends them to the
// operator channel, and the owner notices to the owners (see Owners).
type Announcer struct {
	send   Sender // nil when only owner notices are configured
	owners *Owners
	memory Memory
	log    *slog.Logger
}

// NewAnnouncer returns the announcer of the webhook and owner notices in cfg, or nil when neither
// is configured. A webhook that cannot be set up is logged and left out: a broken webhook never
// stops the cycles.
func NewAnnouncer(cfg config.Notify, memory Memory, log *slog.Logger) *Announcer {
	return newAnnouncer(cfg, memory, log, OwnerOptions{})
}

func newAnnouncer(cfg config.Notify, memory Memory, log *slog.Logger, opts OwnerOptions) *Announcer {
	a := &Announcer{memory: memory, log: log, owners: NewOwners(cfg, memory, log, opts)}
	if cfg.WebhookURL != "" {
		n, err := notify.New(notify.Options{URL: cfg.WebhookURL.Reveal(), Format: cfg.Format, Logger: log})
		if err != nil {
			log.Error("notifications disabled", "error", err)
		} else {
			a.send = n
		}
	}
	if a.send == nil && a.owners == nil {
		return nil
	}
	return a
}

// Announce sends the events a run calls for (see Events) to the operator channel. A failed
// delivery is logged.
func (a *Announcer) Announce(ctx context.Context, r *report.Run) {
	if a.send == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	for _, e := range Events(r, a.newCandidateSet(r)) {
		if err := a.send.Send(ctx, e); err != nil {
			a.log.Warn("notification not delivered", "kind", e.Kind, "run_id", r.RunID, "error", err)
		}
	}
}

// newCandidateSet reports whether the run's would-terminate set differs from the last one
// announced, and remembers it.
func (a *Announcer) newCandidateSet(r *report.Run) bool {
	if !digestRun(r) {
		return false
	}
	d := notify.CandidateDigest(ids(pick(r, reconcile.ActionWouldTerminate)))
	if last, ok, err := a.memory.Meta(digestKey); err == nil && ok && last == d {
		return false
	}
	if err := a.memory.SetMeta(digestKey, d); err != nil {
		a.log.Warn("candidate digest not saved", "error", err)
	}
	return true
}

// digestRun reports whether a run announces its candidate set: a dry run that ran to the end.
func digestRun(r *report.Run) bool {
	return r.DryRun && r.Result == string(reconcile.StatusOK)
}

// Events returns the events a run calls for: a failed or blocked cycle, terminations, accepted
// terminations that did not take, failed terminations, new marks, and, when newSet says the
// dry-run candidate set changed since the last announcement, a digest of it.
func Events(r *report.Run, newSet bool) []notify.Event {
	base := notify.Event{RunID: r.RunID, DryRun: r.DryRun, Mode: r.Mode, At: r.FinishedAt}
	var out []notify.Event
	add := func(kind, title, text string, in []report.Instance) {
		e := base
		e.Kind, e.Title, e.Text, e.Instances = kind, title, text, eventInstances(in)
		out = append(out, e)
	}
	ok := r.Result == string(reconcile.StatusOK)
	switch {
	case r.Result == string(reconcile.StatusAborted) || r.Result == string(reconcile.StatusFailed):
		add(notify.KindFailed, "reaper cycle "+r.Result, r.Error, pick(r, reconcile.ActionFailed))
	case r.Blocked != nil:
		add(notify.KindBlocked, "reaper cycle blocked by "+r.Blocked.Limit, r.Blocked.Message+". Nothing was terminated.",
			pick(r, reconcile.ActionBlocked))
	}
	if t := pick(r, reconcile.ActionTerminated); len(t) > 0 {
		add(notify.KindTerminated, fmt.Sprintf("reaper terminated %d instances", len(t)), whereTheyWent(t), t)
	}
	if u := pick(r, reconcile.ActionUnconfirmed); len(u) > 0 {
		add(notify.KindUnconfirmed, fmt.Sprintf("%d terminations did not take", len(u)),
			"The API accepted them, but the instances were still there afterwards. They are not counted as terminated "+
				"and are not called again before safety.unconfirmed_retry_after; check them in the Zenlayer console.", u)
	}
	if f := pick(r, reconcile.ActionFailed); len(f) > 0 && ok {
		add(notify.KindFailed, fmt.Sprintf("%d terminations failed", len(f)), "See the report for the errors.", f)
	}
	if m := newlyMarked(r); len(m) > 0 {
		add(notify.KindMarked, fmt.Sprintf("%d new termination candidates", len(m)), "They become due after the grace period.", m)
	}
	if d := pick(r, reconcile.ActionWouldTerminate); newSet && digestRun(r) && len(d) > 0 {
		title, text := digestWords(r, len(d))
		add(notify.KindDigest, title, text+" The candidate set changed.", d)
	}
	return out
}

// digestWords is the title and text of a candidate digest: the run's mode and what the run did
// with the due instances. Only a dry run is called one; a mark run never terminates, and an
// approve run leaves the terminations to an operator's `reaper apply`.
func digestWords(r *report.Run, due int) (title, text string) {
	mode := r.Mode
	if mode == "" { // a report written before reaper had modes: digests were sent for dry runs only
		mode = reconcile.ModeDryRun
	}
	marked := len(pick(r, reconcile.ActionMarked)) + due
	switch {
	case r.Command == reconcile.CommandPlan:
		return fmt.Sprintf("plan (%s mode): %d instances would be terminated", mode, due),
			"A plan marks, sends and terminates nothing."
	case mode == reconcile.ModeDryRun:
		return fmt.Sprintf("dry-run: %d instances would be terminated", due),
			"The run marked, sent and terminated nothing."
	case mode == reconcile.ModeMark:
		return fmt.Sprintf("mark mode: %d instances are due; reaper does not terminate in mark mode", due),
			fmt.Sprintf("The run marked %d instances and terminated none; in enforce mode the due ones would be terminated.", marked)
	case mode == reconcile.ModeApprove:
		text = fmt.Sprintf("The run marked %d instances and terminated none; the due ones are terminated only after an operator approves them (reaper apply).", marked)
		if r.ApplyCommand != "" {
			text += " To approve: " + r.ApplyCommand
		}
		return fmt.Sprintf("approve mode: %d instances are due and wait for approval", due), text
	}
	return fmt.Sprintf("%s mode: %d instances would be terminated", mode, due), "The run terminated none."
}

func pick(r *report.Run, a reconcile.Action) []report.Instance {
	var out []report.Instance
	for i := range r.Len() {
		if r.Action(i) == string(a) {
			out = append(out, r.Row(i))
		}
	}
	return out
}

func ids(in []report.Instance) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = x.ID
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
	for _, in := range pick(r, reconcile.ActionMarked) {
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
		case in.ChargeType == string(zen.ChargePrepaid):
			cancelled++
		default:
			deleted++
		}
	}
	var parts []string
	if bin > 0 {
		parts = append(parts, fmt.Sprintf("%d %s in the recycle bin until %s recycle deadline (%g hours after termination), then %s released for good",
			bin, plural(bin, "stays", "stay"), plural(bin, "its", "their"), report.RecycleRetention.Hours(), plural(bin, "it is", "they are")))
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
