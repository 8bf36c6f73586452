package zensim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// testBills: October 2026 has four lines (two for 100, one with a voucher; one for 200 with a
// refund; one deducted in the last minutes of October); November (t0's month) has one, deducted
// at its first second.
func testBills() []BillLine {
	return []BillLine{
		{ResourceID: "100", Cash: 42.85, Voucher: 40.41, OrderSn: "ORD-1", DeductionTime: at("2026-10-21T02:00:00Z"),
			StartTime: at("2026-10-19T08:17:00Z"), EndTime: at("2026-10-21T02:30:00Z"), Label: "vm-100", Location: "HKG-A",
			ResourceGroupID: "rg-1", ResourceGroupName: "Default Resource Group"},
		{ResourceID: "200", Cash: 100, Refund: 20, OrderSn: "ORD-2", DeductionTime: at("2026-10-22T00:00:00Z"),
			ResourceGroupID: "rg-2", ResourceGroupName: "Team"},
		{ResourceID: "100", Cash: 10, OrderSn: "ORD-3", DeductionTime: at("2026-10-31T23:59:59Z"), ResourceGroupID: "rg-1", ResourceGroupName: "Default Resource Group"},
		{ResourceID: "ip-1", Product: "Networking", ProductSubitem: "Elastic IP", Cash: 3, DeductionTime: at("2026-10-15T00:00:00Z"),
			ResourceGroupID: "rg-1", ResourceGroupName: "Default Resource Group"},
		{ResourceID: "100", Cash: 5, OrderSn: "ORD-4", DeductionTime: at("2026-11-01T00:00:00Z"), ResourceGroupID: "rg-1", ResourceGroupName: "Default Resource Group"},
	}
}

func newBillHarness(t *testing.T, mods ...func(*Options)) *harness {
	h := newHarness(t, mods...)
	if err := h.sim.Load(Fleet{Instances: []SimInstance{inst("100"), inst("200")}, Bills: testBills()}); err != nil {
		t.Fatal(err)
	}
	return h
}

type billPage struct {
	TotalSpend, TotalVoucher, TotalCash, TotalRefund float64
	TotalCount                                       int
	DataSet                                          []struct {
		ResourceID  string  `json:"resourceId"`
		OrderSn     string  `json:"orderSn"`
		Amount      float64 `json:"amount"`
		BillMonthly int     `json:"billMonthly"`
	}
}

func (p billPage) orders() string {
	var out []string
	for _, l := range p.DataSet {
		out = append(out, l.ResourceID+"/"+l.OrderSn)
	}
	return strings.Join(out, ",")
}

