package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the header row of report.csv.
var CSVHeader = []string{
	"id", "name", "zone", "type", "status", "charge_type", "action", "reasons", "exemptions",
	"warnings", "skip_reason", "marked_at", "due_at", "request_id", "error", "terminated_at",
	"recycle_deadline", "monthly_price", "monthly_cost", "cost_source", "traffic",
}

// WriteCSV writes one row per instance (report.csv), in the order of the run (Run.All). Reasons are
// joined as "policy: reason; policy: reason", times are RFC 3339 in UTC, and a cell that a
// spreadsheet would read as a formula (starting with = + - @, tab or carriage return) is prefixed
// with a single quote.
func WriteCSV(w io.Writer, r *Run) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	row := make([]string, 0, len(CSVHeader)) // one row's cells, reused
	for _, in := range r.All() {
		row = appendCSVRow(row[:0], in)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

// appendCSVRow appends the cells of in to row.
func appendCSVRow(row []string, in *Instance) []string {
	row = append(row,
		in.ID, in.Name, in.Zone, in.Type, in.Status, in.ChargeType, in.Action,
		joinReasons(in.Reasons), joinReasons(in.Exemptions), joinReasons(in.Warnings),
		in.SkipReason, csvTime(in.MarkedAt), csvTime(in.DueAt), in.RequestID, in.Error,
		csvTime(in.TerminatedAt), csvTime(in.RecycleDeadline), csvPrice(in.MonthlyPrice),
		csvCost(in), in.CostSource, trafficCell(*in),
	)
	for i, cell := range row {
		row[i] = defuseFormula(cell)
	}
	return row
}

// joinReasons renders reasons as "policy: reason; policy: reason".
func joinReasons(rs []Reason) string {
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return rs[0].Policy + ": " + rs[0].Reason
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Policy + ": " + r.Reason
	}
	return strings.Join(parts, "; ")
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvPrice(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 2, 64)
}

// csvCost is the monthly cost to the micro-unit, or empty when it is unknown.
func csvCost(in *Instance) string {
	if in.MonthlyCost == nil {
		return ""
	}
	return in.MonthlyCost.String()
}

// defuseFormula prefixes a cell that spreadsheets would evaluate as a formula with a single quote.
func defuseFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
