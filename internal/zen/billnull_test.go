package zen

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestBillLineWithoutFiguresIsNotZero: a bill line whose amount, cash and voucher are all null or
// absent is not a line of 0: the month's read fails (and pricing then uses no bill figure this
// cycle). Found by review: it read as 0.00.
func TestBillLineWithoutFiguresIsNotZero(t *testing.T) {
	for _, line := range []map[string]any{
		{"resourceId": "945345672712820433", "amount": nil, "cash": nil, "voucher": nil, "billMonthly": 202610},
		{"resourceId": "945345672712820433", "billMonthly": 202610},
	} {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
			ok(t, w, "r1", map[string]any{"totalCount": 1, "dataSet": []map[string]any{line}})
		})
		c := newTestClient(t, f)
		var got []BillLine
		err := c.BillMonth(context.Background(), 202610, func(l []BillLine) error { got = append(got, l...); return nil })
		if err == nil || !strings.Contains(err.Error(), "states no amount") {
			t.Errorf("BillMonth: err %v, lines %+v; want an error saying the line states no amount", err, got)
		}
	}
}
