package zensim

import (
	"testing"
)

// TestDemoFleetPricesAndBills: the demo fleet quotes its type in every zone and bills the last
// full month: an old POSTPAID instance its hours at the hourly price in two lines, the PREPAID one
// its discounted month, a young or never-created instance nothing.
func TestDemoFleetPricesAndBills(t *testing.T) {
	h := newHarness(t)
	f := DemoFleet(t0) // 2026-11-26: the last full month is October, 744 hours
	if err := h.sim.Load(f); err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, in := range f.Instances {
		byName[in.Name] = in.ID
	}
	tests := []struct {
		name      string
		lines     int
		wantSpend float64
	}{
		{"busy-old-web", 2, 706.8},       // 744 h × 0.95
		{"prepaid-expired-tag", 1, 531},  // 590 less 10 %
		{"stopped-no-traffic", 2, 448.4}, // created 2026-10-12 08:00: 472 h, pro rata
		{"expired-ci-runner", 0, 0},      // created in November
		{"failed-create-old", 0, 0},      // never created
		{"in-recycle-bin", 1, 334.4},     // created 2026-10-17 08:00, after mid-month: 352 h
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := h.billPage(map[string]any{"billMonthly": 202610, "resourceId": byName[tt.name], "pageSize": 5000})
			if len(p.DataSet) != tt.lines {
				t.Fatalf("%d lines, want %d", len(p.DataSet), tt.lines)
			}
			if d := p.TotalSpend - tt.wantSpend; d > 0.005 || d < -0.005 {
				t.Errorf("spend %v, want %v", p.TotalSpend, tt.wantSpend)
			}
		})
	}
	for _, zone := range demoZones {
		h.okAt(bmcEndpoint, "InquiryPriceCreateInstance", map[string]any{"zoneId": zone, "instanceTypeId": "S9I",
			"instanceChargeType": "POSTPAID", "internetChargeType": "ByBandwidth"})
	}
}
