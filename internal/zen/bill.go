package zen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/reaper-bmc/reaper/internal/money"
)

// BillLine is one line of a month's bill (zenlayer-bmc-api.md §12.2). Amount is what the line
// cost: cash plus voucher.
type BillLine struct {
	ResourceID     string
	Product        string
	ProductSubitem string
	Amount         money.Micros
	Cash           money.Micros
	Voucher        money.Micros
	BillMonthly    int // yyyyMM
	Location       string
}

// billPageSize is the largest page the API serves (§12.2).
const billPageSize = 5000

type wireBillResponse struct {
	wireResponse
	TotalCount flexInt64      `json:"totalCount"`
	DataSet    []wireBillLine `json:"dataSet"`
}

type wireBillLine struct {
	ResourceID     flexString    `json:"resourceId"`
	Product        flexString    `json:"product"`
	ProductSubitem flexString    `json:"productSubitem"`
	Amount         *money.Micros `json:"amount"`
	Cash           *money.Micros `json:"cash"`
	Voucher        *money.Micros `json:"voucher"`
	BillMonthly    flexInt64     `json:"billMonthly"`
	Location       flexString    `json:"location"`
}

func (w wireBillLine) line(month int) (BillLine, error) {
	l := BillLine{ResourceID: string(w.ResourceID), Product: string(w.Product),
		ProductSubitem: string(w.ProductSubitem), BillMonthly: month, Location: string(w.Location)}
	// Absent is never zero: a line that states no amount, cash or voucher is not a line of 0.
	if w.Amount == nil && w.Cash == nil && w.Voucher == nil {
		return BillLine{}, fmt.Errorf("zen: bill of %d: a line of resource %q states no amount", month, l.ResourceID)
	}
	if w.Cash != nil {
		l.Cash = *w.Cash
	}
	if w.Voucher != nil {
		l.Voucher = *w.Voucher
	}
	// amount = cash + voucher (§12.2); a line without amount is read from its parts.
	if w.Amount != nil {
		l.Amount = *w.Amount
	} else {
		l.Amount = l.Cash + l.Voucher
	}
	return l, nil
}

// IsPermission reports whether err says the credentials may not use the service at all, as for
// a zenConsole member without billing permission: an authentication failure, or HTTP 403 with a
// code that names permission (the code is not documented, §1.5).
func IsPermission(err error) bool {
	if IsAuth(err) {
		return true
	}
	if ae, ok := errors.AsType[*APIError](err); ok && ae.HTTPStatus == http.StatusForbidden {
		return strings.Contains(ae.Code, "PERMISSION") || strings.Contains(ae.Code, "FORBIDDEN") ||
			strings.Contains(ae.Code, "UNAUTHORIZED")
	}
	return false
}

// BillMonth reads every line of month's bill (yyyyMM, UTC) for the whole account, page by page
// (pageSize 5000, the API's maximum, §12.2), and hands each page's lines of that month to each as
// they arrive, so that the caller aggregates and nothing keeps every line. The paging is as strict
// as the instance listing: a page that fails, a missing or changing totalCount, a page before the
// last that is not full, a page past the end or a line count that differs from totalCount is an
// error, and the caller must then discard what each received (a partial bill is no bill). Lines
// whose billMonthly names another month count toward totalCount but are not handed on. An error
// from each ends the reading with that error.
func (c *Client) BillMonth(ctx context.Context, month int, each func(lines []BillLine) error) error {
	const action = "DescribeBillDetail"
	if month < 100001 || month%100 < 1 || month%100 > 12 {
		return fmt.Errorf("zen: %s: month %d is not yyyyMM", action, month)
	}
	var total, seen int64
	pages := 1
	for page := 1; page <= pages; page++ {
		req := wireBillMonthRequest{PageNum: page, PageSize: billPageSize, BillMonthly: month}
		out, _, err := callWith(ctx, c, action, req, callOptions[wireBillResponse]{svc: &serviceZBC})
		if err != nil {
			return fmt.Errorf("page %d of the bill of %d: %w", page, month, err)
		}
		if !out.TotalCount.Valid {
			return fmt.Errorf("zen: bill of %d: page %d has no totalCount", month, page)
		}
		if page == 1 {
			total = out.TotalCount.Value
			if total < 0 || total > maxBillLines {
				return fmt.Errorf("zen: bill of %d: totalCount %d is implausible", month, total)
			}
			pages = max(1, int((total+billPageSize-1)/billPageSize))
		} else if out.TotalCount.Value != total {
			return fmt.Errorf("zen: bill of %d: totalCount changed from %d to %d at page %d", month, total, out.TotalCount.Value, page)
		}
		want := min(int64(billPageSize), total-seen)
		if int64(len(out.DataSet)) != want {
			return fmt.Errorf("zen: bill of %d: page %d has %d lines, want %d for totalCount %d",
				month, page, len(out.DataSet), want, total)
		}
		seen += int64(len(out.DataSet))
		lines := make([]BillLine, 0, len(out.DataSet))
		for _, w := range out.DataSet {
			if w.BillMonthly.Valid && int(w.BillMonthly.Value) != month {
				continue
			}
			l, err := w.line(month)
			if err != nil {
				return err
			}
			lines = append(lines, l)
		}
		if err := each(lines); err != nil {
			return err
		}
	}
	if seen != total {
		return fmt.Errorf("zen: bill of %d: %d lines read, totalCount %d", month, seen, total)
	}
	return nil
}

// maxBillLines bounds a month's totalCount (10,000 pages of 5000), against an absurd answer.
const maxBillLines = 50_000_000

// wireBillMonthRequest asks for a month's lines of every resource: no resourceId.
type wireBillMonthRequest struct {
	PageNum     int `json:"pageNum"`
	PageSize    int `json:"pageSize"`
	BillMonthly int `json:"billMonthly"`
}
