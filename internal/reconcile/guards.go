package reconcile

import (
	"path"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Protection is the config's protect block: instances that reaper must never touch.
type Protection struct {
	InstanceIDs  []string
	NamePatterns []string          // path.Match globs against the instance name
	Tags         map[string]string // matched as tagmatch.go says: any pair of the instance may match
}

// actionable are the only statuses in which reaper will consider terminating an instance.
var actionable = map[zen.Status]bool{
	zen.StatusRunning:       true,
	zen.StatusStopped:       true,
	zen.StatusCreateFailed:  true,
	zen.StatusInstallFailed: true,
}

// guardResult is a guard's verdict: a zero value lets the instance through.
type guardResult struct {
	action Action // ActionSkipped or ActionProtected
	reason string
}

func (g guardResult) passed() bool { return g.action == "" }

// guard applies the safety floor to one instance. It is pure: refusals are what the store
// remembers, now is the cycle's clock.
func (s Settings) guard(in zen.Instance, refusals map[string]state.Refusal, now time.Time) guardResult {
	if why, ok := s.Protect.match(in); ok {
		return guardResult{ActionProtected, why}
	}
	if !actionable[in.Status] {
		return guardResult{ActionSkipped, statusReason(in.Status)}
	}
	if in.ChargeType == zen.ChargePrepaid && !s.AllowSubscriptionCancel {
		return guardResult{ActionSkipped, SkipSubscription}
	}
	if in.ChargeType != zen.ChargePrepaid && in.ChargeType != zen.ChargePostpaid {
		return guardResult{ActionSkipped, "charge_type_unknown"}
	}
	if r, ok := refusals[in.ID]; ok && now.Before(r.LearnedAt.Add(s.CommitmentRetryAfter)) {
		if r.Kind == state.RefusalCommitment {
			return guardResult{ActionSkipped, SkipCommitment}
		}
		return guardResult{ActionSkipped, SkipSubscription}
	}
	return guardResult{}
}

func statusReason(s zen.Status) string {
	if s == "" {
		return "UNKNOWN"
	}
	return string(s)
}

// match reports whether the protection covers the instance, and which rule did.
func (p Protection) match(in zen.Instance) (string, bool) {
	for _, id := range p.InstanceIDs {
		if id == in.ID {
			return "protect.instance_ids", true
		}
	}
	for _, pat := range p.NamePatterns {
		if ok, _ := path.Match(pat, in.Name); ok {
			return "protect.name_patterns: " + pat, true
		}
	}
	if k, got, ok := matchTags(p.Tags, in.TagList); ok {
		return "protect.tags: " + k + "=" + shownTag(got), true
	}
	return "", false
}
