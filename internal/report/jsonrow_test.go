package report

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// TestInstanceJSONFieldsAreAllWritten fails when Instance gains (or loses) a JSON field that
// rowWriter does not write: report.json would silently miss it.
func TestInstanceJSONFieldsAreAllWritten(t *testing.T) {
	var names []string
	typ := reflect.TypeFor[Instance]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name != "-" {
			names = append(names, name)
		}
	}
	if !reflect.DeepEqual(names, instanceJSONFields) {
		t.Fatalf("Instance's JSON fields are\n  %q\nrowWriter writes\n  %q\nteach rowWriter.instance the new field", names, instanceJSONFields)
	}
}

// marshalIndentRow is what WriteJSON wrote for an instance before rowWriter: the reference.
// A value json.MarshalIndent refuses is "error", and must be refused by rowWriter too.
func marshalIndentRow(t *testing.T, in Instance) []byte {
	t.Helper()
	b, err := json.MarshalIndent(in, "    ", "  ")
	if err != nil {
		return []byte("error")
	}
	return b
}

func rowJSON(t *testing.T, in Instance) []byte {
	t.Helper()
	w := &rowWriter{prefix: "    "}
	if err := w.instance(&in); err != nil {
		return []byte("error")
	}
	return w.buf
}

// TestInstanceJSONMatchesMarshalIndent: rowWriter writes every instance byte for byte as
// json.MarshalIndent does, for edge cases (escapes, HTML characters, invalid UTF-8, time zones
// and nanoseconds, floats in both notations, empty and nil collections) and random instances.
func TestInstanceJSONMatchesMarshalIndent(t *testing.T) {
	ts := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	f := func(v float64) *float64 { return &v }
	m := func(v int64) *money.Micros { c := money.Micros(v); return &c }
	cases := map[string]Instance{
		"zero": {},
		"plain": {ID: "i-1", Name: "web", Zone: "HKG-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID",
			Action: ActionKept, Tags: tagsOf(map[string]string{"b": "2", "a": "1", "": "empty key"})},
		"escapes": {ID: `q"uo\te`, Name: "<script>&amp;</script>", Zone: "tab\there\nnl\r\x00\x1f",
			Type: "ünï€ode 日本", Status: "\u2028\u2029", ChargeType: "bad\xffutf8\xc3",
			Tags: tagsOf(map[string]string{"<k>": "&v", "é": "\x7f"}), Error: "\\", RequestID: "/slash/"},
		"empty collections": {Tags: tagsOf(map[string]string{}), Reasons: []Reason{}, Exemptions: []Reason{}, Warnings: []Reason{}, Marks: []Mark{}},
		"full": {ID: "i-2", Action: ActionWouldTerminate,
			Reasons:    []Reason{{Policy: "reaper.expiry", Reason: "expired"}, {Policy: "p", Reason: "<b>"}},
			Exemptions: []Reason{{Policy: "keep", Reason: ""}},
			Warnings:   []Reason{{}},
			SkipReason: "changed", MarkedAt: ts("2026-12-01T10:00:00Z"), DueAt: ts("2026-12-02T10:00:00.123456789+05:30"),
			Marks: []Mark{{Policy: "a", MarkedAt: *ts("2026-01-01T00:00:00Z"), DueAt: *ts("2026-01-02T00:00:00.5-07:00"), New: true},
				{Policy: "b"}},
			TerminatedAt: ts("2026-12-03T00:00:00.000000001Z"), RecycleDeadline: ts("2027-01-01T00:00:00Z"),
			Traffic:      &Traffic{WindowSeconds: 259200, Samples: 864, Complete: true, InP95Bps: -1, OutP95Bps: math.MaxInt64, InAvgBps: 3, OutAvgBps: 4},
			MonthlyPrice: f(123.45), MonthlyCost: m(-1_500_001), CostSource: "bill", TrafficStatus: TrafficPending},
	}
	for _, p := range []float64{0, math.Copysign(0, -1), 1, 0.1, 1e-6, 1e-7, 9.99e-7, 1.5e-10, 1e20, 1e21, 1.2345e22, -3e-8,
		123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64, math.Inf(1), math.NaN()} {
		cases["price "+strconv.FormatFloat(p, 'g', -1, 64)] = Instance{ID: "p", MonthlyPrice: f(p)}
	}
	for _, c := range []int64{0, 1, -1, 999_999, -1_000_000, math.MaxInt64, math.MinInt64} {
		cases["cost "+strconv.FormatInt(c, 10)] = Instance{ID: "c", MonthlyCost: m(c)}
	}
	odd := time.Date(2026, 12, 4, 1, 2, 3, 4, time.FixedZone("odd", 5*3600+30*60+17))
	far := time.Date(2026, 12, 4, 1, 2, 3, 4, time.FixedZone("far", 25*3600))
	neg := time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	cases["offset with seconds"] = Instance{ID: "o", MarkedAt: &odd, Marks: []Mark{{MarkedAt: odd, DueAt: odd}}}
	cases["offset beyond a day"] = Instance{ID: "o", DueAt: &far}
	cases["mark offset beyond a day"] = Instance{ID: "o", Marks: []Mark{{MarkedAt: far}}}
	cases["year -1"] = Instance{ID: "o", TerminatedAt: &neg}
	cases["year 10000"] = Instance{ID: "y", DueAt: ts("9999-12-31T23:59:59Z")}
	*cases["year 10000"].DueAt = cases["year 10000"].DueAt.Add(time.Hour)
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if got, want := rowJSON(t, in), marshalIndentRow(t, in); !bytes.Equal(got, want) {
				t.Errorf("rowWriter wrote\n%s\njson.MarshalIndent writes\n%s", got, want)
			}
		})
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	alphabet := []string{"a", "Z", "0", " ", "-", "\"", "\\", "<", ">", "&", "\n", "\x01", "é", "€", "\u2028", "\xff", "日"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	tp2 := func() *time.Time {
		v := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(time.FixedZone("", rng.IntN(200000)-100000))
		return &v
	}
	tp := func() *time.Time {
		if rng.IntN(2) == 0 {
			return nil
		}
		v := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(time.FixedZone("", (rng.IntN(48)-24)*1800))
		return &v
	}
	rs := func() []Reason {
		if rng.IntN(3) == 0 {
			return nil
		}
		out := make([]Reason, rng.IntN(3))
		for i := range out {
			out[i] = Reason{Policy: str(), Reason: str()}
		}
		return out
	}
	for i := range 2000 {
		in := Instance{ID: str(), Name: str(), Zone: str(), Type: str(), Status: str(), ChargeType: str(), Action: str(),
			Reasons: rs(), Exemptions: rs(), Warnings: rs(), SkipReason: str(), MarkedAt: tp(), DueAt: tp(),
			RequestID: str(), Error: str(), TerminatedAt: tp(), RecycleDeadline: tp(), CostSource: str(), TrafficStatus: str()}
		if rng.IntN(2) == 0 {
			m := map[string]string{}
			for range rng.IntN(5) {
				m[str()] = str()
			}
			in.Tags = tagsOf(m)
		}
		for range rng.IntN(3) {
			in.Marks = append(in.Marks, Mark{Policy: str(), MarkedAt: *tp2(), DueAt: *tp2(), New: rng.IntN(2) == 0})
		}
		if rng.IntN(2) == 0 {
			in.Traffic = &Traffic{WindowSeconds: rng.Int64(), Samples: rng.IntN(1000), Complete: rng.IntN(2) == 0,
				InP95Bps: rng.Int64() - rng.Int64(), OutP95Bps: rng.Int64(), InAvgBps: -rng.Int64N(5), OutAvgBps: rng.Int64N(5)}
		}
		if rng.IntN(2) == 0 {
			p := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(50)-25))
			in.MonthlyPrice = &p
		}
		if rng.IntN(2) == 0 {
			in.MonthlyCost = m(rng.Int64() - rng.Int64())
		}
		if got, want := rowJSON(t, in), marshalIndentRow(t, in); !bytes.Equal(got, want) {
			t.Fatalf("random instance %d: rowWriter wrote\n%s\njson.MarshalIndent writes\n%s", i, got, want)
		}
	}
}
