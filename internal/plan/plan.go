package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Version is the plan_version this package writes and the only one it reads.
const Version = 1

// FileName is the name of the plan an approve-mode cycle writes into its run's report directory.
const FileName = "plan.json"

// Plan is the plan file (README, Plans and approval). Field order is the order of the file.
type Plan struct {
	PlanVersion   int       `json:"plan_version"`
	RunID         string    `json:"run_id"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	Endpoint      string    `json:"endpoint"`
	ConfigDigest  string    `json:"config_digest"`
	PolicyDigest  string    `json:"policy_digest"`
	InventorySize int       `json:"inventory_size"`
	Items         []Item    `json:"items"`
	Digest        string    `json:"digest"`
}

// Item is one due instance of a plan.
type Item struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DueAt       time.Time `json:"due_at"`
	Reasons     []Reason  `json:"reasons"`
	Fingerprint string    `json:"fingerprint"`
}

// Reason is one policy's reason to terminate.
type Reason struct {
	Policy string `json:"policy"`
	Reason string `json:"reason"`
}

// Meta is what a plan says about where it came from.
type Meta struct {
	Now          time.Time
	TTL          time.Duration // approval.plan_ttl
	Endpoint     string        // zenlayer.endpoint
	ConfigDigest string        // ConfigDigest of the cycle's settings
	PolicyDigest string        // the policy engine's Digest
}

// Build makes the plan of a cycle that did not act (a plan, or an approve-mode cycle): its items
// are the due instances, would_terminate and blocked alike (a blocked apply can still be
// narrowed with --only), sorted by ID. The digest is set by Marshal.
func Build(res *reconcile.Result, m Meta) *Plan {
	created := m.Now.UTC().Truncate(time.Second)
	p := &Plan{
		PlanVersion: Version, RunID: res.RunID, CreatedAt: created, ExpiresAt: created.Add(m.TTL),
		Endpoint: m.Endpoint, ConfigDigest: m.ConfigDigest, PolicyDigest: m.PolicyDigest,
		InventorySize: res.InventorySize, Items: []Item{},
	}
	for _, e := range res.Entries {
		if e.Action != reconcile.ActionWouldTerminate && e.Action != reconcile.ActionBlocked {
			continue
		}
		it := Item{ID: e.Instance.ID, Name: e.Instance.Name, Reasons: []Reason{}, Fingerprint: Fingerprint(*e.Instance)}
		if due := e.DueAt(); due != nil {
			it.DueAt = due.UTC().Truncate(time.Second)
		}
		for _, r := range e.Terminate() {
			it.Reasons = append(it.Reasons, Reason{Policy: r.Policy, Reason: r.Reason})
		}
		p.Items = append(p.Items, it)
	}
	sort.Slice(p.Items, func(i, j int) bool { return p.Items[i].ID < p.Items[j].ID })
	return p
}

// Fingerprint is "sha256:" and the hex SHA-256 of the canonical JSON of what a decision about in
// rested on: {"charge_type", "name", "status", "tags", "type", "zone"}, tags being every
// [key, value] pair the instance carries, sorted by key (a repeated key's values in the order the
// API gave them, the order the policy reads them in), reaper's own mark tags left out in any
// spelling (reconcile.IsMarkTag): reaper writes them on candidates, in approve mode between the
// plan and its apply, and the policy input leaves them out, so they are no part of what a decision
// rested on. An item whose fresh description has another fingerprint has changed since the plan
// was made.
func Fingerprint(in zen.Instance) string {
	tags := make([][2]string, 0, len(in.TagList))
	for _, t := range in.TagList {
		if !reconcile.IsMarkTag(t.Key) { // in any spelling, as the policy input leaves them out
			tags = append(tags, [2]string{t.Key, t.Value})
		}
	}
	// By key only, and stable: a repeated key's values keep their API order, which is what the
	// policy sees (input.instance.tags holds the first value, tag_list every pair in order), so
	// swapping them is a change. Distinct keys may come in any order.
	slices.SortStableFunc(tags, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return mustDigest(map[string]any{
		"charge_type": string(in.ChargeType), "name": in.Name, "status": string(in.Status),
		"tags": tags, "type": in.Type, "zone": in.Zone,
	})
}

// Reasons returns the item's reasons as policy reasons.
func (it Item) PolicyReasons() []policy.Reason {
	out := make([]policy.Reason, len(it.Reasons))
	for i, r := range it.Reasons {
		out[i] = policy.Reason{Policy: r.Policy, Reason: r.Reason}
	}
	return out
}

// Expect is what the apply's own config says; a plan made under anything else is refused.
type Expect struct {
	Now          time.Time
	Endpoint     string
	ConfigDigest string
	PolicyDigest string
}

// Check says why p may not be applied now under e, or nil. The error is one line for the
// operator.
func (p *Plan) Check(e Expect) error {
	switch {
	case !e.Now.Before(p.ExpiresAt):
		return fmt.Errorf("plan %s expired at %s (made %s); make a new plan", p.RunID,
			p.ExpiresAt.Format(time.RFC3339), p.CreatedAt.Format(time.RFC3339))
	case e.Now.Before(p.CreatedAt.Add(-time.Minute)):
		return fmt.Errorf("plan %s was made at %s, in the future of this host's clock (%s)", p.RunID,
			p.CreatedAt.Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
	case p.Endpoint != e.Endpoint:
		return fmt.Errorf("plan %s is for endpoint %s, the config's is %s", p.RunID, p.Endpoint, e.Endpoint)
	case p.ConfigDigest != e.ConfigDigest:
		return fmt.Errorf("plan %s was made under config digest %s, the config's is now %s", p.RunID, p.ConfigDigest, e.ConfigDigest)
	case p.PolicyDigest != e.PolicyDigest:
		return fmt.Errorf("plan %s was made under policy digest %s, the policies' is now %s", p.RunID, p.PolicyDigest, e.PolicyDigest)
	}
	return nil
}

// Select returns the items --only and --exclude leave (only empty: every item), and an error
// naming any ID of either list that is not in the plan: a typo must not pass for "nothing".
func (p *Plan) Select(only, exclude []string) ([]Item, error) {
	in := make(map[string]bool, len(p.Items))
	for _, it := range p.Items {
		in[it.ID] = true
	}
	for _, l := range []struct {
		flag string
		ids  []string
	}{{"--only", only}, {"--exclude", exclude}} {
		for _, id := range l.ids {
			if !in[id] {
				return nil, fmt.Errorf("%s: instance %s is not in plan %s", l.flag, id, p.RunID)
			}
		}
	}
	var out []Item
	for _, it := range p.Items {
		if (len(only) == 0 || slices.Contains(only, it.ID)) && !slices.Contains(exclude, it.ID) {
			out = append(out, it)
		}
	}
	return out, nil
}
