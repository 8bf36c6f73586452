package pricing_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// bigWorld is a simulator whose October bill has linesPer lines for each of n instances
// ("I0000", …; instance i is billed i cents, then 1.5, then 2.25 on its further lines), plus lines
// of other resources (an elastic IP per 10 instances) and a November line that is not October's.
// The instance "NOLINE" has no line; every instance has a list price.
type bigWorld struct {
	*world
	ids  []string
	want map[string]money.Micros // each instance's October sum, added from its lines
}

func newBigWorld(t *testing.T, n, linesPer int) *bigWorld {
	t.Helper()
	w := &world{clock: &clock{t: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)}}
	w.sim = zensim.New(zensim.Options{Keys: map[string]string{"AKID": testSecret}, Seed: 1, Now: w.clock.now})
	oct := time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)
	b := &bigWorld{world: w, want: map[string]money.Micros{}}
	fleet := zensim.Fleet{Prices: zensim.PriceBook{
		{Zone: "SEL-A", Type: "M6C", Postpaid: &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(1.32), ChargeUnit: "HOUR"}}},
	}}
	amounts := []float64{0, 1.5, 2.25}
	for i := range n {
		id := fmt.Sprintf("I%04d", i)
		b.ids = append(b.ids, id)
		fleet.Instances = append(fleet.Instances, zensim.SimInstance{ID: id, Zone: "SEL-A", Type: "M6C"})
		for l := range linesPer {
			a := amounts[l%len(amounts)]
			if l == 0 {
				a = float64(i) / 100
			}
			fleet.Bills = append(fleet.Bills, zensim.BillLine{ResourceID: id, Cash: a, DeductionTime: oct.Add(time.Duration(l) * time.Hour)})
			m, err := money.FromFloat(a)
			if err != nil {
				t.Fatal(err)
			}
			b.want[id] += m
		}
		if i%10 == 0 {
			fleet.Bills = append(fleet.Bills, zensim.BillLine{ResourceID: "EIP-" + id, Cash: 3, DeductionTime: oct})
		}
	}
	fleet.Instances = append(fleet.Instances, zensim.SimInstance{ID: "NOLINE", Zone: "SEL-A", Type: "M6C"})
	fleet.Bills = append(fleet.Bills, zensim.BillLine{ResourceID: "I0001", Cash: 1000, DeductionTime: oct.AddDate(0, 1, 0)})
	if err := w.sim.Load(fleet); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return b
}

// instances is the fleet as pricing sees it: every instance asks for its bill.
func (b *bigWorld) instances() []pricing.Instance {
	out := make([]pricing.Instance, 0, len(b.ids)+1)
	for _, id := range append(b.ids[:len(b.ids):len(b.ids)], "NOLINE") {
		out = append(out, instance(id, "SEL-A", "M6C", zen.ChargePostpaid, true))
	}
	return out
}

// TestBillReadOncePerMonth: a cold cycle reads the month's bill for the whole account, in pages
// of 5000, not once per instance; the figures equal the sums of each instance's lines; an
// instance without a line gets its list price (never 0); the next cycle of the month asks nothing.
func TestBillReadOncePerMonth(t *testing.T) {
	const n, linesPer = 3000, 3
	b := newBigWorld(t, n, linesPer)
	p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, b.client(t, "AKID"), newStore(t), b.clock.now, nil)
	lines := n*linesPer + n/10 + 1 // the instances', the elastic IPs', the November line
	octLines := lines - 1
	wantCalls := (octLines + 4999) / 5000
	got, warns := costsByID(t, p, context.Background(), b.instances())
	if c := b.calls("DescribeBillDetail"); c != wantCalls {
		t.Fatalf("cold cycle: %d DescribeBillDetail calls, want %d (ceil(%d lines / 5000))", c, wantCalls, octLines)
	}
	if len(warns) != 0 {
		t.Errorf("warnings %q, want none", warns)
	}
	for _, id := range b.ids {
		if c := got[id]; c.Source != pricing.SourceBill || c.Monthly == nil || *c.Monthly != b.want[id] {
			t.Fatalf("%s: %s, want bill %s", id, show(c), b.want[id])
		}
	}
	if s := show(got["NOLINE"]); s != "list 963.600000" {
		t.Errorf("NOLINE: %s, want its list price (no line is not 0)", s)
	}
	b.clock.t = b.clock.t.Add(time.Hour)
	calls := b.calls("DescribeBillDetail")
	got2, _ := costsByID(t, p, context.Background(), b.instances())
	if c := b.calls("DescribeBillDetail") - calls; c != 0 {
		t.Errorf("second cycle of the month: %d DescribeBillDetail calls, want none", c)
	}
	for _, id := range append(b.ids, "NOLINE") {
		if show(got2[id]) != show(got[id]) {
			t.Fatalf("%s from the cache: %s, want %s", id, show(got2[id]), show(got[id]))
		}
	}
}

