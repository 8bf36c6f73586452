package report

import "github.com/reaper-bmc/reaper/internal/money"

// The sources of a monthly cost (README, Cost and savings), as the pricing package names them.
const (
	CostOverride = "override"
	CostBill     = "bill"
	CostList     = "list"
	CostUnknown  = "unknown"
)

// CostSources lists every cost source.
var CostSources = []string{CostOverride, CostBill, CostList, CostUnknown}

// Cumulative is the realized savings since the state store was created, from the savings ledger.
type Cumulative struct {
	Total    money.Micros            `json:"total"`
	ByPolicy map[string]money.Micros `json:"by_policy"`
	ByMonth  map[string]money.Micros `json:"by_month"` // "2026-11"
}

// finalizeInstanceCost derives an instance's cost: an instance without a cost source takes its
// configured MonthlyPrice as an override, else it is unknown (its monthly_cost null, never 0).
func finalizeInstanceCost(in *Instance) {
	if in.CostSource == "" {
		in.CostSource = CostUnknown
		if in.MonthlyPrice != nil {
			if m, err := money.FromFloat(*in.MonthlyPrice); err == nil {
				in.MonthlyCost, in.CostSource = &m, CostOverride
			}
		}
	}
	if in.CostSource == CostUnknown {
		in.MonthlyCost = nil
	}
}

// addCost adds a finalized instance to the money figures of the run: projected savings add the
// costs of would_terminate and blocked (due) instances; realized savings those of terminated
// ones only, which a describe confirmed.
func (r *Run) addCost(in *Instance) {
	var sum *money.Micros
	switch in.Action {
	case ActionWouldTerminate, ActionBlocked:
		sum = &r.ProjectedMonthlySavings
	case ActionTerminated:
		sum = &r.RealizedSavings
	default:
		return
	}
	if in.MonthlyCost == nil {
		r.UnknownCosts++
		return
	}
	*sum += *in.MonthlyCost
}
