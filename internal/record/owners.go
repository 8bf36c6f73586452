package record

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/notify"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// ownersKey is the state meta key of the owner-notice memory: which events were delivered, and
// the terminations not yet delivered. It is one JSON value, so both backends keep it (and
// `state migrate` copies it) like the operator channel's candidate digest.
const ownersKey = "notify.owner_events"

// Retention of the owner-notice memory.
const (
	// sentTerminatedKeep is how long a delivered termination is remembered (it is never derived
	// again: the instance is gone).
	sentTerminatedKeep = 30 * 24 * time.Hour
	// pendingKeep is how long an undeliverable termination is retried before it is dropped, with
	// a warning.
	pendingKeep = 14 * 24 * time.Hour
)

// The kinds of owner events (README, Owner notices), the first part of an event key.
const (
	eventMarked     = "marked"
	eventReminder   = "reminder"
	eventTerminated = "terminated"
)

// DigestWebhook delivers an owner digest to a webhook (*notify.Notifier).
type DigestWebhook interface {
	SendDigest(ctx context.Context, d notify.Digest) error
}

// DigestMailer mails an owner digest to an address (*notify.Mailer).
type DigestMailer interface {
	SendDigest(ctx context.Context, to string, d notify.Digest) error
}

// Owners sends owner notices (README, Owner notices): per owner and cycle at most one digest of the
// instances newly marked, the reminders of instances due within remind_before and the
// terminations. Each event is remembered once delivered and never sent again; an event whose
// digest failed is sent in a later cycle. Nothing is sent, derived or remembered in a cycle whose
// permissions do not allow notices (dry-run, plan).
type Owners struct {
	cfg      config.Owners
	operator DigestWebhook   // the operator channel; nil when none is configured
	webhooks []DigestWebhook // per route; nil for e-mail routes
	mailer   DigestMailer    // nil when no route sends e-mail
	memory   Memory
	log      *slog.Logger
}

// OwnerOptions are what tests change about the owner transports; the zero value is production.
type OwnerOptions struct {
	Notify notify.Options     // URL and Format are set per webhook
	Mail   notify.MailOptions // the smtp settings are set from the config
}

// NewOwners returns the owner notices of cfg, or nil when cfg has no routes. A transport that
// cannot be set up is logged and left out (its owners' notices wait until it is fixed): a broken
// notification never stops the cycles.
func NewOwners(cfg config.Notify, memory Memory, log *slog.Logger, opts OwnerOptions) *Owners {
	if !cfg.Owners.Enabled() {
		return nil
	}
	o := &Owners{cfg: cfg.Owners, memory: memory, log: log, webhooks: make([]DigestWebhook, len(cfg.Owners.Routes))}
	hook := func(url config.Secret, format, what string) DigestWebhook {
		no := opts.Notify
		no.URL, no.Format, no.Logger = url.Reveal(), format, log
		n, err := notify.New(no)
		if err != nil {
			log.Error("owner notices: webhook disabled", "route", what, "error", err)
			return nil
		}
		return n
	}
	if cfg.WebhookURL != "" {
		o.operator = hook(cfg.WebhookURL, cfg.Format, "operator")
	}
	for i, r := range cfg.Owners.Routes {
		if r.Email {
			continue
		}
		if w := hook(r.WebhookURL, r.Format, r.String()); w != nil {
			o.webhooks[i] = w
		}
	}
	if slices.ContainsFunc(cfg.Owners.Routes, func(r config.OwnerRoute) bool { return r.Email }) {
		s := cfg.Owners.SMTP
		mo := opts.Mail
		mo.Host, mo.Port, mo.From, mo.Username, mo.Password, mo.StartTLS = s.Host, s.Port, s.From, s.Username, s.Password.Reveal(), s.StartTLS
		mo.Logger = log
		m, err := notify.NewMailer(mo)
		if err != nil {
			log.Error("owner notices: e-mail disabled", "error", err)
		} else {
			o.mailer = m
		}
	}
	return o
}

// ownerMemory is what ownersKey holds.
type ownerMemory struct {
	// Sent maps each delivered event's key to when it was delivered.
	Sent map[string]time.Time `json:"sent"`
	// Pending holds terminations not yet delivered: they are not derived again.
	Pending []pendingEvent `json:"pending"`
}

type pendingEvent struct {
	Key   string            `json:"key"`
	Owner string            `json:"owner"`
	Since time.Time         `json:"since"`
	Item  notify.DigestItem `json:"item"`
}

// ownerEvents is one owner's digest being built, with the keys it delivers.
type ownerEvents struct {
	owner  string // as the first instance spells it
	digest notify.Digest
	keys   []string
}

