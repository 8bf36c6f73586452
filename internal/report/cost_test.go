package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/money"
)

func micros(v money.Micros) *money.Micros { return &v }

// TestFinalizeCost: projected adds due instances, realized confirmed terminations only (an
// unconfirmed or failed termination saves nothing), unknown is null and counted, never 0.
func TestFinalizeCost(t *testing.T) {
	r := &Run{RunID: "r", Command: "run", Result: ResultOK, Currency: "EUR", Instances: []Instance{
		{ID: "w", Action: ActionWouldTerminate, MonthlyCost: micros(100 * money.Unit), CostSource: CostBill},
		{ID: "b", Action: ActionBlocked, MonthlyCost: micros(50_500_000), CostSource: CostList},
		{ID: "t", Action: ActionTerminated, MonthlyCost: micros(20 * money.Unit), CostSource: CostOverride},
		{ID: "u", Action: ActionUnconfirmed, MonthlyCost: micros(999 * money.Unit), CostSource: CostList},
		{ID: "f", Action: ActionFailed, MonthlyCost: micros(999 * money.Unit), CostSource: CostList},
		{ID: "k", Action: ActionKept, MonthlyCost: micros(999 * money.Unit), CostSource: CostList},
		{ID: "x", Action: ActionTerminated, CostSource: CostUnknown, MonthlyCost: micros(0)},
		{ID: "p", Action: ActionWouldTerminate, Type: "S9I"},
	}}
	r.Finalize(map[string]float64{"S9I": 0.1})
	if got := r.ProjectedMonthlySavings.String(); got != "150.600000" {
		t.Errorf("projected = %s, want 150.600000 (100 + 50.5 + the 0.1 override)", got)
	}
	if got := r.RealizedSavings.String(); got != "20.000000" {
		t.Errorf("realized = %s, want 20.000000 (t only)", got)
	}
	if r.UnknownCosts != 1 {
		t.Errorf("unknown costs = %d, want 1", r.UnknownCosts)
	}
	x := r.Instances[6]
	if x.MonthlyCost != nil || x.CostSource != CostUnknown {
		t.Errorf("unknown instance: %v %s, want null", x.MonthlyCost, x.CostSource)
	}
	if p := r.Instances[7]; p.CostSource != CostOverride || p.MonthlyCost == nil || *p.MonthlyCost != 100_000 {
		t.Errorf("configured price: %v %s, want override 0.1", p.MonthlyCost, p.CostSource)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["currency"] != "EUR" || doc["projected_monthly_savings"] != 150.6 || doc["realized_savings"] != 20.0 {
		t.Errorf("json money fields: %v %v %v", doc["currency"], doc["projected_monthly_savings"], doc["realized_savings"])
	}
	if !strings.Contains(buf.String(), `"monthly_cost": null,`) || !strings.Contains(buf.String(), `"cost_source": "unknown"`) {
		t.Errorf("json lacks a null monthly_cost with source unknown")
	}
	buf.Reset()
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	// The traffic column follows the cost columns (empty here: no traffic was due).
	if !strings.HasSuffix(lines[0], ",monthly_cost,cost_source,traffic") || !strings.HasSuffix(lines[1], ",100.000000,bill,") ||
		!strings.HasSuffix(lines[7], ",,unknown,") {
		t.Errorf("csv:\n%s", buf.String())
	}
}

// TestSchemaCostSources: the schema's cost_source enum is CostSources.
func TestSchemaCostSources(t *testing.T) {
	s := loadSchema(t)
	defs, _ := s.root["$defs"].(map[string]any)
	inst, _ := defs["instance"].(map[string]any)
	props, _ := inst["properties"].(map[string]any)
	cs, _ := props["cost_source"].(map[string]any)
	enum, _ := cs["enum"].([]any)
	var got []string
	for _, v := range enum {
		got = append(got, v.(string))
	}
	if strings.Join(got, ",") != strings.Join(CostSources, ",") {
		t.Errorf("schema cost_source enum %v, want %v", got, CostSources)
	}
}
