package pricing_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

const testSecret = "pricing-test-secret-0123"

func f64(v float64) *float64 { return &v }

// clock is the injected time: 2026-11-05, so the last full month is October 2026.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// world is a simulator with: A (M6C, SEL-A, POSTPAID) billed 83.26 + 10 in October; B (M6C,
// SEL-A) with no bill line; C (S9I, POSTPAID, priced per DAY); D (L12G, PREPAID, 2700 for 3
// months listed as 900 a month at 80%); E (NOPE: a type the API does not know).
type world struct {
	sim   *zensim.Server
	url   string
	clock *clock
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: &clock{t: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)}}
	w.sim = zensim.New(zensim.Options{Keys: map[string]string{"AKID": testSecret, "NOBILL": testSecret},
		NoPermission: map[string][]string{"NOBILL": {zensim.ServiceZBC}}, Seed: 1, Now: w.clock.now})
	oct := time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)
	fleet := zensim.Fleet{
		Instances: []zensim.SimInstance{
			{ID: "A", Zone: "SEL-A", Type: "M6C"}, {ID: "B", Zone: "SEL-A", Type: "M6C"},
			{ID: "C", Zone: "SEL-A", Type: "S9I"}, {ID: "D", Zone: "SEL-A", Type: "L12G", ChargeType: zen.ChargePrepaid},
		},
		Prices: zensim.PriceBook{
			{Zone: "SEL-A", Type: "M6C", Postpaid: &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(1.32), ChargeUnit: "HOUR"}}},
			{Zone: "SEL-A", Type: "S9I", Postpaid: &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(10), ChargeUnit: "DAY"}}},
			{Zone: "SEL-A", Type: "L12G", Prepaid: &zensim.PriceQuote{Instance: zensim.PriceItem{OriginalPrice: f64(900), Discount: f64(80)}}},
		},
		Bills: []zensim.BillLine{
			{ResourceID: "A", Cash: 42.85, Voucher: 40.41, DeductionTime: oct},
			{ResourceID: "A", Cash: 10, DeductionTime: oct.Add(time.Hour)},
		},
	}
	if err := w.sim.Load(fleet); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *world) client(t *testing.T, key string) *zen.Client {
	t.Helper()
	c, err := zen.New(zen.WithEndpoint(w.url), zen.WithAccessKey(key, testSecret), zen.WithClock(w.clock.now),
		zen.WithRetry(1, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) calls(action string) int {
	n := 0
	for _, c := range w.sim.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

var fleet = []pricing.Instance{
	instance("A", "SEL-A", "M6C", zen.ChargePostpaid, true),
	instance("B", "SEL-A", "M6C", zen.ChargePostpaid, true),
	instance("C", "SEL-A", "S9I", zen.ChargePostpaid, true),
	instance("D", "SEL-A", "L12G", zen.ChargePrepaid, true),
	instance("E", "SEL-A", "NOPE", zen.ChargePostpaid, true),
}

// instance is pricing's input for an instance of id, of typ in zone; bill asks for its bill.
func instance(id, zone, typ string, ct zen.ChargeType, bill bool) pricing.Instance {
	return pricing.Instance{Instance: &zen.Instance{ID: id, Zone: zone, Type: typ, ChargeType: ct}, Bill: bill}
}

// costsByID prices in (whose IDs differ) and returns the costs by instance ID, after checking
// that there is one cost for each instance.
func costsByID(t *testing.T, p *pricing.Pricer, ctx context.Context, in []pricing.Instance) (map[string]pricing.Cost, []string) {
	t.Helper()
	costs, warns := p.Costs(ctx, in)
	if len(costs) != len(in) {
		t.Fatalf("%d costs for %d instances", len(costs), len(in))
	}
	out := make(map[string]pricing.Cost, len(in))
	for i, c := range costs {
		id := in[i].Instance.ID
		if _, dup := out[id]; dup {
			t.Fatalf("costsByID: %s listed twice", id)
		}
		out[id] = c
	}
	return out, warns
}

// newStore opens a fresh bbolt state store, closed at cleanup.
func newStore(t *testing.T) *state.Store {
	t.Helper()
	s, err := state.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func overrides(m map[string]float64) func(typ, zone string) (float64, bool) {
	return func(typ, zone string) (float64, bool) { v, ok := m[typ+"/"+zone]; return v, ok }
}

func show(c pricing.Cost) string {
	if c.Monthly == nil {
		return string(c.Source) + " null"
	}
	return string(c.Source) + " " + c.Monthly.String()
}

// TestSourcesInOrder: override, then bill, then list, then unknown (null, never 0).
func TestSourcesInOrder(t *testing.T) {
	tests := []struct {
		name  string
		cfg   pricing.Config
		key   string
		want  map[string]string
		warns []string
	}{
		{"bills and list", pricing.Config{Bills: true, Refresh: 24 * time.Hour}, "AKID", map[string]string{
			"A": "bill 93.260000",  // 83.26 + 10 on October's bill
			"B": "list 963.600000", // no bill line: 1.32/h × 730 h
			"C": "list 304.200000", // 10/day × 30.42 days
			"D": "list 720.000000", // 900 × 80%, a one-month period
			"E": "unknown null",    // the API does not know the type
		}, []string{"list price of 1 zone/type/charge combination could not be read (first: SEL-A/NOPE/POSTPAID/ByBandwidth: zen: InquiryPriceCreateInstance: INVALID_INSTANCE_TYPE_NOT_FOUND: the specified"}},
		{"bills off", pricing.Config{Bills: false, Refresh: 24 * time.Hour}, "AKID", map[string]string{
			"A": "list 963.600000", "B": "list 963.600000", "C": "list 304.200000", "D": "list 720.000000", "E": "unknown null",
		}, []string{"list price of 1 zone/type/charge combination could not be read (first: SEL-A/NOPE/POSTPAID/ByBandwidth: zen: InquiryPriceCreateInstance: INVALID_INSTANCE_TYPE_NOT_FOUND: the specified"}},
		{"override wins", pricing.Config{Bills: true, Refresh: 24 * time.Hour,
			Override: overrides(map[string]float64{"M6C/SEL-A": 500.25, "NOPE/SEL-A": 0})}, "AKID", map[string]string{
			"A": "override 500.250000", "B": "override 500.250000", "C": "list 304.200000", "D": "list 720.000000",
			"E": "override 0.000000", // a configured 0 is a price, not unknown
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			p := pricing.New(tt.cfg, w.client(t, tt.key), newStore(t), w.clock.now, nil)
			got, warns := costsByID(t, p, context.Background(), fleet)
			for id, want := range tt.want {
				if s := show(got[id]); s != want {
					t.Errorf("%s: %s, want %s", id, s, want)
				}
			}
			if len(warns) != len(tt.warns) {
				t.Fatalf("warnings %q, want %d", warns, len(tt.warns))
			}
			for i := range warns {
				if !strings.HasPrefix(warns[i], tt.warns[i]) {
					t.Errorf("warning %q, want prefix %q", warns[i], tt.warns[i])
				}
			}
		})
	}
}

// TestBillPermission: a key that may not read bills turns bills off for the cycle after the first
// refusal, with one warning, and the costs come from list prices.
func TestBillPermission(t *testing.T) {
	w := newWorld(t)
	p := pricing.New(pricing.Config{Bills: true, Refresh: time.Hour}, w.client(t, "NOBILL"), newStore(t), w.clock.now, nil)
	got, warns := costsByID(t, p, context.Background(), fleet)
	if s := show(got["A"]); s != "list 963.600000" {
		t.Errorf("A: %s, want the list price", s)
	}
	if n := w.calls("DescribeBillDetail"); n != 1 {
		t.Errorf("%d DescribeBillDetail calls, want 1 (bills off after the refusal)", n)
	}
	if len(warns) != 2 || !strings.HasPrefix(warns[0], "bills are off for this cycle: the credentials may not read bills") {
		t.Errorf("warnings %q, want the bills-off warning first (then the unknown type)", warns)
	}
}

// TestFailureCostsTheFigureOnly: a price API that fails leaves the figures unknown, says so once,
// and never fails the call.
func TestFailureCostsTheFigureOnly(t *testing.T) {
	w := newWorld(t)
	w.sim.SetFault("InquiryPriceCreateInstance", zensim.Fault{HTTPStatus: 500})
	w.sim.SetFault("DescribeBillDetail", zensim.Fault{Kind: zensim.FaultMalformedJSON})
	p := pricing.New(pricing.Config{Bills: true, Refresh: time.Hour}, w.client(t, "AKID"), newStore(t), w.clock.now, nil)
	got, warns := costsByID(t, p, context.Background(), fleet)
	for _, in := range fleet {
		if c := got[in.Instance.ID]; c.Source != pricing.SourceUnknown || c.Monthly != nil {
			t.Errorf("%s: %s, want unknown null", in.Instance.ID, show(c))
		}
	}
	if len(warns) != 2 || !strings.HasPrefix(warns[0], "bill of 202610 not used this cycle: it could not be read completely (page 1 of the bill of 202610: zen: DescribeBillDetail:") ||
		!strings.HasPrefix(warns[1], "list price of 4 zone/type/charge combinations could not be read") {
		t.Errorf("warnings %q", warns)
	}
}

// TestCache: a second cycle asks nothing; list prices are asked again after refresh; the bill is
// read again (once, for the whole account) when an instance had no line and refresh has passed;
// a found bill is kept for the month.
func TestCache(t *testing.T) {
	w := newWorld(t)
	store := newStore(t)
	p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, w.client(t, "AKID"), store, w.clock.now, nil)
	costsByID(t, p, context.Background(), fleet)
	bills, lists := w.calls("DescribeBillDetail"), w.calls("InquiryPriceCreateInstance")
	if bills != 1 || lists != 4 {
		t.Fatalf("first cycle: %d bill and %d price calls, want 1 (one page of the month) and 4 (one per type)", bills, lists)
	}
	w.clock.t = w.clock.t.Add(23 * time.Hour)
	got, _ := costsByID(t, p, context.Background(), fleet)
	if b, l := w.calls("DescribeBillDetail")-bills, w.calls("InquiryPriceCreateInstance")-lists; b != 0 || l != 0 {
		t.Errorf("cached cycle: %d bill and %d price calls, want none", b, l)
	}
	if s := show(got["A"]); s != "bill 93.260000" {
		t.Errorf("A from the cache: %s", s)
	}
	w.clock.t = w.clock.t.Add(2 * time.Hour) // past refresh
	costsByID(t, p, context.Background(), fleet)
	if b, l := w.calls("DescribeBillDetail")-bills, w.calls("InquiryPriceCreateInstance")-lists; b != 1 || l != 4 {
		t.Errorf("after refresh: %d bill and %d price calls, want 1 (B..E had no line) and 4", b, l)
	}
	bills = w.calls("DescribeBillDetail")
	w.clock.t = time.Date(2026, 12, 1, 0, 0, 1, 0, time.UTC) // November is now the last full month
	got, _ = costsByID(t, p, context.Background(), fleet)
	if b := w.calls("DescribeBillDetail") - bills; b != 1 {
		t.Errorf("new month: %d bill calls, want 1", b)
	}
	if s := show(got["A"]); s != "list 963.600000" {
		t.Errorf("A in December (no November line): %s", s)
	}
	// October's bill entries are pruned; November's (no line yet) and the list prices stay.
	ps, err := store.Prices()
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range ps {
		kept = append(kept, e.ID().String())
	}
	want := "bill/202611/A bill/202611/B bill/202611/C bill/202611/D bill/202611/E " +
		"list/000000/SEL-A/L12G/PREPAID/ByBandwidth list/000000/SEL-A/M6C/POSTPAID/ByBandwidth " +
		"list/000000/SEL-A/NOPE/POSTPAID/ByBandwidth list/000000/SEL-A/S9I/POSTPAID/ByBandwidth"
	if got := strings.Join(kept, " "); got != want {
		t.Errorf("cache after the new month:\n got %s\nwant %s", got, want)
	}
}
