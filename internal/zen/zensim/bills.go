package zensim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// DescribeBillDetail paging (zenlayer-bmc-api.md §12.2).
const (
	DefaultBillPageSize = 20
	MaxBillPageSize     = 5000 // a larger pageSize is answered with this many lines, not refused
)

// BillLine is one entry of a fleet file's "bills" section: a BillingDetailInfo line
// (zenlayer-bmc-api.md §12.2). DescribeBillDetail serves the lines in fleet order; amount is
// cash + voucher. Refund is not a field of a line on the wire: it counts in the month's
// totalRefund and in the summary's refund.
type BillLine struct {
	ResourceID string `json:"resource_id"`
	// BillMonthly is the bill's month as yyyyMM; default the UTC month of DeductionTime.
	BillMonthly    int     `json:"bill_monthly,omitempty"`
	Product        string  `json:"product,omitempty"`         // default "Compute"
	ProductSubitem string  `json:"product_subitem,omitempty"` // default "Bare Metal Instance"
	Cash           float64 `json:"cash"`
	Voucher        float64 `json:"voucher,omitempty"`
	Refund         float64 `json:"refund,omitempty"`
	BillingMode    string  `json:"billing_mode,omitempty"` // default "Time pricing"
	OrderSn        string  `json:"order_sn,omitempty"`
	// DeductionTime is required; StartTime and EndTime (the service period) default to the start
	// of the bill's month and DeductionTime.
	DeductionTime     time.Time `json:"deduction_time"`
	StartTime         time.Time `json:"start_time,omitzero"`
	EndTime           time.Time `json:"end_time,omitzero"`
	Label             string    `json:"label,omitempty"`
	Location          string    `json:"location,omitempty"`
	ResourceGroupID   string    `json:"resource_group_id,omitempty"`
	ResourceGroupName string    `json:"resource_group_name,omitempty"`
}

// withDefaults fills the defaults documented on BillLine.
func (b BillLine) withDefaults() BillLine {
	if b.BillMonthly == 0 {
		b.BillMonthly = monthOf(b.DeductionTime)
	}
	if b.Product == "" {
		b.Product = "Compute"
	}
	if b.ProductSubitem == "" {
		b.ProductSubitem = "Bare Metal Instance"
	}
	if b.BillingMode == "" {
		b.BillingMode = "Time pricing"
	}
	if b.StartTime.IsZero() {
		b.StartTime = monthStart(b.BillMonthly)
	}
	if b.EndTime.IsZero() {
		b.EndTime = b.DeductionTime
	}
	return b
}

func (b BillLine) validate() error {
	switch {
	case b.ResourceID == "":
		return errors.New("missing resource_id")
	case b.DeductionTime.IsZero():
		return errors.New("missing deduction_time")
	case b.Cash < 0 || b.Voucher < 0 || b.Refund < 0:
		return errors.New("cash, voucher and refund must not be negative")
	case b.BillMonthly != 0 && !validMonth(b.BillMonthly):
		return fmt.Errorf("bill_monthly %d is not a month written yyyyMM", b.BillMonthly)
	case !b.StartTime.IsZero() && !b.EndTime.IsZero() && b.EndTime.Before(b.StartTime):
		return errors.New("end_time is before start_time")
	}
	return nil
}

func validateBills(lines []BillLine) error {
	for i, b := range lines {
		if err := b.validate(); err != nil {
			return fmt.Errorf("bills[%d]: %w", i, err)
		}
	}
	return nil
}

// monthOf is t's UTC calendar month as yyyyMM (bills use UTC, §12.4).
func monthOf(t time.Time) int {
	t = t.UTC()
	return t.Year()*100 + int(t.Month())
}

func validMonth(m int) bool { return m >= 100001 && m <= 999912 && m%100 >= 1 && m%100 <= 12 }

func monthStart(m int) time.Time { return time.Date(m/100, time.Month(m%100), 1, 0, 0, 0, 0, time.UTC) }

// money is an amount as the API prints it: a JSON number with six decimals (83.260000).
type money float64

func (m money) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m), 'f', 6, 64), nil
}

type describeBillDetailRequest struct {
	PageNum     *int   `json:"pageNum"`
	PageSize    *int   `json:"pageSize"`
	BillMonthly *int   `json:"billMonthly"`
	OrderSn     string `json:"orderSn"`
	ResourceID  string `json:"resourceId"`
	Product     string `json:"product"`
}