func (h *harness) billPage(body map[string]any) billPage {
	h.t.Helper()
	var p billPage
	if err := jsonUnmarshal(h.okAt(zbcEndpoint, "DescribeBillDetail", body), &p); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// TestDescribeBillDetailWireShape: one line exactly as BillingDetailInfo (§12.2), amounts printed
// with six decimals, amount = cash + voucher, times in UTC with a Z.
func TestDescribeBillDetailWireShape(t *testing.T) {
	h := newBillHarness(t)
	raw := h.okAt(zbcEndpoint, "DescribeBillDetail", map[string]any{"billMonthly": 202610, "orderSn": "ORD-1"})
	for _, want := range []string{`"amount":83.260000`, `"cash":42.850000`, `"voucher":40.410000`, `"totalSpend":83.260000`, `"totalRefund":0.000000`} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("answer lacks %s: %s", want, raw)
		}
	}
	got := generic(t, raw).(map[string]any)
	delete(got, "requestId")
	want := map[string]any{
		"totalSpend": num("83.260000"), "totalVoucher": num("40.410000"), "totalCash": num("42.850000"), "totalRefund": num("0.000000"),
		"totalCount": num("1"),
		"dataSet": []any{map[string]any{
			"resourceId": "100", "product": "Compute", "productSubitem": "Bare Metal Instance",
			"amount": num("83.260000"), "voucher": num("40.410000"), "cash": num("42.850000"),
			"billingMode": "Time pricing", "orderSn": "ORD-1",
			"deductionTime": "2026-10-21T02:00:00Z", "startTime": "2026-10-19T08:17:00Z", "endTime": "2026-10-21T02:30:00Z",
			"label": "vm-100", "location": "HKG-A", "billMonthly": num("202610"),
			"resourceGroupId": "rg-1", "resourceGroupName": "Default Resource Group",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestDescribeBillDetailPagingAndFilters: pages in fleet order; totals and totalCount cover every
// matching line on every page; months are UTC calendar months; the current month is the default.
func TestDescribeBillDetailPagingAndFilters(t *testing.T) {
	h := newBillHarness(t)
	tests := []struct {
		name                                         string
		body                                         map[string]any
		wantOrders                                   string
		wantCount                                    int
		wantCash, wantVoucher, wantRefund, wantSpend float64
	}{
		{"october page 1 of 2", map[string]any{"billMonthly": 202610, "pageSize": 2}, "100/ORD-1,200/ORD-2", 4, 155.85, 40.41, 20, 176.26},
		{"october page 2 of 2", map[string]any{"billMonthly": 202610, "pageSize": 2, "pageNum": 2}, "100/ORD-3,ip-1/", 4, 155.85, 40.41, 20, 176.26},
		{"past the last page", map[string]any{"billMonthly": 202610, "pageSize": 2, "pageNum": 3}, "", 4, 155.85, 40.41, 20, 176.26},
		{"one instance's october (the last minute of the month included)", map[string]any{"billMonthly": 202610, "resourceId": "100", "pageSize": 5000}, "100/ORD-1,100/ORD-3", 2, 52.85, 40.41, 0, 93.26},
		{"default month is the current UTC month", map[string]any{}, "100/ORD-4", 1, 5, 0, 0, 5},
		{"by order", map[string]any{"billMonthly": 202610, "orderSn": "ORD-2"}, "200/ORD-2", 1, 100, 0, 20, 80},
		{"by product", map[string]any{"billMonthly": 202610, "product": "Networking"}, "ip-1/", 1, 3, 0, 0, 3},
		{"a month without lines", map[string]any{"billMonthly": 202609}, "", 0, 0, 0, 0, 0},
		{"a resource without lines", map[string]any{"billMonthly": 202610, "resourceId": "999"}, "", 0, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := h.billPage(tt.body)
			if p.orders() != tt.wantOrders || p.TotalCount != tt.wantCount {
				t.Errorf("lines %q count %d, want %q count %d", p.orders(), p.TotalCount, tt.wantOrders, tt.wantCount)
			}
			if p.TotalCash != tt.wantCash || p.TotalVoucher != tt.wantVoucher || p.TotalRefund != tt.wantRefund || p.TotalSpend != tt.wantSpend {
				t.Errorf("totals cash %v voucher %v refund %v spend %v, want %v %v %v %v",
					p.TotalCash, p.TotalVoucher, p.TotalRefund, p.TotalSpend, tt.wantCash, tt.wantVoucher, tt.wantRefund, tt.wantSpend)
			}
		})
	}
	// Advancing the clock into December makes December the default month.
	h.clock.Advance(10 * 24 * time.Hour)
	if p := h.billPage(map[string]any{}); p.TotalCount != 0 {
		t.Errorf("december by default: %d lines", p.TotalCount)
	}
}

// TestDescribeBillDetailClampsPageSize: a pageSize over 5000 is answered with 5000 lines.
func TestDescribeBillDetailClampsPageSize(t *testing.T) {
	h := newHarness(t)
	lines := make([]BillLine, MaxBillPageSize+1)
	for i := range lines {
		lines[i] = BillLine{ResourceID: fmt.Sprint(i), Cash: 1, DeductionTime: at("2026-10-01T00:00:00Z")}
	}
	if err := h.sim.Load(Fleet{Instances: []SimInstance{}, Bills: lines}); err != nil {
		t.Fatal(err)
	}
	p := h.billPage(map[string]any{"billMonthly": 202610, "pageSize": 9999})
	if len(p.DataSet) != MaxBillPageSize || p.TotalCount != MaxBillPageSize+1 || p.TotalCash != MaxBillPageSize+1 {
		t.Fatalf("%d lines, totalCount %d, cash %v", len(p.DataSet), p.TotalCount, p.TotalCash)
	}
	if p := h.billPage(map[string]any{"billMonthly": 202610, "pageSize": 9999, "pageNum": 2}); len(p.DataSet) != 1 || p.DataSet[0].ResourceID != "5000" {
		t.Fatalf("page 2: %+v", p.DataSet)
	}
}

// TestBillErrors: bad parameters are 400; a credential without billing permission gets 403 on
// zbc only; faults apply to the billing actions.
func TestBillErrors(t *testing.T) {
	h := newBillHarness(t)
	tests := []struct {
		name       string
		action     string
		body       any
		wantStatus int
		wantCode   string
	}{
		{"pageNum 0", "DescribeBillDetail", map[string]any{"pageNum": 0}, 400, "INVALID_PARAMETER"},
		{"pageSize 0", "DescribeBillDetail", map[string]any{"pageSize": 0}, 400, "INVALID_PARAMETER"},
		{"month 13", "DescribeBillDetail", map[string]any{"billMonthly": 202613}, 400, "INVALID_PARAMETER"},
		{"month as yyyy-MM", "DescribeBillDetail", map[string]any{"billMonthly": 2026}, 400, "INVALID_PARAMETER"},
		{"month as a string", "DescribeBillDetail", []byte(`{"billMonthly":"202610"}`), 400, "INVALID_PARAMETER"},
		{"mis-cased member", "DescribeBillDetail", map[string]any{"ResourceId": "100"}, 400, "INVALID_PARAMETER"},
		{"summary type", "DescribeMonthlyBillSummary", map[string]any{"summaryType": "RESOURCE"}, 400, "INVALID_PARAMETER"},
		{"summary month 0", "DescribeMonthlyBillSummary", map[string]any{"billMonthly": 202600}, 400, "INVALID_PARAMETER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.failAt(zbcEndpoint, tt.action, tt.body, tt.wantStatus, tt.wantCode)
		})
	}
	h.sim.SetFault("DescribeBillDetail", Fault{HTTPStatus: 503, Count: 1})
	h.failAt(zbcEndpoint, "DescribeBillDetail", map[string]any{}, 503, "SERVICE_TEMPORARY_UNAVAILABLE")
	h.okAt(zbcEndpoint, "DescribeBillDetail", map[string]any{})
	if c := h.sim.Calls(); c[len(c)-2].Service != ServiceZBC || c[len(c)-2].Fault != "error" {
		t.Errorf("faulted call recorded as %+v", c[len(c)-2])
	}

	// totalCount drift on a later page, as for DescribeInstances.
	h.sim.SetFault("DescribeBillDetail", Fault{Kind: FaultTotalCountDrift, Count: 1})
	if p := h.billPage(map[string]any{"billMonthly": 202610, "pageSize": 2}); p.TotalCount != 4 {
		t.Errorf("page 1 drifted: %d", p.TotalCount)
	}
	if p := h.billPage(map[string]any{"billMonthly": 202610, "pageSize": 2, "pageNum": 2}); p.TotalCount != 5 {
		t.Errorf("page 2 totalCount %d, want the drifted 5", p.TotalCount)
	}
	if c := h.sim.Calls(); c[len(c)-1].Fault != "total_count_drift" {
		t.Errorf("drift not recorded: %+v", c[len(c)-1])
	}
	if p := h.billPage(map[string]any{"billMonthly": 202610, "pageSize": 2, "pageNum": 2}); p.TotalCount != 4 {
		t.Errorf("the drift outlived its count: %d", p.TotalCount)
	}

	denied := newBillHarness(t, func(o *Options) { o.NoPermission = map[string][]string{testKeyID: {ServiceZBC}} })
	denied.failAt(zbcEndpoint, "DescribeBillDetail", map[string]any{}, 403, CodeNoPermission)
	denied.failAt(zbcEndpoint, "DescribeMonthlyBillSummary", map[string]any{}, 403, CodeNoPermission)
	denied.okAt(zrmEndpoint, "DescribeResourceTags", map[string]any{"resourceUuid": "100"})
	denied.okAt(bmcEndpoint, "DescribeInstances", map[string]any{})
}

// TestDescribeMonthlyBillSummary: by product (default) and by resource group, rows sorted, the
// other dimension null, spend = cash + voucher − refund.
func TestDescribeMonthlyBillSummary(t *testing.T) {
	h := newBillHarness(t)
	row := func(product, rgID, rgName any, spend, cash, voucher, refund string) map[string]any {
		return map[string]any{"product": product, "resourceGroupId": rgID, "resourceGroupName": rgName,
			"spend": num(spend), "cash": num(cash), "voucher": num(voucher), "refund": num(refund)}
	}
	totals := map[string]any{"billMonthly": num("202610"), "totalSpend": num("176.260000"), "totalCash": num("155.850000"),
		"totalRefund": num("20.000000"), "totalVoucher": num("40.410000")}
	tests := []struct {
		name string
		body map[string]any
		rows []any
	}{
		{"by product (default)", map[string]any{"billMonthly": 202610}, []any{
			row("Compute", nil, nil, "173.260000", "152.850000", "40.410000", "20.000000"),
			row("Networking", nil, nil, "3.000000", "3.000000", "0.000000", "0.000000"),
		}},
		{"by resource group", map[string]any{"billMonthly": 202610, "summaryType": "RESOURCE_GROUP"}, []any{
			row(nil, "rg-1", "Default Resource Group", "96.260000", "55.850000", "40.410000", "0.000000"),
			row(nil, "rg-2", "Team", "80.000000", "100.000000", "0.000000", "20.000000"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := generic(t, h.okAt(zbcEndpoint, "DescribeMonthlyBillSummary", tt.body)).(map[string]any)
			delete(got, "requestId")
			want := map[string]any{"summaryInfoList": tt.rows}
			for k, v := range totals {
				want[k] = v
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	got := generic(t, h.okAt(zbcEndpoint, "DescribeMonthlyBillSummary", map[string]any{})).(map[string]any)
	if got["billMonthly"] != num("202611") || got["totalSpend"] != num("5.000000") {
		t.Errorf("current month by default: %v", got)
	}
}

// TestDescribeBillDetailShortPageAndSkip: FaultShortPage leaves out a page's last line with the
// totals unchanged and is recorded; Skip serves the first matching calls normally.
func TestDescribeBillDetailShortPageAndSkip(t *testing.T) {
	h := newBillHarness(t)
	h.sim.SetFault("DescribeBillDetail", Fault{Kind: FaultShortPage, Skip: 1, Count: 1})
	body := map[string]any{"billMonthly": 202610, "pageSize": 2}
	if p := h.billPage(body); len(p.DataSet) != 2 || p.TotalCount != 4 {
		t.Errorf("skipped call: %d lines of %d, want 2 of 4", len(p.DataSet), p.TotalCount)
	}
	if p := h.billPage(body); len(p.DataSet) != 1 || p.TotalCount != 4 {
		t.Errorf("short page: %d lines of %d, want 1 of 4", len(p.DataSet), p.TotalCount)
	}
	if c := h.sim.Calls(); c[len(c)-1].Fault != "short_page" || c[len(c)-2].Fault != "" {
		t.Errorf("calls recorded as %+v and %+v", c[len(c)-2], c[len(c)-1])
	}
	if p := h.billPage(body); len(p.DataSet) != 2 {
		t.Errorf("the fault outlived its count: %d lines", len(p.DataSet))
	}
}
