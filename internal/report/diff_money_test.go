package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

func cost(s string) *money.Micros {
	m, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return &m
}

// TestDiffTransitionsAndMoney checks the whole text of a diff: one line per transition, counted,
// in lifecycle order, with the monthly cost it moves summed exactly and unknown costs counted apart.
func TestDiffTransitionsAndMoney(t *testing.T) {
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name string
		a, b *Run
		want string
	}{{
		name: "lifecycle with costs",
		a: &Run{RunID: "a", StartedAt: at(0), Currency: "USD", Instances: []Instance{
			{ID: "1", Action: ActionKept, MonthlyCost: cost("100.10"), CostSource: CostBill},
			{ID: "2", Action: ActionKept, MonthlyCost: cost("0.20"), CostSource: CostList},
			{ID: "3", Action: ActionMarked, MonthlyCost: cost("1500"), CostSource: CostOverride},
			{ID: "4", Action: ActionWouldTerminate, MonthlyCost: cost("83.26"), CostSource: CostBill},
			{ID: "5", Action: ActionWouldTerminate, CostSource: CostUnknown},
			{ID: "6", Action: ActionKept, MonthlyCost: cost("9")}, // unchanged: no transition
			{ID: "7", Action: ActionMarked, MonthlyCost: cost("40"), CostSource: CostBill},
		}},
		b: &Run{RunID: "b", StartedAt: at(30), Currency: "USD", Instances: []Instance{
			{ID: "1", Action: ActionMarked, MonthlyCost: cost("100.10"), CostSource: CostBill},
			{ID: "2", Action: ActionMarked, MonthlyCost: cost("0.20"), CostSource: CostList},
			{ID: "3", Action: ActionWouldTerminate, MonthlyCost: cost("1500"), CostSource: CostOverride},
			{ID: "4", Action: ActionTerminated, MonthlyCost: cost("83.26"), CostSource: CostBill},
			{ID: "5", Action: ActionTerminated, CostSource: CostUnknown},
			{ID: "6", Action: ActionKept, MonthlyCost: cost("9")},
			{ID: "8", Action: ActionKept, MonthlyCost: cost("0.004999"), CostSource: CostList},
		}},
		want: `from a (2026-11-26 08:00 UTC)
  to b (2026-11-26 08:30 UTC)

transitions: 7 instances changed (per transition: count, monthly cost in USD)
  (new) -> kept: 1, 0.00
  kept -> marked: 2, 100.30
  marked -> would_terminate: 1, 1,500.00
  marked -> (gone): 1, 40.00
  would_terminate -> terminated: 2, 83.26 + 1 unknown

new candidates: 2
  + 1 "" [ ] kept -> marked
  + 2 "" [ ] kept -> marked

resolved candidates: 1
  - 7 "" [ ] marked -> (gone)

terminated since: 2
  x 4 "" [ ] would_terminate -> terminated
  x 5 "" [ ] would_terminate -> terminated

still candidates: 1
`,
	}, {
		name: "old reports without cost fields",
		a: &Run{RunID: "a", StartedAt: at(0), Instances: []Instance{
			{ID: "1", Action: ActionKept},
			{ID: "2", Action: ActionBlocked},
		}},
		b: &Run{RunID: "b", StartedAt: at(30), Instances: []Instance{
			{ID: "1", Action: ActionMarked},
			{ID: "2", Action: ActionFailed, Error: "boom"},
			{ID: "3", Action: ActionKept},
		}},
		want: `from a (2026-11-26 08:00 UTC)
  to b (2026-11-26 08:30 UTC)

transitions: 3 instances changed (per transition: count, monthly cost)
  (new) -> kept: 1, unknown
  kept -> marked: 1, unknown
  blocked -> failed: 1, unknown

new candidates: 1
  + 1 "" [ ] kept -> marked

resolved candidates: 0

terminated since: 0

still candidates: 1
`,
	}, {
		name: "old report against a new one",
		a: &Run{RunID: "a", StartedAt: at(0), Instances: []Instance{
			{ID: "1", Action: ActionWouldTerminate},
			{ID: "2", Action: ActionMarked},
		}},
		b: &Run{RunID: "b", StartedAt: at(30), Currency: "EUR", Instances: []Instance{
			{ID: "1", Action: ActionTerminated, MonthlyCost: cost("1234567.891"), CostSource: CostBill},
			{ID: "2", Action: ActionWouldTerminate, MonthlyCost: cost("10"), CostSource: CostUnknown},
		}},
		want: `from a (2026-11-26 08:00 UTC)
  to b (2026-11-26 08:30 UTC)

transitions: 2 instances changed (per transition: count, monthly cost in EUR)
  marked -> would_terminate: 1, unknown
  would_terminate -> terminated: 1, 1,234,567.89

new candidates: 0

resolved candidates: 0

terminated since: 1
  x 1 "" [ ] would_terminate -> terminated

still candidates: 1
`,
	}, {
		name: "currency changed between the runs",
		a: &Run{RunID: "a", StartedAt: at(0), Currency: "USD", Instances: []Instance{
			{ID: "1", Action: ActionMarked, MonthlyCost: cost("5"), CostSource: CostBill},
			{ID: "2", Action: ActionKept, MonthlyCost: cost("7"), CostSource: CostBill},
		}},
		b: &Run{RunID: "b", StartedAt: at(30), Currency: "EUR\x1b[2J", Instances: []Instance{
			{ID: "1", Action: ActionWouldTerminate, MonthlyCost: cost("4.5"), CostSource: CostBill},
		}},
		want: `from a (2026-11-26 08:00 UTC)
  to b (2026-11-26 08:30 UTC)

transitions: 2 instances changed (per transition: count, monthly cost in EUR\x1b[2J)
  note: a states costs in USD, b in EUR\x1b[2J; costs of gone instances count as unknown
  kept -> (gone): 1, unknown
  marked -> would_terminate: 1, 4.50

new candidates: 0

resolved candidates: 0

terminated since: 0

still candidates: 1
`,
	}, {
		name: "nothing changed",
		a:    &Run{RunID: "a", StartedAt: at(0), Currency: "USD", Instances: []Instance{{ID: "1", Action: ActionKept}}},
		b:    &Run{RunID: "b", StartedAt: at(30), Currency: "USD", Instances: []Instance{{ID: "1", Action: ActionKept}}},
		want: `from a (2026-11-26 08:00 UTC)
  to b (2026-11-26 08:30 UTC)

transitions: 0 instances changed (per transition: count, monthly cost in USD)

new candidates: 0

resolved candidates: 0

terminated since: 0

still candidates: 0
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteDiff(&buf, Diff(tt.a, tt.b)); err != nil {
				t.Fatalf("WriteDiff: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("diff text:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestDiffOfOldReportJSON reads a report as an older reaper wrote it (no currency, no monthly_cost,
// no cost_source) and diffs it against a new one: costs from the old run are unknown, never 0.
func TestDiffOfOldReportJSON(t *testing.T) {
	old, err := ReadJSON(strings.NewReader(`{"schema_version":1,"run_id":"old","instances":[
		{"id":"1","action":"marked","monthly_price":12.5},
		{"id":"2","action":"would_terminate"}]}`))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	cur := &Run{RunID: "new", Currency: "USD", Instances: []Instance{
		{ID: "1", Action: ActionWouldTerminate, MonthlyCost: cost("12.5"), CostSource: CostOverride},
	}}
	d := Diff(old, cur)
	want := []Transition{
		{Before: ActionMarked, After: ActionWouldTerminate, Count: 1, Cost: 12_500_000},
		{Before: ActionWouldTerminate, After: "", Count: 1, Unknown: 1},
	}
	if len(d.Transitions) != len(want) {
		t.Fatalf("transitions: got %+v, want %+v", d.Transitions, want)
	}
	for i := range want {
		if d.Transitions[i] != want[i] {
			t.Errorf("transition %d: got %+v, want %+v", i, d.Transitions[i], want[i])
		}
	}
}