// TestBillIncompleteIsNoBill: a page that fails, a totalCount that changes between pages or a
// page that comes back short makes the whole month's bill unavailable for the cycle: no figure
// from it (a partial sum would understate a cost), every instance gets its list price, one
// warning; the cycle goes on, nothing is cached as read, and the next cycle reads the bill again.
func TestBillIncompleteIsNoBill(t *testing.T) {
	tests := []struct {
		name  string
		fault zensim.Fault
		warn  string
	}{
		{"second page fails", zensim.Fault{HTTPStatus: 500, Skip: 1, Count: 1}, "page 2 of the bill of 202610"},
		{"totalCount changes", zensim.Fault{Kind: zensim.FaultTotalCountDrift, Count: 1}, "totalCount changed from 6200 to 6201 at page 2"},
		{"short page", zensim.Fault{Kind: zensim.FaultShortPage, Count: 1}, "page 1 has 4999 lines, want 5000 for totalCount 6200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBigWorld(t, 2000, 3) // October: 6000 lines of instances, 200 of elastic IPs, in 2 pages
			p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, b.client(t, "AKID"), newStore(t), b.clock.now, nil)
			b.sim.SetFault("DescribeBillDetail", tt.fault)
			got, warns := costsByID(t, p, context.Background(), b.instances())
			for _, id := range append(b.ids, "NOLINE") {
				if s := show(got[id]); s != "list 963.600000" {
					t.Fatalf("%s: %s, want its list price (no figure from an incomplete bill)", id, s)
				}
			}
			if len(warns) != 1 || !strings.HasPrefix(warns[0], "bill of 202610 not used this cycle: it could not be read completely") ||
				!strings.Contains(warns[0], tt.warn) {
				t.Fatalf("warnings %q, want one naming %q", warns, tt.warn)
			}
			calls := b.calls("DescribeBillDetail")
			got, warns = costsByID(t, p, context.Background(), b.instances())
			if c := b.calls("DescribeBillDetail") - calls; c != 2 || len(warns) != 0 {
				t.Fatalf("next cycle: %d bill calls, warnings %q; want the bill read again (2 pages), no warning", c, warns)
			}
			if c := got["I0007"]; c.Source != pricing.SourceBill || *c.Monthly != b.want["I0007"] {
				t.Errorf("I0007 after a complete read: %s, want bill %s", show(c), b.want["I0007"])
			}
		})
	}
}

// TestBillCachedForTheFleet: the read of the month caches every instance of the inventory, so an
// instance that becomes a candidate later in the month needs no other read; a failed read writes
// nothing, so "not read" never passes for "no line".
func TestBillCachedForTheFleet(t *testing.T) {
	b := newBigWorld(t, 50, 2)
	store := newStore(t)
	p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, b.client(t, "AKID"), store, b.clock.now, nil)
	ins := b.instances()
	for i := range ins {
		ins[i].Bill = i == 0
	}
	costsByID(t, p, context.Background(), ins)
	if c := b.calls("DescribeBillDetail"); c != 1 {
		t.Fatalf("first cycle: %d bill calls, want 1", c)
	}
	for i := range ins {
		ins[i].Bill = true // every instance is a candidate now
	}
	got, _ := costsByID(t, p, context.Background(), ins)
	if c := b.calls("DescribeBillDetail"); c != 1 {
		t.Errorf("second cycle: %d more bill calls, want none", c-1)
	}
	if c := got["I0042"]; c.Source != pricing.SourceBill || *c.Monthly != b.want["I0042"] {
		t.Errorf("I0042: %s, want bill %s", show(c), b.want["I0042"])
	}
	if s := show(got["NOLINE"]); s != "list 963.600000" {
		t.Errorf("NOLINE: %s, want its list price", s)
	}
	ps, err := store.Prices()
	if err != nil {
		t.Fatal(err)
	}
	bills := 0
	for _, e := range ps {
		if e.Kind == state.PriceBill {
			bills++
			if e.Key == "NOLINE" && (e.Monthly != nil || e.Expires.IsZero()) {
				t.Errorf("NOLINE cached as %+v, want no amount until refresh", e)
			}
		}
	}
	if bills != 51 {
		t.Errorf("%d bill entries cached, want 51 (the inventory, not the elastic IPs)", bills)
	}

	// A failed read caches nothing: a fresh store, every page refused.
	store2 := newStore(t)
	b.sim.SetFault("DescribeBillDetail", zensim.Fault{HTTPStatus: 500})
	p2 := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, b.client(t, "AKID"), store2, b.clock.now, nil)
	costsByID(t, p2, context.Background(), ins)
	ps, err = store2.Prices()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ps {
		if e.Kind == state.PriceBill {
			t.Errorf("failed read cached %s", e.ID())
		}
	}
}
