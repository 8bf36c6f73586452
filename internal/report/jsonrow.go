package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// instanceJSONFields are the JSON names appendInstanceJSON writes, in order. A test compares them
// with Instance's fields, so a field added to Instance without being added here fails the build's
// tests instead of silently missing from report.json.
var instanceJSONFields = []string{
	"id", "name", "zone", "type", "status", "charge_type", "tags", "action", "reasons", "exemptions",
	"warnings", "skip_reason", "marked_at", "due_at", "marks", "request_id", "error", "terminated_at",
	"recycle_deadline", "traffic", "monthly_price", "monthly_cost", "cost_source", "traffic_status",
}

// rowWriter appends one instance of report.json as json.MarshalIndent(in, prefix, "  ") would,
// byte for byte (TestInstanceJSONMatchesMarshalIndent), without reflection or the three passes
// (marshal, compact, indent) that MarshalIndent makes over a value with a MarshalJSON method. At
// 100,000 instances this is the difference between seconds and a fraction of one (issue 14).
type rowWriter struct {
	buf    []byte
	prefix string
	tagBuf Tags // reused for a row's First tags
}

// newline starts a line at depth levels of indentation below the prefix.
func (w *rowWriter) newline(depth int) {
	w.buf = append(w.buf, '\n')
	w.buf = append(w.buf, w.prefix...)
	for range depth {
		w.buf = append(w.buf, "  "...)
	}
}

// key writes the separator (when not first), the line break and `"name": `.
func (w *rowWriter) key(first bool, depth int, name string) {
	if !first {
		w.buf = append(w.buf, ',')
	}
	w.newline(depth)
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, `": `...)
}

// instance appends in; it fails where json.Marshal would (a time outside years 0 – 9999, a price
// that is not a finite number, a cost whose MarshalJSON is not valid JSON).
func (w *rowWriter) instance(in *Instance) error {
	w.buf = append(w.buf, '{')
	d := 1
	w.key(true, d, "id")
	w.str(in.ID)
	w.key(false, d, "name")
	w.str(in.Name)
	w.key(false, d, "zone")
	w.str(in.Zone)
	w.key(false, d, "type")
	w.str(in.Type)
	w.key(false, d, "status")
	w.str(in.Status)
	w.key(false, d, "charge_type")
	w.str(in.ChargeType)
	w.key(false, d, "tags")
	w.tags(in.Tags, d)
	w.key(false, d, "action")
	w.str(in.Action)
	w.key(false, d, "reasons")
	w.reasons(in.Reasons, d)
	w.key(false, d, "exemptions")
	w.reasons(in.Exemptions, d)
	w.key(false, d, "warnings")
	w.reasons(in.Warnings, d)
	w.key(false, d, "skip_reason")
	w.str(in.SkipReason)
	w.key(false, d, "marked_at")
	if err := w.timePtr(in.MarkedAt); err != nil {
		return err
	}
	w.key(false, d, "due_at")
	if err := w.timePtr(in.DueAt); err != nil {
		return err
	}
	w.key(false, d, "marks")
	if err := w.marks(in.Marks, d); err != nil {
		return err
	}
	w.key(false, d, "request_id")
	w.str(in.RequestID)
	w.key(false, d, "error")
	w.str(in.Error)
	w.key(false, d, "terminated_at")
	if err := w.timePtr(in.TerminatedAt); err != nil {
		return err
	}
	w.key(false, d, "recycle_deadline")
	if err := w.timePtr(in.RecycleDeadline); err != nil {
		return err
	}
	w.key(false, d, "traffic")
	w.traffic(in.Traffic, d)
	w.key(false, d, "monthly_price")
	if in.MonthlyPrice == nil {
		w.buf = append(w.buf, "null"...)
	} else if err := w.float(*in.MonthlyPrice); err != nil {
		return err
	}
	w.key(false, d, "monthly_cost")
	if in.MonthlyCost == nil {
		w.buf = append(w.buf, "null"...)
	} else {
		b, err := in.MonthlyCost.MarshalJSON()
		if err != nil {
			return err
		}
		if !json.Valid(b) { // encoding/json refuses what a MarshalJSON method writes wrong
			return fmt.Errorf("monthly_cost %q is not a JSON number", b)
		}
		w.buf = append(w.buf, b...)
	}
	if in.CostSource != "" { // omitempty
		w.key(false, d, "cost_source")
		w.str(in.CostSource)
	}
	if in.TrafficStatus != "" { // omitempty
		w.key(false, d, "traffic_status")
		w.str(in.TrafficStatus)
	}
	w.newline(0)
	w.buf = append(w.buf, '}')
	return nil
}

