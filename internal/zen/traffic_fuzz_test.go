package zen

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzTrafficFigures decodes a DescribeInstanceTraffic answer whose sample figures and summary
// are arbitrary JSON values (or left out). A figure that is null, a blank string or missing is
// always absent, never zero; a figure the decoder accepts as present is the number the JSON
// says; an absent one has no value; and a point is complete only with both figures.
func FuzzTrafficFigures(f *testing.F) {
	for _, seed := range [][2]string{{"null", `""`}, {"144056", `"4608"`}, {`" 7 "`, "0"}, {"1e3", "-"}, {`"x"`, "1.5"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, rx, tx string) {
		if len(rx) > 64 || len(tx) > 64 || !jsonValue(rx) || !jsonValue(tx) {
			return
		}
		member := func(name, raw string) string {
			if raw == "-" {
				return "" // left out
			}
			return `"` + name + `":` + raw + `,`
		}
		body := `{"requestId":"T",` + member("in95", rx) + `"dataList":[{` + member("internetRX", rx) + member("internetTX", tx) +
			`"time":"2026-01-02T06:55:00Z"}]}`
		var w wireTrafficResponse
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			if absentJSON(rx) && absentJSON(tx) {
				t.Fatalf("absent figures %q, %q failed to decode: %v", rx, tx, err)
			}
			return
		}
		tr, err := trafficFromWire(actionDescribeInstanceTraffic, "1", &w, "T")
		if err != nil || len(tr.Points) != 1 {
			t.Fatalf("decode: %v, %d points", err, len(tr.Points))
		}
		p := tr.Points[0]
		checkFigure(t, "internetRX", rx, p.InBps)
		checkFigure(t, "internetTX", tx, p.OutBps)
		checkFigure(t, "in95", rx, tr.In95Bps)
		if p.Complete() != (p.InBps.Valid && p.OutBps.Valid) {
			t.Errorf("point %+v: Complete() = %v", p, p.Complete())
		}
	})
}

// absentJSON reports whether raw is a JSON value the API uses for "no figure": null, a blank
// string, or nothing at all ("-" in the fuzz input).
func absentJSON(raw string) bool {
	raw = strings.TrimSpace(raw)
	if raw == "-" || raw == "null" {
		return true
	}
	var s string
	return json.Unmarshal([]byte(raw), &s) == nil && strings.TrimSpace(s) == ""
}

// checkFigure compares a decoded figure with the JSON it came from.
func checkFigure(t *testing.T, name, raw string, got Measure) {
	t.Helper()
	if absentJSON(raw) {
		if got.Valid || got.Value != 0 {
			t.Errorf("%s %q decoded as %+v, want absent", name, raw, got)
		}
		return
	}
	if !got.Valid {
		if got.Value != 0 {
			t.Errorf("%s %q: absent figure with value %d", name, raw, got.Value)
		}
		return
	}
	text := strings.TrimSpace(raw)
	var s string
	if json.Unmarshal([]byte(text), &s) == nil {
		text = strings.TrimSpace(s)
	}
	want, err := strconv.ParseFloat(text, 64)
	if err != nil || math.Abs(float64(got.Value)-want) > math.Max(1, math.Abs(want)*1e-15) {
		t.Errorf("%s %q decoded as %d, want %v (%v)", name, raw, got.Value, want, err)
	}
}

// jsonValue reports whether raw is one JSON value, or "-" (left out).
func jsonValue(raw string) bool {
	return raw == "-" || json.Valid([]byte(raw))
}
