package reconcile

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// The mark tags (README, Mark tags): what reaper writes on a candidate so its owner sees it.
const (
	// TagTerminateAfter holds the candidate's due time, RFC 3339 UTC, second precision.
	TagTerminateAfter = "reaper-terminate-after"
	// TagReason holds the nominating policies without the "reaper." prefix, sorted, joined by
	// commas, at most MaxReasonTag characters (see ReasonTag).
	TagReason = "reaper-reason"
	// MaxReasonTag is the longest reaper-reason value: ZRM's limit on a tag value.
	MaxReasonTag = 64
)

// TagWriter writes tags on one instance; *zen.Client implements it (ZRM ModifyResourceTags).
type TagWriter interface {
	ModifyResourceTags(ctx context.Context, id string, replace []zen.Tag, remove []string) (requestID string, err error)
}

// Tag write outcomes (TagWrite.Result), the values of reaper_tag_writes_total{result}.
const (
	TagWriteOK     = "ok"
	TagWriteFailed = "failed"
)

// TagWrites lists the tag write outcomes.
func TagWrites() []string { return []string{TagWriteOK, TagWriteFailed} }

// TagWrite is one ModifyResourceTags call of the mark step (or one it could not make).
type TagWrite struct {
	InstanceID string
	Set        []zen.Tag // the mark tags written (added or changed)
	Removed    []string  // the keys removed, as the instance carried them
	Result     string    // TagWriteOK or TagWriteFailed
	RequestID  string
	Err        string
}

// IsMarkTag reports whether key is one of reaper's own mark tags, matched trimmed and
// case-insensitively (README, Policies). These keys are never policy input.
func IsMarkTag(key string) bool {
	return tagKeyEqual(key, TagTerminateAfter) || tagKeyEqual(key, TagReason)
}

