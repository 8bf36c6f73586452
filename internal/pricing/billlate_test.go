package pricing_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// TestBillLinesPostedLaterAreRead: when a month's bill is final is not documented, so a sum read
// early in the next month is kept only for pricing.refresh; a line posted after that read counts
// once the refresh has passed, and not before. Found by review: the first read's partial sum was
// kept for the whole month (and would have gone into the savings ledger).
func TestBillLinesPostedLaterAreRead(t *testing.T) {
	w := &world{clock: &clock{t: time.Date(2026, 11, 1, 0, 30, 0, 0, time.UTC)}}
	w.sim = zensim.New(zensim.Options{Keys: map[string]string{"AKID": testSecret}, Seed: 1, Now: w.clock.now})
	oct := time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)
	fleet := func(lines ...zensim.BillLine) zensim.Fleet {
		return zensim.Fleet{Instances: []zensim.SimInstance{{ID: "I1", Zone: "SEL-A", Type: "M6C"}},
			Prices: zensim.PriceBook{{Zone: "SEL-A", Type: "M6C", Postpaid: &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(1.32), ChargeUnit: "HOUR"}}}},
			Bills:  lines}
	}
	if err := w.sim.Load(fleet(zensim.BillLine{ResourceID: "I1", Cash: 5, DeductionTime: oct})); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.sim)
	t.Cleanup(srv.Close)
	w.url = srv.URL
	p := pricing.New(pricing.Config{Bills: true, Refresh: 24 * time.Hour}, w.client(t, "AKID"), newStore(t), w.clock.now, nil)
	in := []pricing.Instance{instance("I1", "SEL-A", "M6C", zen.ChargePostpaid, true)}
	if got, _ := costsByID(t, p, context.Background(), in); show(got["I1"]) != "bill 5.000000" {
		t.Fatalf("1 Nov: %s, want bill 5.000000", show(got["I1"]))
	}
	if err := w.sim.Load(fleet(zensim.BillLine{ResourceID: "I1", Cash: 5, DeductionTime: oct},
		zensim.BillLine{ResourceID: "I1", Cash: 900, DeductionTime: oct.Add(time.Hour)})); err != nil {
		t.Fatal(err)
	}
	w.clock.t = w.clock.t.Add(time.Hour) // within refresh: the cached sum, no call
	if got, _ := costsByID(t, p, context.Background(), in); show(got["I1"]) != "bill 5.000000" {
		t.Errorf("1 Nov, an hour later: %s, want the cached bill 5.000000", show(got["I1"]))
	}
	w.clock.t = w.clock.t.Add(20 * 24 * time.Hour)
	if got, _ := costsByID(t, p, context.Background(), in); show(got["I1"]) != "bill 905.000000" {
		t.Errorf("21 Nov: %s, want bill 905.000000", show(got["I1"]))
	}
}
