package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// KindOwnerDigest is the kind of an owner digest (README, Owner notices) in the generic payload.
const KindOwnerDigest = "owner_digest"

// The tags an owner sets to opt out (README, Owner notices); every digest explains them.
const (
	TagSnoozeUntil = "reaper-snooze-until"
	TagKeep        = "reaper-keep"
)

// Digest is everything one owner is told about one cycle: the instances newly marked, the
// reminders of instances due soon, and the terminations. Every string in it that came from the
// fleet (owner, names, reasons) is hostile input; each renderer escapes it for its medium.
type Digest struct {
	Owner      string
	RunID      string
	Mode       string
	At         time.Time
	SnoozeMax  string // how far ahead a snooze may reach, e.g. "30d"
	Marked     []DigestItem
	Reminders  []DigestItem
	Terminated []DigestItem
}

// DigestItem is one instance in a digest.
type DigestItem struct {
	ID, Name, Zone, Type string
	Reasons              []string // "policy: reason"
	DueAt                *time.Time
	TerminatedAt         *time.Time
	// RecycleDeadline is when the recycle bin releases a terminated instance for good; nil when
	// it does not go there.
	RecycleDeadline *time.Time
}

// Size is the number of instances in the digest.
func (d Digest) Size() int { return len(d.Marked) + len(d.Reminders) + len(d.Terminated) }

// Subject is the digest's one-line summary. It holds only counts, so no fleet text reaches a
// mail header.
func (d Digest) Subject() string {
	var parts []string
	w := d.words()
	if n := len(d.Marked); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, w.marked))
	}
	if n := len(d.Reminders); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, w.due))
	}
	if n := len(d.Terminated); n > 0 {
		parts = append(parts, fmt.Sprintf("%d terminated", n))
	}
	return "reaper: your instances: " + strings.Join(parts, ", ")
}

// section is one part of a digest as every renderer shows it.
type section struct {
	Title  string
	Action string // the word a one-line listing uses
	Items  []DigestItem
}

