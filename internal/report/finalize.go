package report

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Finalize derives everything the caller does not fill: the schema version, Summary, Savings, each
// instance's MonthlyPrice (when pricing has its type and it is unset) and each RecycleDeadline.
// The recycle deadline is derived here and only here, whatever the caller set: TerminatedAt +
// RecycleRetention for a terminated instance that goes to the recycle bin, nil for every other
// (see goesToRecycleBin). pricing maps an instance type to a monthly price; nil or empty means no
// estimate. Finalize can be called again after the instances change.
func (r *Run) Finalize(pricing map[string]float64) {
	r.SchemaVersion = SchemaVersion
	r.Policies = nonNil(r.Policies)
	r.Instances = nonNil(r.Instances)
	for i := range r.Instances {
		finalizeInstance(&r.Instances[i], pricing)
	}
	r.Summary = summarize(r.Instances)
	r.Savings = estimateSavings(r.Instances, pricing)
	finalizeCost(r)
}

func finalizeInstance(in *Instance, pricing map[string]float64) {
	in.Reasons = nonNil(in.Reasons)
	in.Exemptions = nonNil(in.Exemptions)
	in.Warnings = nonNil(in.Warnings)
	in.Marks = nonNil(in.Marks)
	if p, ok := pricing[in.Type]; ok && in.MonthlyPrice == nil {
		in.MonthlyPrice = &p
	}
	in.RecycleDeadline = recycleDeadline(in)
}

// recycleDeadline is when the recycle bin releases a terminated instance for good, or nil when it
// does not go there.
func recycleDeadline(in *Instance) *time.Time {
	if in.Action != ActionTerminated || in.TerminatedAt == nil || !goesToRecycleBin(in) {
		return nil
	}
	d := in.TerminatedAt.Add(RecycleRetention)
	return &d
}

// goesToRecycleBin reports whether a terminated instance waits in the recycle bin
// (zenlayer-bmc-api.md §5): a POSTPAID one does; a CREATE_FAILED one is deleted at once, and a
// PREPAID termination only cancels the subscription (the instance is returned at expiry).
func goesToRecycleBin(in *Instance) bool {
	return in.ChargeType == "POSTPAID" && in.Status != "CREATE_FAILED"
}

func summarize(instances []Instance) Summary {
	s := Summary{ByAction: map[string]int{}, ByPolicy: map[string]int{}, ByZone: map[string]int{}}
	for _, a := range Actions {
		s.ByAction[a] = 0
	}
	for _, in := range instances {
		s.ByAction[in.Action]++
		if in.TrafficStatus == TrafficPending {
			s.TrafficPending++
		}
		if !IsCandidate(in.Action) {
			continue
		}
		s.Candidates++
		s.ByZone[in.Zone]++
		for _, p := range policiesOf(in.Reasons) {
			s.ByPolicy[p]++
		}
	}
	return s
}

// policiesOf returns the distinct policies of reasons, in order of first appearance.
func policiesOf(reasons []Reason) []string {
	var out []string
	for _, r := range reasons {
		if !slices.Contains(out, r.Policy) {
			out = append(out, r.Policy)
		}
	}
	return out
}

func estimateSavings(instances []Instance, pricing map[string]float64) Savings {
	var s Savings
	var missing []string
	for _, in := range instances {
		if in.Action != ActionWouldTerminate && in.Action != ActionTerminated {
			continue
		}
		price, ok := pricing[in.Type]
		if !ok {
			s.MissingPrices++
			if !slices.Contains(missing, in.Type) {
				missing = append(missing, in.Type)
			}
			continue
		}
		if in.Action == ActionTerminated {
			s.TerminatedMonthly += price
		} else {
			s.WouldTerminateMonthly += price
		}
	}
	switch {
	case len(pricing) == 0:
		s.Note = "no pricing configured; set pricing (instance type to monthly price) for an estimate"
	case s.MissingPrices > 0:
		slices.Sort(missing)
		s.Note = fmt.Sprintf("%d %s no price for %s %s; the figures are a lower bound",
			s.MissingPrices, plural(s.MissingPrices, "instance has", "instances have"),
			plural(len(missing), "type", "types"), strings.Join(typeLabels(missing), ", "))
	default:
		s.Available = true
		s.Note = "estimate from the configured pricing"
	}
	return s
}

func typeLabels(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if s == "" {
			s = "(no type)"
		}
		out[i] = s
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
