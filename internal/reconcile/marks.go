package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
)

// PolicyMark is one policy's mark on an instance: since when that policy has nominated it without
// a break, and when its grace period ends. Grace belongs to the policy, not to the instance: a
// policy that starts nominating an instance already marked by another starts its own grace period.
type PolicyMark struct {
	Policy   string
	MarkedAt time.Time
	DueAt    time.Time
	New      bool // made in this cycle: the policy did not nominate the instance in the last one
}

// Due reports whether the mark's grace period is over at now.
func (m PolicyMark) Due(now time.Time) bool { return !now.Before(m.DueAt) }

// keepMarks gives e one mark per policy that nominates it, each carried over from old when that
// policy nominated e in the last cycle and new (marked at now) otherwise, and adds them to next.
// e.Marks() is sorted deciding mark first (see sortMarks); e.MarkedAt() and e.DueAt() are the
// deciding mark's. Marks of policies that no longer nominate e are not carried over: they are
// dropped.
func (r *Reconciler) keepMarks(now time.Time, e *Entry, old, next map[state.MarkKey]state.Mark) {
	marks := e.Marks()[:0]
	for _, p := range policiesOf(e.Terminate()) {
		k := state.MarkKey{InstanceID: e.Instance.ID, Policy: p}
		m, ok := old[k]
		if !ok {
			m = state.Mark{InstanceID: k.InstanceID, Policy: p, FirstSeen: now}
		}
		m.Reasons = reasonsOf(e.Terminate(), p)
		next[k] = m
		marks = append(marks, PolicyMark{Policy: p, MarkedAt: m.FirstSeen, DueAt: m.FirstSeen.Add(r.opts.Settings.GracePeriod), New: !ok})
	}
	e.SetMarks(marks)
	if len(marks) == 0 {
		return
	}
	sortMarks(marks)
	markedAt, dueAt := marks[0].MarkedAt, marks[0].DueAt
	e.SetMarkedAt(&markedAt)
	e.SetDueAt(&dueAt)
}

// sortMarks orders marks deciding mark first: the earliest due, then the earliest marked (when
// several are due, the one that has nominated longest decides), then by policy name.
func sortMarks(ms []PolicyMark) {
	slices.SortFunc(ms, func(a, b PolicyMark) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), a.MarkedAt.Compare(b.MarkedAt), strings.Compare(a.Policy, b.Policy))
	})
}

// noDuePolicy returns why fresh decision d no longer makes a due instance due, or "" when some
// policy whose own mark is due at now still nominates it. A policy without a mark is due only when
// there is no grace period. This keeps the re-check before acting from terminating an instance
// for a reason that has not waited its grace period.
func (r *Reconciler) noDuePolicy(d policy.Decision, marks []PolicyMark, now time.Time) string {
	nominating := policiesOf(d.Terminate)
	for _, p := range nominating {
		i := slices.IndexFunc(marks, func(m PolicyMark) bool { return m.Policy == p })
		if i >= 0 && marks[i].Due(now) || i < 0 && r.opts.Settings.GracePeriod <= 0 {
			return ""
		}
	}
	var due []string
	for _, m := range marks {
		if m.Due(now) {
			due = append(due, m.Policy)
		}
	}
	return fmt.Sprintf("no policy whose grace period is over still nominates it (due: %s; nominating now: %s)",
		listOrNone(due), listOrNone(nominating))
}

// policiesOf returns the distinct policies of reasons, in order of first appearance.
func policiesOf(reasons []policy.Reason) []string {
	var out []string
	for _, r := range reasons {
		if !slices.Contains(out, r.Policy) {
			out = append(out, r.Policy)
		}
	}
	return out
}

// reasonsOf returns the reason texts p gave.
func reasonsOf(reasons []policy.Reason, p string) []string {
	var out []string
	for _, r := range reasons {
		if r.Policy == p {
			out = append(out, r.Reason)
		}
	}
	return out
}

func listOrNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}
