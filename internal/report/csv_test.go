package report

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readCSV(t *testing.T, r *Run) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("report.csv does not parse: %v", err)
	}
	return rows
}

func TestCSVRows(t *testing.T) {
	r := sampleRun(t)
	rows := readCSV(t, r)
	if diff := cmp.Diff(CSVHeader, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if got, want := len(rows)-1, len(r.Instances); got != want {
		t.Fatalf("data rows: got %d, want %d", got, want)
	}
	col := func(name string) int {
		for i, h := range CSVHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	// build-cache-old: terminated, two reasons, traffic, price.
	row := rows[2]
	want := map[string]string{
		"id": "932237369560662470", "action": "terminated",
		"reasons":          "reaper.idle: p95 traffic 1.2 kbps in / 0.8 kbps out over 72h, under 100 kbps; reaper.tags: required tag team missing for 9d",
		"marked_at":        "2026-11-25T02:00:00Z",
		"due_at":           "2026-11-26T02:00:00Z",
		"request_id":       "A1B2C3D4-0002",
		"terminated_at":    "2026-11-26T08:00:31Z",
		"recycle_deadline": "2026-11-27T08:00:31Z",
		"monthly_price":    "1249.50",
		"skip_reason":      "",
	}
	for name, w := range want {
		if got := row[col(name)]; got != w {
			t.Errorf("%s: got %q, want %q", name, got, w)
		}
	}
	if got := rows[9][col("exemptions")]; got != "reaper.keep: tag reaper-keep is true" {
		t.Errorf("exemptions of demo-env: got %q", got)
	}
	if got := rows[10][col("warnings")]; got != `reaper.expiry: tag reaper-ttl "forever" is not a duration; ignored` {
		t.Errorf("warnings of web-1: got %q", got)
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"web-1", "web-1"},
		{"", ""},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r := &Run{Instances: []Instance{{ID: "1", Name: tt.in, Action: ActionKept, SkipReason: tt.in}}}
			rows := readCSV(t, r)
			if got := rows[1][1]; got != tt.want {
				t.Errorf("name cell: got %q, want %q", got, tt.want)
			}
			if got := rows[1][10]; got != tt.want {
				t.Errorf("skip_reason cell: got %q, want %q", got, tt.want)
			}
		})
	}
}
