package report

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Finalize derives everything the caller does not fill: the schema version, Summary, Savings, each
// instance's MonthlyPrice (when pricing has its type and it is unset), CostSource and MonthlyCost
// (finalizeRow), each RecycleDeadline and the money figures of the run. The recycle deadline is
// derived here and only here, whatever the caller set: TerminatedAt + RecycleRetention for a
// terminated instance that goes to the recycle bin, nil for every other (see goesToRecycleBin).
// pricing maps an instance type to a monthly price; nil or empty means no estimate. Finalize can
// be called again after the instances change. A run with a row source (SetRows) keeps pricing and
// applies finalizeRow to each row as it is read; the sums are made here, in one pass.
func (r *Run) Finalize(pricing map[string]float64) {
	r.SchemaVersion = SchemaVersion
	r.Policies = nonNil(r.Policies)
	if r.Source == nil {
		r.Instances = nonNil(r.Instances)
		for i := range r.Instances {
			finalizeRow(&r.Instances[i], pricing)
		}
	} else {
		r.Source.pricing = pricing
	}
	s := newSummary()
	var sv savingsTally
	r.ProjectedMonthlySavings, r.RealizedSavings, r.UnknownCosts = 0, 0, 0
	for _, in := range r.All() {
		s.add(in)
		sv.add(in, pricing)
		r.addCost(in)
	}
	r.Summary = s
	r.Savings = sv.result(pricing)
}

// finalizeRow is what Finalize derives for one instance: empty lists instead of nil, the
// configured MonthlyPrice, the recycle deadline and the cost source (finalizeInstanceCost).
func finalizeRow(in *Instance, pricing map[string]float64) {
	finalizeInstance(in, pricing)
	finalizeInstanceCost(in)
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

func newSummary() Summary {
	s := Summary{ByAction: map[string]int{}, ByPolicy: map[string]int{}, ByZone: map[string]int{}}
	for _, a := range Actions {
		s.ByAction[a] = 0
	}
	return s
}

// add counts one instance into s.
func (s *Summary) add(in *Instance) {
	s.ByAction[in.Action]++
	if in.TrafficStatus == TrafficPending {
		s.TrafficPending++
	}
	if !IsCandidate(in.Action) {
		return
	}
	s.Candidates++
	s.ByZone[in.Zone]++
	for _, p := range policiesOf(in.Reasons) {
		s.ByPolicy[p]++
	}
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

// savingsTally adds up Savings one instance at a time.
type savingsTally struct {
	s       Savings
	missing []string
}

func (t *savingsTally) add(in *Instance, pricing map[string]float64) {
	if in.Action != ActionWouldTerminate && in.Action != ActionTerminated {
		return
	}
	price, ok := pricing[in.Type]
	if !ok {
		t.s.MissingPrices++
		if !slices.Contains(t.missing, in.Type) {
			t.missing = append(t.missing, in.Type)
		}
		return
	}
	if in.Action == ActionTerminated {
		t.s.TerminatedMonthly += price
	} else {
		t.s.WouldTerminateMonthly += price
	}
}

func (t *savingsTally) result(pricing map[string]float64) Savings {
	s, missing := t.s, t.missing
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