type describeBillDetailResponse struct {
	RequestID    string           `json:"requestId"`
	TotalSpend   money            `json:"totalSpend"`
	TotalVoucher money            `json:"totalVoucher"`
	TotalCash    money            `json:"totalCash"`
	TotalRefund  money            `json:"totalRefund"`
	TotalCount   int              `json:"totalCount"`
	DataSet      []wireBillDetail `json:"dataSet"`
}

// wireBillDetail is BillingDetailInfo (§12.2).
type wireBillDetail struct {
	ResourceID        string `json:"resourceId"`
	Product           string `json:"product"`
	ProductSubitem    string `json:"productSubitem"`
	Amount            money  `json:"amount"`
	Voucher           money  `json:"voucher"`
	Cash              money  `json:"cash"`
	BillingMode       string `json:"billingMode"`
	OrderSn           string `json:"orderSn"`
	DeductionTime     string `json:"deductionTime"`
	StartTime         string `json:"startTime"`
	EndTime           string `json:"endTime"`
	Label             string `json:"label"`
	Location          string `json:"location"`
	BillMonthly       int    `json:"billMonthly"`
	ResourceGroupID   string `json:"resourceGroupId"`
	ResourceGroupName string `json:"resourceGroupName"`
}

func (b BillLine) wire() wireBillDetail {
	return wireBillDetail{
		ResourceID: b.ResourceID, Product: b.Product, ProductSubitem: b.ProductSubitem,
		Amount: money(round6(b.Cash + b.Voucher)), Voucher: money(b.Voucher), Cash: money(b.Cash),
		BillingMode: b.BillingMode, OrderSn: b.OrderSn,
		DeductionTime: formatWireTime(b.DeductionTime), StartTime: formatWireTime(b.StartTime), EndTime: formatWireTime(b.EndTime),
		Label: b.Label, Location: b.Location, BillMonthly: b.BillMonthly,
		ResourceGroupID: b.ResourceGroupID, ResourceGroupName: b.ResourceGroupName,
	}
}

// billMonth reads a request's billMonthly: the current UTC month when absent.
func billMonth(m *int, now time.Time) (int, *apiError) {
	if m == nil {
		return monthOf(now), nil
	}
	if !validMonth(*m) {
		return 0, invalidParameter("billMonthly `%d` is not a month written yyyyMM", *m)
	}
	return *m, nil
}

// describeBillDetail pages over the month's lines that match the filters, in fleet order; the
// totals cover every matching line, not the page (§12.2, §12.5).
func (s *Server) describeBillDetail(req *request) (any, *apiError) {
	var in describeBillDetailRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	pageNum, pageSize := 1, DefaultBillPageSize
	if in.PageNum != nil {
		if *in.PageNum < 1 {
			return nil, invalidParameter("pageNum must be at least 1")
		}
		pageNum = *in.PageNum
	}
	if in.PageSize != nil {
		if *in.PageSize < 1 {
			return nil, invalidParameter("pageSize must be at least 1")
		}
		pageSize = min(*in.PageSize, MaxBillPageSize)
	}
	if pageNum > (1<<31)/pageSize {
		return nil, invalidParameter("pageNum is too large")
	}
	month, e := billMonth(in.BillMonthly, req.now)
	if e != nil {
		return nil, e
	}
	resp := describeBillDetailResponse{RequestID: req.requestID, DataSet: []wireBillDetail{}}
	var cash, voucher, refund float64
	first := (pageNum - 1) * pageSize
	for _, b := range s.bills {
		b = b.withDefaults()
		if b.BillMonthly != month || in.OrderSn != "" && b.OrderSn != in.OrderSn ||
			in.ResourceID != "" && b.ResourceID != in.ResourceID || in.Product != "" && b.Product != in.Product {
			continue
		}
		if resp.TotalCount >= first && len(resp.DataSet) < pageSize {
			resp.DataSet = append(resp.DataSet, b.wire())
		}
		resp.TotalCount++
		cash, voucher, refund = cash+b.Cash, voucher+b.Voucher, refund+b.Refund
	}
	resp.TotalCash, resp.TotalVoucher, resp.TotalRefund = money(round6(cash)), money(round6(voucher)), money(round6(refund))
	resp.TotalSpend = money(round6(cash + voucher - refund))
	if pageNum > 1 {
		if _, fired := s.fireFaultLocked("DescribeBillDetail", req.body, func(k FaultKind) bool { return k == FaultTotalCountDrift }); fired {
			resp.TotalCount++
			req.fault = FaultTotalCountDrift.String()
		}
	}
	if len(resp.DataSet) > 0 {
		if _, fired := s.fireFaultLocked("DescribeBillDetail", req.body, func(k FaultKind) bool { return k == FaultShortPage }); fired {
			resp.DataSet = resp.DataSet[:len(resp.DataSet)-1]
			req.fault = FaultShortPage.String()
		}
	}
	return resp, nil
}