func (d Digest) sections() []section {
	var out []section
	w := d.words()
	for _, s := range []section{
		{w.markedTitle, "marked", d.Marked},
		{w.dueTitle, w.due, d.Reminders},
		{"Terminated", "terminated", d.Terminated},
	} {
		if len(s.Items) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// howTo is the opt-out text of every digest.
func (d Digest) howTo() []string {
	limit := ""
	if d.SnoozeMax != "" {
		limit = " at most " + d.SnoozeMax + " ahead"
	}
	return []string{
		fmt.Sprintf("To postpone: tag the instance %s with a date (2026-12-31 or an RFC 3339 time)%s.", TagSnoozeUntil, limit),
		fmt.Sprintf("To keep it for good: tag it %s: true.", TagKeep),
		d.words().outcome,
	}
}

// The modes an owner digest is sent in (the config's values of mode; README, Modes). A dry run
// sends no digests.
const (
	modeMark    = "mark"
	modeApprove = "approve"
)

// digestWords is what a digest calls its parts and what it says will become of the marked
// instances. They depend on the run's mode, so no digest promises a termination the mode will
// not make; words is the one place they are chosen.
type digestWords struct {
	marked, markedTitle string // the subject's and the section's word for new marks
	due, dueTitle       string // the subject's and the section's word for reminders
	outcome             string // what becomes of a marked instance
}

func (d Digest) words() digestWords {
	switch d.Mode {
	case modeMark:
		return digestWords{
			marked: "marked", markedTitle: "Marked (reaper will not terminate in mark mode)",
			due: "reach their due date soon", dueTitle: "Due date reached soon (reaper will not terminate in mark mode)",
			outcome: "reaper runs in mark mode: it marks instances and tells their owners, and will not terminate them in this mode. " +
				"An operator may switch reaper to approve or enforce mode; marked instances that are still candidates after their due time would then be terminated.",
		}
	case modeApprove:
		return digestWords{
			marked: "marked for termination", markedTitle: "Marked for termination (after an operator's approval)",
			due: "due soon", dueTitle: "Due soon (reminder; terminated only after an operator's approval)",
			outcome: "reaper runs in approve mode: a marked instance that is still a candidate after its due time is terminated only " +
				"when an operator approves it (reaper apply).",
		}
	}
	return digestWords{
		marked: "marked for termination", markedTitle: "Marked for termination",
		due: "due soon", dueTitle: "Due soon (reminder)",
		outcome: "Marked instances are terminated only after their due time, and only if they are still candidates then.",
	}
}

// SendDigest posts an owner digest to the webhook, with the retries of Send.
func (n *Notifier) SendDigest(ctx context.Context, d Digest) error {
	if n == nil {
		return nil
	}
	if d.At.IsZero() {
		d.At = n.now()
	}
	var body []byte
	var err error
	if n.format == FormatSlack {
		body, err = slackDigest(d)
	} else {
		body, err = genericDigest(d)
	}
	if err != nil {
		return &Error{Kind: KindOwnerDigest, Webhook: n.webhook, err: fmt.Errorf("encode payload: %w", err), scrub: n.scrub}
	}
	return n.deliver(ctx, KindOwnerDigest, d.RunID, body)
}

type genericDigestPayload struct {
	Kind       string            `json:"kind"`
	Owner      string            `json:"owner"`
	RunID      string            `json:"run_id"`
	Mode       string            `json:"mode"`
	At         time.Time         `json:"at"`
	Title      string            `json:"title"`
	Marked     []genericDigestIn `json:"marked"`
	Reminders  []genericDigestIn `json:"reminders"`
	Terminated []genericDigestIn `json:"terminated"`
	HowTo      []string          `json:"how_to"`
}

type genericDigestIn struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Zone            string     `json:"zone"`
	Type            string     `json:"type"`
	Reasons         []string   `json:"reasons"`
	DueAt           *time.Time `json:"due_at"`
	TerminatedAt    *time.Time `json:"terminated_at,omitempty"`
	RecycleDeadline *time.Time `json:"recycle_deadline,omitempty"`
}

func genericItems(in []DigestItem) []genericDigestIn {
	out := make([]genericDigestIn, len(in))
	for i, x := range in {
		rs := x.Reasons
		if rs == nil {
			rs = []string{}
		}
		out[i] = genericDigestIn{ID: x.ID, Name: x.Name, Zone: x.Zone, Type: x.Type, Reasons: rs, DueAt: utc(x.DueAt),
			TerminatedAt: utc(x.TerminatedAt), RecycleDeadline: utc(x.RecycleDeadline)}
	}
	return out
}

// genericDigest is reaper's JSON document; encoding/json escapes what needs it.
func genericDigest(d Digest) ([]byte, error) {
	return json.Marshal(genericDigestPayload{Kind: KindOwnerDigest, Owner: d.Owner, RunID: d.RunID, Mode: d.Mode,
		At: d.At.UTC(), Title: d.Subject(), Marked: genericItems(d.Marked), Reminders: genericItems(d.Reminders),
		Terminated: genericItems(d.Terminated), HowTo: d.howTo()})
}

// slackDigest is a Slack message: a header section, one section per part (up to
// slackMaxInstances lines each) and the opt-out text. Fleet text is escaped as in Send.
func slackDigest(d Digest) ([]byte, error) {
	head := fmt.Sprintf("*%s*\nfor owner %s · run %s · mode %s · %s", slackEscape(d.Subject()), slackCode(d.Owner),
		slackCode(d.RunID), slackEscape(flat(d.Mode)), d.At.UTC().Format("2006-01-02 15:04 UTC"))
	p := slackPayload{Text: slackEscape(d.Subject()), Blocks: []slackBlock{{Type: "section", Text: mrkdwn(head)}}}
	for _, s := range d.sections() {
		shown := s.Items
		if len(shown) > slackMaxInstances {
			shown = shown[:slackMaxInstances]
		}
		lines := []string{"*" + s.Title + "*"}
		for _, in := range shown {
			lines = append(lines, slackLine(EventInstance{ID: in.ID, Name: in.Name, Action: s.Action, Reasons: in.Reasons, DueAt: in.DueAt,
				RecycleDeadline: in.RecycleDeadline}))
		}
		if more := len(s.Items) - len(shown); more > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more", more))
		}
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: mrkdwn(strings.Join(lines, "\n"))})
	}
	p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn",
		Text: slackEscape(strings.Join(d.howTo(), " "))}}})
	return json.Marshal(p)
}