// ReasonTag is the reaper-reason value for these reasons: the nominating policies without the
// "reaper." prefix, each once, sorted, joined by commas ("expiry,idle"). When that is longer than
// MaxReasonTag characters it keeps as many whole names as fit, in order, and ends with "+N", the
// number of names left out ("expiry,idle,+3"); a name is never cut in the middle.
func ReasonTag(reasons []policy.Reason) string {
	var names []string
	for _, r := range reasons {
		n := strings.TrimPrefix(r.Policy, "reaper.")
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if s := strings.Join(names, ","); len([]rune(s)) <= MaxReasonTag {
		return s
	}
	for k := len(names) - 1; k >= 0; k-- {
		s := strings.Join(append(slices.Clone(names[:k]), "+"+strconv.Itoa(len(names)-k)), ",")
		if len([]rune(s)) <= MaxReasonTag {
			return s
		}
	}
	return "+" + strconv.Itoa(len(names)) // unreachable: "+N" always fits
}

// wantMarks says what the mark tags of an entry should be after this cycle: the pair for a
// candidate still waiting for its termination (marked, would_terminate, blocked); none for an
// instance that is not a candidate (kept, exempt, protected). leave is true when this cycle has no
// say: a guard skipped the instance, its evaluation failed, or act ran on it (terminated, failed,
// unconfirmed, skipped at the re-check); its tags stay as they are.
func wantMarks(e *Entry) (tags []zen.Tag, leave bool) {
	switch e.Action {
	case ActionMarked, ActionWouldTerminate, ActionBlocked:
		if e.DueAt() == nil || len(e.Terminate()) == 0 {
			return nil, true
		}
		return []zen.Tag{
			{Key: TagTerminateAfter, Value: e.DueAt().UTC().Truncate(time.Second).Format(time.RFC3339)},
			{Key: TagReason, Value: ReasonTag(e.Terminate())},
		}, false
	case ActionExempt, ActionProtected:
		return nil, false
	case ActionKept:
		return nil, e.EvalFailed
	}
	return nil, true
}

// markChange compares the wanted mark tags with those the instance carries in the listing and
// returns the write that makes them agree; both empty means no write. Only keys the instance
// carries are removed, as it spells them; a mark key spelt otherwise (" Reaper-Reason") is
// removed and the canonical key written.
func markChange(in zen.Instance, want []zen.Tag) (set []zen.Tag, remove []string) {
	have := map[string]string{}
	for _, t := range in.TagList {
		if !IsMarkTag(t.Key) {
			continue
		}
		if _, seen := have[t.Key]; !seen {
			have[t.Key] = t.Value
		}
		if !slices.ContainsFunc(want, func(w zen.Tag) bool { return w.Key == t.Key }) && !slices.Contains(remove, t.Key) {
			remove = append(remove, t.Key)
		}
	}
	for _, w := range want {
		if v, ok := have[w.Key]; !ok || v != w.Value {
			set = append(set, w)
		}
	}
	return set, remove
}

// markTags is the step that shows owners what reaper decided (README, Mark tags): a candidate carries
// reaper-terminate-after and reaper-reason; an instance that stops being one, or is exempt or
// protected, loses them. It runs only when the cycle's Permissions allow tags, after act, so a
// tag write never delays a termination or changes what act re-checks. A failed write is a
// warning on the entry and a log line; the cycle goes on. Writes stop when the cycle's context
// ends; the rest wait for the next cycle. Like every call that changes the fleet, each write is
// fenced: a process that no longer leads writes nothing more, and the cycle is aborted (the error
// returned).
func (r *Reconciler) markTags(ctx context.Context, res *Result) error {
	if !res.Permissions.Tags || r.opts.Tags == nil {
		return nil
	}
	for i := range res.Entries {
		e := &res.Entries[i]
		want, leave := wantMarks(e)
		if leave {
			continue
		}
		set, remove := markChange(*e.Instance, want)
		if len(set) == 0 && len(remove) == 0 {
			continue
		}
		if ctx.Err() != nil {
			r.log.Warn("mark tags not written: cycle ended", "run_id", res.RunID, "error", ctx.Err())
			return nil
		}
		if err := r.fence(ctx, "tag write", e.Instance.ID); err != nil {
			revokeOnLostLeadership(res)
			return r.abort(res, err)
		}
		w := TagWrite{InstanceID: e.Instance.ID, Set: set, Removed: remove, Result: TagWriteOK}
		reqID, err := r.opts.Tags.ModifyResourceTags(ctx, e.Instance.ID, set, remove)
		w.RequestID = reqID
		if err != nil {
			w.Result, w.Err = TagWriteFailed, err.Error()
			e.AddWarn(policy.Reason{Policy: "reaper", Reason: "mark tags not written: " + err.Error()})
			r.log.Warn("mark tags not written", "run_id", res.RunID, "instance_id", e.Instance.ID, "error", err)
		}
		res.TagWrites = append(res.TagWrites, w)
	}
	return nil
}

// withoutMarkTags returns the pairs without reaper's mark tags; the original is returned as it
// is when it holds none (no copy on the common path).
func withoutMarkTags(pairs zen.Tags) zen.Tags {
	if slices.ContainsFunc(pairs, func(t zen.Tag) bool { return IsMarkTag(t.Key) }) {
		pairs = slices.DeleteFunc(slices.Clone(pairs), func(t zen.Tag) bool { return IsMarkTag(t.Key) })
	}
	return pairs
}

// WithoutMarkTags returns a policy document without reaper's mark tags, as PolicyInput leaves
// them out: for a document that did not come through PolicyInput (`reaper policy eval`), so that
// it is decided as a cycle would decide it.
func WithoutMarkTags(in policy.Instance) policy.Instance {
	if in.TagList != nil {
		in.TagList = slices.DeleteFunc(slices.Clone(in.TagList), func(t policy.Tag) bool { return IsMarkTag(t.Key) })
	}
	if in.Tags != nil {
		tags := make(map[string]string, len(in.Tags))
		for k, v := range in.Tags {
			if !IsMarkTag(k) {
				tags[k] = v
			}
		}
		in.Tags = tags
	}
	return in
}
