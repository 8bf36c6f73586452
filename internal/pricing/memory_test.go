package pricing_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// memZones and memTypes make the keys of the memory benchmark's fleet: every zone sells every
// type, both charge types (600 list price keys, as many as issue 14's large fleet asked).
const memZones, memTypes = 10, 30

// heapPeak samples the live heap (after a full GC) and keeps the largest sample.
type heapPeak struct {
	mu   sync.Mutex
	peak uint64
}

func (h *heapPeak) sample() {
	h.mu.Lock()
	defer h.mu.Unlock()
	// Twice: what a sync.Pool holds (bbolt's pages after a write) goes in two collections.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.peak = max(h.peak, ms.HeapAlloc)
}

// sampling is the real client, sampling the live heap in the middle of Costs: at the first list
// price call (the bills read, the input and the keys are live then) and after each page of the
// bill.
type sampling struct {
	*zen.Client
	heap *heapPeak
	once sync.Once
}

func (s *sampling) InquiryPriceCreateInstance(ctx context.Context, q zen.PriceQuery) (zen.Price, error) {
	s.once.Do(s.heap.sample)
	return s.Client.InquiryPriceCreateInstance(ctx, q)
}

func (s *sampling) BillMonth(ctx context.Context, month int, each func([]zen.BillLine) error) error {
	return s.Client.BillMonth(ctx, month, func(lines []zen.BillLine) error {
		err := each(lines)
		s.heap.sample()
		return err
	})
}

// memListing is a listing of n instances over the benchmark's keys; every tenth asks for its
// bill (a candidate), and the even ones have a line on October's bill.
func memListing(n int) ([]zen.Instance, []bool, zensim.Fleet) {
	var fleet zensim.Fleet
	for z := range memZones {
		for ty := range memTypes {
			q := &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(float64(ty + 1)), ChargeUnit: "HOUR"}}
			fleet.Prices = append(fleet.Prices, zensim.PriceOffer{Zone: fmt.Sprintf("ZONE-%d", z), Type: fmt.Sprintf("TYPE%02d", ty),
				Postpaid: q, Prepaid: &zensim.PriceQuote{Instance: zensim.PriceItem{OriginalPrice: f64(float64(ty + 1))}}})
		}
	}
	oct := time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)
	listing := make([]zen.Instance, n)
	bill := make([]bool, n)
	for i := range listing {
		ct := zen.ChargePostpaid
		if i%7 == 0 {
			ct = zen.ChargePrepaid
		}
		listing[i] = zen.Instance{ID: fmt.Sprintf("bm-%08d", i), Name: fmt.Sprintf("host-%08d", i),
			Zone: fmt.Sprintf("ZONE-%d", i%memZones), Type: fmt.Sprintf("TYPE%02d", i%memTypes), ChargeType: ct}
		bill[i] = i%10 == 0
		if i%2 == 0 {
			fleet.Bills = append(fleet.Bills, zensim.BillLine{ResourceID: listing[i].ID, Cash: 1.5, DeductionTime: oct})
		}
	}
	return listing, bill, fleet
}

// samplingStore is the real store, sampling the live heap when the cycle's prices are written
// (at the end of Costs, its cache still live; what the store then allocates is not pricing's).
type samplingStore struct {
	*state.Store
	heap *heapPeak
}

func (s samplingStore) PutPrices(ps ...state.Price) error {
	s.heap.sample()
	return s.Store.PutPrices(ps...)
}

// BenchmarkCostsMemory measures the live heap Costs adds at its peak, per instance, for a
// fleet of 300,000 (issue 14): the input built from the listing (as the record step builds it),
// what Costs holds while it asks, and the costs it returns. The listing itself is not counted
// (it is alive anyway). The cycle is cold (an empty price cache), or ("warm") the one an hour
// after a cold one, when an instance new since asks for its bill: the cache holds an entry for
// each instance, and the bill is read again. Short: run it with -benchtime=1x.
func BenchmarkCostsMemory(b *testing.B) {
	const n = 300_000
	for _, tt := range []struct {
		name        string
		bills, warm bool
	}{{"bills=false", false, false}, {"bills=true", true, false}, {"bills=true,warm", true, true}} {
		b.Run(tt.name, func(b *testing.B) {
			listing, billOf, fleet := memListing(n)
			clk := &clock{t: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)}
			sim := zensim.New(zensim.Options{Keys: map[string]string{"AKID": testSecret}, Seed: 1, Now: clk.now})
			if err := sim.Load(fleet); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			b.Cleanup(srv.Close)
			c, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey("AKID", testSecret), zen.WithClock(clk.now),
				zen.WithRetry(1, time.Millisecond, time.Millisecond), zen.WithRequestsPerSecond(1000))
			if err != nil {
				b.Fatal(err)
			}
			cfg := pricing.Config{Bills: tt.bills, Refresh: 24 * time.Hour, Override: overrides(map[string]float64{"TYPE07/ZONE-3": 99})}
			heap := &heapPeak{}
			st, err := state.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			store := samplingStore{Store: st, heap: heap}
			if tt.warm {
				// The cycle before did not see the last instance: new this hour, and a candidate.
				pricing.New(cfg, c, store, clk.now, nil).Costs(context.Background(), memInput(listing[:n-1], billOf))
				billOf[n-1] = true
			}
			var perInstance float64
			for b.Loop() {
				clk.t = clk.t.Add(time.Hour)
				heap.peak = 0
				heap.sample()
				base := heap.peak
				heap.peak = 0
				p := pricing.New(cfg, &sampling{Client: c, heap: heap}, store, clk.now, nil)
				in := memInput(listing, billOf)
				costs, _ := p.Costs(context.Background(), in)
				heap.sample()
				runtime.KeepAlive(in)
				runtime.KeepAlive(costs)
				perInstance = float64(heap.peak-base) / n
			}
			runtime.KeepAlive(listing)
			runtime.KeepAlive(fleet)
			b.ReportMetric(perInstance, "live-B/instance")
		})
	}
}

// memInput is pricing's input for the listing, as the record step builds it.
func memInput(listing []zen.Instance, bill []bool) []pricing.Instance {
	in := make([]pricing.Instance, len(listing))
	for i := range listing {
		in[i] = pricing.Instance{Instance: &listing[i], Bill: bill[i]}
	}
	return in
}