type describeMonthlyBillSummaryRequest struct {
	SummaryType string `json:"summaryType"`
	BillMonthly *int   `json:"billMonthly"`
}

type describeMonthlyBillSummaryResponse struct {
	RequestID       string            `json:"requestId"`
	BillMonthly     int               `json:"billMonthly"`
	TotalSpend      money             `json:"totalSpend"`
	TotalCash       money             `json:"totalCash"`
	TotalRefund     money             `json:"totalRefund"`
	TotalVoucher    money             `json:"totalVoucher"`
	SummaryInfoList []wireSummaryInfo `json:"summaryInfoList"`
}

// wireSummaryInfo is one summary row: product is null when grouped by resource group, and the
// resource group fields are null when grouped by product.
type wireSummaryInfo struct {
	Product           *string `json:"product"`
	ResourceGroupID   *string `json:"resourceGroupId"`
	ResourceGroupName *string `json:"resourceGroupName"`
	Spend             money   `json:"spend"`
	Cash              money   `json:"cash"`
	Voucher           money   `json:"voucher"`
	Refund            money   `json:"refund"`
}

// describeMonthlyBillSummary sums the month's lines by product (default) or resource group
// (§12.3), rows sorted by the group's name or ID; spend = cash + voucher − refund.
func (s *Server) describeMonthlyBillSummary(req *request) (any, *apiError) {
	var in describeMonthlyBillSummaryRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	byGroup := false
	switch in.SummaryType {
	case "", "PRODUCT":
	case "RESOURCE_GROUP":
		byGroup = true
	default:
		return nil, invalidParameter("summaryType `%s` is not PRODUCT or RESOURCE_GROUP", in.SummaryType)
	}
	month, e := billMonth(in.BillMonthly, req.now)
	if e != nil {
		return nil, e
	}
	type sums struct {
		name                  string
		cash, voucher, refund float64
	}
	groups := map[string]*sums{}
	var total sums
	for _, b := range s.bills {
		b = b.withDefaults()
		if b.BillMonthly != month {
			continue
		}
		key, name := b.Product, ""
		if byGroup {
			key, name = b.ResourceGroupID, b.ResourceGroupName
		}
		g, ok := groups[key]
		if !ok {
			g = &sums{name: name}
			groups[key] = g
		}
		g.cash, g.voucher, g.refund = g.cash+b.Cash, g.voucher+b.Voucher, g.refund+b.Refund
		total.cash, total.voucher, total.refund = total.cash+b.Cash, total.voucher+b.Voucher, total.refund+b.Refund
	}
	resp := describeMonthlyBillSummaryResponse{
		RequestID: req.requestID, BillMonthly: month,
		TotalSpend: money(round6(total.cash + total.voucher - total.refund)), TotalCash: money(round6(total.cash)),
		TotalRefund: money(round6(total.refund)), TotalVoucher: money(round6(total.voucher)),
		SummaryInfoList: []wireSummaryInfo{},
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	for _, k := range keys {
		g := groups[k]
		row := wireSummaryInfo{
			Spend: money(round6(g.cash + g.voucher - g.refund)), Cash: money(round6(g.cash)),
			Voucher: money(round6(g.voucher)), Refund: money(round6(g.refund)),
		}
		if byGroup {
			row.ResourceGroupID, row.ResourceGroupName = ptrOf(k), ptrOf(g.name)
		} else {
			row.Product = ptrOf(k)
		}
		resp.SummaryInfoList = append(resp.SummaryInfoList, row)
	}
	return resp, nil
}
