package zensim

import (
	"maps"
	"slices"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// SimInstance is one simulated BMC instance: what DescribeInstances reports plus the simulator's
// own settings (commitment period, recycle time, traffic). The JSON names are the fleet file format.
type SimInstance struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name,omitempty"`
	Hostname           string         `json:"hostname,omitempty"`
	Zone               string         `json:"zone,omitempty"`
	Type               string         `json:"type,omitempty"`
	Status             zen.Status     `json:"status"`      // served verbatim; see Fleet.Verbatim for the default
	ChargeType         zen.ChargeType `json:"charge_type"` // served verbatim; see Fleet.Verbatim for the default
	InternetChargeType string         `json:"internet_charge_type,omitempty"`
	CreatedAt          time.Time      `json:"created_at,omitzero"`
	ExpiresAt          *time.Time     `json:"expires_at,omitempty"`
	AutoRenew          bool           `json:"auto_renew,omitempty"`
	// AutoRenewUnknown serves autoRenew as null, as an API answer that left it out reads; a
	// fleet file written from such a listing keeps it, so a replay never invents a false.
	AutoRenewUnknown  bool              `json:"auto_renew_unknown,omitempty"`
	PeriodMonths      *int              `json:"period_months,omitempty"`
	ResourceGroupID   string            `json:"resource_group_id,omitempty"`
	ResourceGroupName string            `json:"resource_group_name,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	// TagList, when not nil, is the instance's tag list exactly as DescribeInstances reports it:
	// in this order, repeated keys included. Tags must then be empty. Without it the tags are
	// Tags, sorted by key.
	TagList    []Tag    `json:"tag_list,omitempty"`
	PublicIPs  []string `json:"public_ips,omitempty"`
	PrivateIPs []string `json:"private_ips,omitempty"`

	// Commitment marks a POSTPAID instance in its commitment period: TerminateInstance answers
	// 403 OPERATION_DENIED_POSTPAID_PROMISE. The API never reports it.
	Commitment bool `json:"commitment,omitempty"`
	// TagsLocked makes ModifyResourceTags answer 404 INVALID_RESOURCE_CAN_NOT_BOUND for the
	// instance (the reference does not say which resources or states get it). The API never
	// reports it.
	TagsLocked bool `json:"tags_locked,omitempty"`
	// RecycledAt is when the instance entered the recycle bin; it is released 24 hours later.
	RecycledAt *time.Time `json:"recycled_at,omitempty"`
	// Traffic shapes DescribeInstanceTraffic answers.
	Traffic TrafficProfile `json:"traffic,omitzero"`
	// SubscriptionCancelled is set when TerminateInstance cancelled a PREPAID subscription
	// (Options.PrepaidCancels); the instance goes to RECYCLE at ExpiresAt.
	SubscriptionCancelled bool `json:"subscription_cancelled,omitempty"`
}

// Tag is one key/value pair of a TagList.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// tagPairs returns the tags as DescribeInstances lists them.
func (s *SimInstance) tagPairs() []Tag {
	if s.TagList != nil {
		return s.TagList
	}
	out := make([]Tag, 0, len(s.Tags))
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		out = append(out, Tag{Key: k, Value: s.Tags[k]})
	}
	return out
}

// hasTag reports whether any of the instance's tags has the key (and, when value is not nil,
// that value).
func (s *SimInstance) hasTag(key string, value *string) bool {
	if s.TagList == nil {
		v, ok := s.Tags[key]
		return ok && (value == nil || v == *value)
	}
	for _, t := range s.TagList {
		if t.Key == key && (value == nil || t.Value == *value) {
			return true
		}
	}
	return false
}

// TrafficProfile is an instance's simulated bandwidth. Each 5-minute sample is the base rate times
// (1 + Jitter×u), u in [-1, 1) derived from the seed, the instance ID and the sample time, so the
// same query always gives the same answer.
type TrafficProfile struct {
	InBps  int64   `json:"in_bps,omitempty"`
	OutBps int64   `json:"out_bps,omitempty"`
	Jitter float64 `json:"jitter,omitempty"` // 0..1, relative
	// GapsFrom and GapsTo bound an interval without samples (the machine was off). A nil GapsFrom
	// means "since the beginning", a nil GapsTo "until now"; both nil means no gap.
	GapsFrom *time.Time `json:"gaps_from,omitempty"`
	GapsTo   *time.Time `json:"gaps_to,omitempty"`
	// GapsAsNull sends the samples inside the gap with null internetRX and internetTX instead of
	// leaving them out, as an API that knows a sample is due but has no figure for it might.
	GapsAsNull bool `json:"gaps_as_null,omitempty"`
}

// hasGap reports whether the profile defines a gap at all.
func (p TrafficProfile) hasGap() bool { return p.GapsFrom != nil || p.GapsTo != nil }

// inGap reports whether t falls in the gap [GapsFrom, GapsTo).
func (p TrafficProfile) inGap(t time.Time) bool {
	if !p.hasGap() {
		return false
	}
	if p.GapsFrom != nil && t.Before(*p.GapsFrom) {
		return false
	}
	if p.GapsTo != nil && !t.Before(*p.GapsTo) {
		return false
	}
	return true
}

// Domain returns the instance as reaper's client would map it from DescribeInstances: TagList
// holds the tags as listed (nil when none).
func (s SimInstance) Domain() zen.Instance {
	c := s.clone()
	var list []zen.Tag
	for _, t := range c.tagPairs() {
		list = append(list, zen.Tag{Key: t.Key, Value: t.Value})
	}
	var renew *bool
	if !c.AutoRenewUnknown {
		v := c.AutoRenew
		renew = &v
	}
	return zen.Instance{
		ID:                 c.ID,
		Name:               c.Name,
		Hostname:           c.Hostname,
		Zone:               c.Zone,
		Type:               c.Type,
		Status:             c.Status,
		ChargeType:         c.ChargeType,
		InternetChargeType: c.InternetChargeType,
		CreatedAt:          c.CreatedAt,
		ExpiresAt:          c.ExpiresAt,
		AutoRenew:          renew,
		PeriodMonths:       c.PeriodMonths,
		ResourceGroupID:    c.ResourceGroupID,
		ResourceGroupName:  c.ResourceGroupName,
		PublicIPs:          c.PublicIPs,
		PrivateIPs:         c.PrivateIPs,
		TagList:            list,
	}
}

// clone returns a deep copy that shares no map, slice or pointer with s.
func (s SimInstance) clone() SimInstance {
	c := s
	c.ExpiresAt = cloneTime(s.ExpiresAt)
	c.RecycledAt = cloneTime(s.RecycledAt)
	c.Traffic.GapsFrom = cloneTime(s.Traffic.GapsFrom)
	c.Traffic.GapsTo = cloneTime(s.Traffic.GapsTo)
	if s.PeriodMonths != nil {
		p := *s.PeriodMonths
		c.PeriodMonths = &p
	}
	if s.Tags != nil {
		c.Tags = maps.Clone(s.Tags)
	}
	c.TagList = slices.Clone(s.TagList)
	c.PublicIPs = slices.Clone(s.PublicIPs)
	c.PrivateIPs = slices.Clone(s.PrivateIPs)
	return c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// fillDefaults gives an empty status RUNNING and an empty charge type POSTPAID (Load does this
// unless the fleet is Verbatim).
func (s *SimInstance) fillDefaults() {
	if s.Status == "" {
		s.Status = zen.StatusRunning
	}
	if s.ChargeType == "" {
		s.ChargeType = zen.ChargePostpaid
	}
}

// normalize gives an instance in RECYCLE without a recycle time the time now (so it is released
// 24 hours later, as the API does).
func (s *SimInstance) normalize(now time.Time) {
	if s.Status == zen.StatusRecycle && s.RecycledAt == nil {
		t := now
		s.RecycledAt = &t
	}
}