// Notify derives the owner events of a recorded cycle and sends one digest per owner.
func (o *Owners) Notify(ctx context.Context, res *reconcile.Result, rep *report.Run, snoozeMax string) {
	if o == nil || !res.Permissions.Notices {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	mem := o.load()
	now := rep.StartedAt
	byOwner, live := o.derive(res, rep, mem, now, snoozeMax)
	for _, p := range mem.Pending {
		e := ownerDigest(byOwner, p.Owner, rep, snoozeMax)
		e.digest.Terminated = append(e.digest.Terminated, p.Item)
		e.keys = append(e.keys, p.Key)
	}
	delivered := map[string]bool{}
	var unrouted int
	for _, k := range slices.Sorted(mapKeys(byOwner)) {
		e := byOwner[k]
		err, routed := o.send(ctx, e)
		switch {
		case !routed:
			unrouted++
		case err != nil:
			o.log.Warn("owner notice not delivered; retried next cycle", "owner", e.owner, "run_id", rep.RunID,
				"instances", e.digest.Size(), "error", err)
		default:
			for _, key := range e.keys {
				delivered[key] = true
			}
		}
	}
	if unrouted > 0 {
		o.log.Warn("owner notices without a destination: no route matches and notify.webhook_url_file is not set",
			"owners", unrouted, "run_id", rep.RunID)
	}
	o.save(o.remember(mem, delivered, live, res.InventoryComplete, now))
}

// derive returns the marked and reminder events of the run that were not delivered yet, per
// owner, and queues new terminations in mem.Pending. live holds every marked and reminder key the
// run implies, delivered or not.
func (o *Owners) derive(res *reconcile.Result, rep *report.Run, mem *ownerMemory, now time.Time, snoozeMax string) (map[string]*ownerEvents, map[string]bool) {
	// The report's rows of the entries that can make an event, by ID: the others are never read,
	// and a map of every row would be a second copy of the fleet.
	reported := map[string]report.Instance{}
	for _, e := range res.Entries {
		if ownerEvent(e.Action) && OwnerOf(e.Instance.TagList, o.cfg.Tag) != "" {
			reported[e.Instance.ID] = report.Instance{}
		}
	}
	for _, in := range rep.All() {
		if _, ok := reported[in.ID]; ok {
			reported[in.ID] = *in
		}
	}
	byOwner := map[string]*ownerEvents{}
	live := map[string]bool{}
	remind := now.Add(o.cfg.RemindBefore.D())
	for _, e := range res.Entries {
		owner := OwnerOf(e.Instance.TagList, o.cfg.Tag)
		in, ok := reported[e.Instance.ID]
		if owner == "" || !ok {
			continue
		}
		item := digestItem(in)
		switch e.Action {
		case reconcile.ActionMarked, reconcile.ActionWouldTerminate, reconcile.ActionBlocked:
			var marked []string
			for _, m := range e.Marks() {
				k := eventKey(eventMarked, e.Instance.ID, m.Policy, m.MarkedAt)
				live[k] = true
				if _, sent := mem.Sent[k]; !sent {
					marked = append(marked, k)
				}
			}
			var reminder string
			if e.DueAt() != nil && !e.DueAt().After(remind) {
				reminder = eventKey(eventReminder, e.Instance.ID, "", *e.DueAt())
				live[reminder] = true
				if _, sent := mem.Sent[reminder]; sent {
					reminder = ""
				}
			}
			if len(marked) == 0 && reminder == "" {
				continue
			}
			d := ownerDigest(byOwner, owner, rep, snoozeMax)
			if reminder != "" {
				d.keys = append(d.keys, reminder) // a new mark already shows the due time
			}
			d.keys = append(d.keys, marked...)
			if len(marked) > 0 {
				d.digest.Marked = append(d.digest.Marked, item)
			} else {
				d.digest.Reminders = append(d.digest.Reminders, item)
			}
		case reconcile.ActionTerminated:
			k := eventKey(eventTerminated, e.Instance.ID, "", time.Time{})
			_, sent := mem.Sent[k]
			if !sent && !slices.ContainsFunc(mem.Pending, func(p pendingEvent) bool { return p.Key == k }) {
				mem.Pending = append(mem.Pending, pendingEvent{Key: k, Owner: owner, Since: now, Item: item})
			}
		}
	}
	return byOwner, live
}

// ownerEvent reports whether an entry's action can make an owner event (derive).
func ownerEvent(a reconcile.Action) bool {
	switch a {
	case reconcile.ActionMarked, reconcile.ActionWouldTerminate, reconcile.ActionBlocked, reconcile.ActionTerminated:
		return true
	}
	return false
}

// ownerDigest returns the digest being built for owner, creating it. Owners are compared
// case-insensitively, so Alice@Example.test and alice@example.test get one digest.
func ownerDigest(byOwner map[string]*ownerEvents, owner string, rep *report.Run, snoozeMax string) *ownerEvents {
	k := strings.ToLower(owner)
	if e, ok := byOwner[k]; ok {
		return e
	}
	e := &ownerEvents{owner: owner, digest: notify.Digest{Owner: owner, RunID: rep.RunID, Mode: rep.Mode, At: rep.FinishedAt, SnoozeMax: snoozeMax}}
	byOwner[k] = e
	return e
}

// send delivers one owner's digest along its route. routed is false when the owner has no
// destination (no route matches and there is no operator channel, or its transport is broken).
func (o *Owners) send(ctx context.Context, e *ownerEvents) (err error, routed bool) {
	sortItems(e.digest.Marked)
	sortItems(e.digest.Reminders)
	sortItems(e.digest.Terminated)
	i := o.cfg.Route(e.owner)
	switch {
	case i < 0 && o.operator != nil:
		return o.operator.SendDigest(ctx, e.digest), true
	case i < 0:
		return nil, false
	case o.cfg.Routes[i].Email && o.mailer != nil:
		return o.mailer.SendDigest(ctx, e.owner, e.digest), true
	case o.cfg.Routes[i].Email, o.webhooks[i] == nil:
		return nil, false
	}
	return o.webhooks[i].SendDigest(ctx, e.digest), true
}

// remember records the delivered events and forgets what no longer matters: marked and reminder
// keys the run no longer implies (only after a complete inventory), old delivered terminations,
// and terminations undeliverable for too long.
func (o *Owners) remember(mem *ownerMemory, delivered, live map[string]bool, complete bool, now time.Time) *ownerMemory {
	for k := range delivered {
		mem.Sent[k] = now
	}
	for k, at := range mem.Sent {
		kind, _, _ := strings.Cut(k, ":")
		switch {
		case kind == eventTerminated && now.Sub(at) > sentTerminatedKeep:
			delete(mem.Sent, k)
		case kind != eventTerminated && complete && !live[k]:
			delete(mem.Sent, k)
		}
	}
	mem.Pending = slices.DeleteFunc(mem.Pending, func(p pendingEvent) bool {
		if delivered[p.Key] {
			return true
		}
		if now.Sub(p.Since) > pendingKeep {
			o.log.Warn("owner notice of a termination dropped: undeliverable for too long", "owner", p.Owner,
				"instance_id", p.Item.ID, "since", p.Since)
			return true
		}
		return false
	})
	return mem
}

func (o *Owners) load() *ownerMemory {
	mem := &ownerMemory{Sent: map[string]time.Time{}}
	raw, ok, err := o.memory.Meta(ownersKey)
	switch {
	case err != nil:
		o.log.Warn("owner notice memory not read; delivered events may be sent again", "error", err)
	case ok:
		if err := json.Unmarshal([]byte(raw), mem); err != nil {
			o.log.Warn("owner notice memory unreadable; starting afresh", "error", err)
			mem = &ownerMemory{}
		}
	}
	if mem.Sent == nil {
		mem.Sent = map[string]time.Time{}
	}
	return mem
}

func (o *Owners) save(mem *ownerMemory) {
	b, err := json.Marshal(mem)
	if err == nil {
		err = o.memory.SetMeta(ownersKey, string(b))
	}
	if err != nil {
		o.log.Warn("owner notice memory not saved; delivered events may be sent again", "error", err)
	}
}

// OwnerOf returns an instance's owner: the trimmed value of the first tag whose key, trimmed,
// equals tag case-insensitively (as reaper's other tags are read, README, Policies). A repeated owner
// tag counts with its first value only, as input.tags does; "" means no owner.
func OwnerOf(tags []zen.Tag, tag string) string {
	tag = strings.TrimSpace(tag)
	for _, t := range tags {
		if strings.EqualFold(strings.TrimSpace(t.Key), tag) {
			return strings.TrimSpace(t.Value)
		}
	}
	return ""
}

// eventKey names one owner event: kind, instance, policy (marks only) and the time that makes it
// new (a mark's start, a due time).
func eventKey(kind, id, policy string, at time.Time) string {
	k := kind + ":" + id
	if policy != "" {
		k += ":" + policy
	}
	if !at.IsZero() {
		k += "@" + strconv.FormatInt(at.Unix(), 10)
	}
	return k
}

func digestItem(in report.Instance) notify.DigestItem {
	rs := make([]string, len(in.Reasons))
	for i, r := range in.Reasons {
		rs[i] = r.Policy + ": " + r.Reason
	}
	return notify.DigestItem{ID: in.ID, Name: in.Name, Zone: in.Zone, Type: in.Type, Reasons: rs, DueAt: in.DueAt,
		TerminatedAt: in.TerminatedAt, RecycleDeadline: in.RecycleDeadline}
}

func sortItems(items []notify.DigestItem) {
	slices.SortFunc(items, func(a, b notify.DigestItem) int { return cmp.Compare(a.ID, b.ID) })
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
