package zen_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// billMonthSim serves an October bill of n lines: two 18-digit ids that differ only past
// float64's precision, then "R<i>" lines of 0.01 each.
func billMonthSim(t *testing.T, n int) (*zensim.Server, string) {
	t.Helper()
	sim := zensim.New(zensim.Options{Keys: map[string]string{"AKID": "secret", "NOBILL": "secret"},
		NoPermission: map[string][]string{"NOBILL": {zensim.ServiceZBC}}, Seed: 1,
		Now: func() time.Time { return simNow }})
	oct := time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)
	lines := []zensim.BillLine{
		{ResourceID: "945345672712820433", Cash: 42.85, Voucher: 40.41, DeductionTime: oct},
		{ResourceID: "945345672712820400", Cash: 99, DeductionTime: oct},
	}
	for i := len(lines); i < n; i++ {
		lines = append(lines, zensim.BillLine{ResourceID: fmt.Sprintf("R%d", i%1000), Cash: 0.01, DeductionTime: oct})
	}
	lines = append(lines, zensim.BillLine{ResourceID: "945345672712820433", Cash: 5, DeductionTime: oct.AddDate(0, 1, 0)})
	if err := sim.Load(zensim.Fleet{Bills: lines}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func billCalls(sim *zensim.Server) int {
	n := 0
	for _, c := range sim.Calls() {
		if c.Action == "DescribeBillDetail" {
			n++
		}
	}
	return n
}

// TestBillMonth: the whole month in pages of 5000 (ceil(n/5000) calls), every line handed on
// once, ids kept as strings, amounts exact, every call to the billing service (zbc); an empty month
// is no line; strict paging errors; permission stays recognisable; a month that is not yyyyMM is
// refused.
func TestBillMonth(t *testing.T) {
	const n = 12_001
	sim, url := billMonthSim(t, n)
	c := moneyClient(t, url, "AKID")
	sums := map[string]money.Micros{}
	lines, pages := 0, 0
	err := c.BillMonth(t.Context(), 202610, func(ls []zen.BillLine) error {
		pages++
		for _, l := range ls {
			sums[l.ResourceID] += l.Amount
			lines++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls := billCalls(sim); calls != 3 || pages != 3 || lines != n {
		t.Errorf("%d calls, %d pages, %d lines; want 3, 3, %d", calls, pages, lines, n)
	}
	for _, call := range sim.Calls() {
		if call.Service != zensim.ServiceZBC {
			t.Errorf("%s went to service %q, want zbc (billing)", call.Action, call.Service)
		}
	}
	if a, b := sums["945345672712820433"], sums["945345672712820400"]; a.String() != "83.260000" || b.String() != "99.000000" {
		t.Errorf("sums %s and %s, want 83.260000 and 99.000000 (ids compared as strings)", a, b)
	}
	if r := sums["R7"]; r.String() != "0.120000" { // R7 on lines 7, 1007, …, 11007
		t.Errorf("R7 = %s, want 0.120000", r)
	}
	// An empty month is one call and no line.
	calls := billCalls(sim)
	if err := c.BillMonth(t.Context(), 202609, func(ls []zen.BillLine) error {
		if len(ls) > 0 {
			t.Errorf("September: %d lines", len(ls))
		}
		return nil
	}); err != nil || billCalls(sim)-calls != 1 {
		t.Errorf("September: %v after %d calls, want no error after 1", err, billCalls(sim)-calls)
	}

	faults := []struct {
		name  string
		fault zensim.Fault
		want  string
	}{
		{"totalCount drift", zensim.Fault{Kind: zensim.FaultTotalCountDrift, Count: 1}, "totalCount changed from 12001 to 12002 at page 2"},
		{"short first page", zensim.Fault{Kind: zensim.FaultShortPage, Count: 1}, "page 1 has 4999 lines, want 5000"},
		{"short last page", zensim.Fault{Kind: zensim.FaultShortPage, Skip: 2, Count: 1}, "page 3 has 2000 lines, want 2001"},
		{"third page fails", zensim.Fault{HTTPStatus: 500, Skip: 2, Count: 1}, "page 3 of the bill of 202610"},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			sim.SetFault("DescribeBillDetail", tt.fault)
			t.Cleanup(sim.ClearFaults)
			err := c.BillMonth(t.Context(), 202610, func([]zen.BillLine) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	err = moneyClient(t, url, "NOBILL").BillMonth(t.Context(), 202610, func([]zen.BillLine) error { return nil })
	if !zen.IsPermission(err) {
		t.Errorf("key without billing permission: err = %v, want a permission error", err)
	}
	if err := c.BillMonth(t.Context(), 202613, func([]zen.BillLine) error { return nil }); err == nil {
		t.Error("month 202613 accepted")
	}
}