// tags writes t.First() as encoding/json writes a map: one pair per key, sorted by key.
func (w *rowWriter) tags(t Tags, d int) {
	if len(t) == 0 {
		w.buf = append(w.buf, "{}"...)
		return
	}
	w.tagBuf = t.First(w.tagBuf)
	defer clear(w.tagBuf) // keep no row's strings alive
	w.buf = append(w.buf, '{')
	for i, p := range w.tagBuf {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.newline(d + 1)
		w.str(p.Key)
		w.buf = append(w.buf, ": "...)
		w.str(p.Value)
	}
	w.newline(d)
	w.buf = append(w.buf, '}')
}

func (w *rowWriter) reasons(rs []Reason, d int) {
	if len(rs) == 0 {
		w.buf = append(w.buf, "[]"...)
		return
	}
	w.buf = append(w.buf, '[')
	for i := range rs {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.newline(d + 1)
		w.buf = append(w.buf, '{')
		w.key(true, d+2, "policy")
		w.str(rs[i].Policy)
		w.key(false, d+2, "reason")
		w.str(rs[i].Reason)
		w.newline(d + 1)
		w.buf = append(w.buf, '}')
	}
	w.newline(d)
	w.buf = append(w.buf, ']')
}

func (w *rowWriter) marks(ms []Mark, d int) error {
	if len(ms) == 0 {
		w.buf = append(w.buf, "[]"...)
		return nil
	}
	w.buf = append(w.buf, '[')
	for i := range ms {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.newline(d + 1)
		w.buf = append(w.buf, '{')
		w.key(true, d+2, "policy")
		w.str(ms[i].Policy)
		w.key(false, d+2, "marked_at")
		if err := w.time(ms[i].MarkedAt); err != nil {
			return err
		}
		w.key(false, d+2, "due_at")
		if err := w.time(ms[i].DueAt); err != nil {
			return err
		}
		w.newline(d + 1)
		w.buf = append(w.buf, '}')
	}
	w.newline(d)
	w.buf = append(w.buf, ']')
	return nil
}

func (w *rowWriter) traffic(t *Traffic, d int) {
	if t == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = append(w.buf, '{')
	w.key(true, d+1, "window_seconds")
	w.buf = strconv.AppendInt(w.buf, t.WindowSeconds, 10)
	w.key(false, d+1, "samples")
	w.buf = strconv.AppendInt(w.buf, int64(t.Samples), 10)
	w.key(false, d+1, "complete")
	w.buf = strconv.AppendBool(w.buf, t.Complete)
	w.key(false, d+1, "in_p95_bps")
	w.buf = strconv.AppendInt(w.buf, t.InP95Bps, 10)
	w.key(false, d+1, "out_p95_bps")
	w.buf = strconv.AppendInt(w.buf, t.OutP95Bps, 10)
	w.key(false, d+1, "in_avg_bps")
	w.buf = strconv.AppendInt(w.buf, t.InAvgBps, 10)
	w.key(false, d+1, "out_avg_bps")
	w.buf = strconv.AppendInt(w.buf, t.OutAvgBps, 10)
	w.newline(d)
	w.buf = append(w.buf, '}')
}

func (w *rowWriter) timePtr(t *time.Time) error {
	if t == nil {
		w.buf = append(w.buf, "null"...)
		return nil
	}
	return w.time(*t)
}

// time writes t as time.Time's MarshalJSON does (and fails where it does).
func (w *rowWriter) time(t time.Time) error {
	if y := t.Year(); y >= 0 && y <= 9999 {
		if _, off := t.Zone(); off > -24*3600 && off < 24*3600 && off%60 == 0 {
			w.buf = append(w.buf, '"')
			w.buf = t.AppendFormat(w.buf, time.RFC3339Nano)
			w.buf = append(w.buf, '"')
			return nil
		}
	}
	b, err := t.MarshalJSON() // its own error, or a form the common case above does not cover
	if err != nil {
		return err
	}
	w.buf = append(w.buf, b...)
	return nil
}

// float writes f as encoding/json writes a float64.
func (w *rowWriter) float(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		_, err := json.Marshal(f) // the same UnsupportedValueError
		return err
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(w.buf)
	w.buf = strconv.AppendFloat(w.buf, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(w.buf) - start; n >= 4 && w.buf[len(w.buf)-4] == 'e' && w.buf[len(w.buf)-3] == '-' && w.buf[len(w.buf)-2] == '0' {
			w.buf[len(w.buf)-2] = w.buf[len(w.buf)-1]
			w.buf = w.buf[:len(w.buf)-1]
		}
	}
	return nil
}

// str writes s as a JSON string. Strings of printable ASCII that encoding/json writes unchanged
// (no quote, backslash, <, > or &) are copied; anything else goes through encoding/json, so
// escaping (HTML-safe, U+2028, invalid UTF-8) is exactly its own.
func (w *rowWriter) str(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			w.buf = append(w.buf, b...)
			return
		}
	}
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '"')
}
