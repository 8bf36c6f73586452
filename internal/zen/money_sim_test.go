package zen_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func f64(v float64) *float64 { return &v }

// moneySim serves two instances, prices for M6C in SEL-A and October 2026 bill lines; the key
// "NOBILL" may not read bills.
var simNow = time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)

func moneySim(t *testing.T) (*zensim.Server, string) {
	t.Helper()
	sim := zensim.New(zensim.Options{Keys: map[string]string{"AKID": "secret", "NOBILL": "secret"},
		NoPermission: map[string][]string{"NOBILL": {zensim.ServiceZBC}}, Seed: 1,
		Now: func() time.Time { return simNow }})
	oct := time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)
	fleet := zensim.Fleet{
		Instances: []zensim.SimInstance{{ID: "945345672712820433", Zone: "SEL-A", Type: "M6C"}, {ID: "2", Zone: "SEL-A", Type: "S9I"}},
		Prices: zensim.PriceBook{{Zone: "SEL-A", Type: "M6C",
			Postpaid: &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(1.32), ChargeUnit: "HOUR"},
				Bandwidth: []zensim.PriceItem{{UnitPrice: f64(0.5), ChargeUnit: "DAY"}}},
			Prepaid: &zensim.PriceQuote{Instance: zensim.PriceItem{OriginalPrice: f64(900), Discount: f64(80)}}}},
		Bills: []zensim.BillLine{
			{ResourceID: "945345672712820433", Cash: 42.85, Voucher: 40.41, DeductionTime: oct},
			{ResourceID: "945345672712820433", Cash: 10, DeductionTime: oct.Add(time.Hour)},
			{ResourceID: "945345672712820400", Cash: 99, DeductionTime: oct},
		},
	}
	if err := sim.Load(fleet); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

func moneyClient(t *testing.T, url, key string) *zen.Client {
	t.Helper()
	c, err := zen.New(zen.WithEndpoint(url), zen.WithAccessKey(key, "secret"), zen.WithRetry(1, time.Millisecond, time.Millisecond),
		zen.WithClock(func() time.Time { return simNow }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInquiryPriceCreateInstance(t *testing.T) {
	sim, url := moneySim(t)
	c := moneyClient(t, url, "AKID")
	p, err := c.InquiryPriceCreateInstance(t.Context(), zen.PriceQuery{Zone: "SEL-A", Type: "M6C", ChargeType: zen.ChargePostpaid})
	if err != nil {
		t.Fatal(err)
	}
	if p.Instance.DiscountUnitPrice == nil || *p.Instance.DiscountUnitPrice != 1_320_000 || p.Instance.ChargeUnit != "HOUR" {
		t.Errorf("postpaid instance price = %+v, want 1.32 per HOUR", p.Instance)
	}
	if len(p.Bandwidth) != 1 || p.Bandwidth[0].ChargeUnit != "DAY" || p.PrimaryIP != nil || p.Instance.OriginalPrice != nil {
		t.Errorf("postpaid quote = %+v", p)
	}
	p, err = c.InquiryPriceCreateInstance(t.Context(), zen.PriceQuery{Zone: "SEL-A", Type: "M6C", ChargeType: zen.ChargePrepaid, PrepaidPeriod: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := money.Micros(2160 * money.Unit); p.Instance.DiscountPrice == nil || *p.Instance.DiscountPrice != want {
		t.Errorf("prepaid discountPrice = %v, want %s (900 × 80%% × 3 months)", p.Instance.DiscountPrice, want)
	}
	_, err = c.InquiryPriceCreateInstance(t.Context(), zen.PriceQuery{Zone: "SEL-A", Type: "NOPE", ChargeType: zen.ChargePostpaid})
	if ae, ok := errors.AsType[*zen.APIError](err); !ok || ae.Code != "INVALID_INSTANCE_TYPE_NOT_FOUND" {
		t.Errorf("unknown type: err = %v, want INVALID_INSTANCE_TYPE_NOT_FOUND", err)
	}
	for _, call := range sim.Calls() {
		if call.Action == "InquiryPriceCreateInstance" && call.Service != zensim.ServiceBMC {
			t.Errorf("%s went to service %q, want bmc", call.Action, call.Service)
		}
	}
}
