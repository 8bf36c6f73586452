package zensim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFleetPricesAndBills: the optional "prices" and "bills" sections decode strictly, survive
// Write, and are served after Load.
func TestFleetPricesAndBills(t *testing.T) {
	p := writeFile(t, `{"instances":[{"id":"100","zone":"HKG-A","type":"S9I"}],
 "prices":[{"zone":"HKG-A","type":"S9I","internet_charge_types":["ByBandwidth"],
   "postpaid":{"instance":{"unit_price":0.95,"charge_unit":"HOUR"}},
   "prepaid":{"instance":{"original_price":590,"discount":90},"primary_ip":{"original_price":2}}}],
 "bills":[{"resource_id":"100","cash":693.5,"voucher":0.5,"deduction_time":"2026-10-31T23:00:00Z","order_sn":"O-1"}]}`)
	f, err := LoadFleetFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Fleet{Verbatim: true,
		Instances: []FleetInstance{{ID: "100", Zone: "HKG-A", Type: "S9I", Status: "RUNNING", ChargeType: "POSTPAID"}},
		Prices: PriceBook{{Zone: "HKG-A", Type: "S9I", InternetChargeTypes: []string{"ByBandwidth"},
			Postpaid: &PriceQuote{Instance: PriceItem{UnitPrice: ptr(0.95), ChargeUnit: "HOUR"}},
			Prepaid:  &PriceQuote{Instance: PriceItem{OriginalPrice: ptr(590.0), Discount: ptr(90.0)}, PrimaryIP: &PriceItem{OriginalPrice: ptr(2.0)}}}},
		Bills: []BillLine{{ResourceID: "100", Cash: 693.5, Voucher: 0.5, DeductionTime: at("2026-10-31T23:00:00Z"), OrderSn: "O-1"}},
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := DecodeFleet(&buf)
	if err != nil {
		t.Fatalf("a written fleet does not load: %v", err)
	}
	if diff := cmp.Diff(f, again); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	h := newHarness(t)
	if err := h.sim.Load(f); err != nil {
		t.Fatal(err)
	}
	if p := h.billPage(map[string]any{"billMonthly": 202610}); p.TotalCount != 1 || p.DataSet[0].Amount != 694 {
		t.Errorf("bill served: %+v", p)
	}
	h.okAt(bmcEndpoint, "InquiryPriceCreateInstance", map[string]any{"zoneId": "HKG-A", "instanceTypeId": "S9I", "instanceChargeType": "POSTPAID", "internetChargeType": "ByBandwidth"})
	// A fleet written without the sections (a replay) has none.
	buf.Reset()
	if err := (Fleet{Instances: f.Instances}).Write(&buf); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.Contains(s, "prices") || strings.Contains(s, "bills") {
		t.Errorf("empty sections written: %s", s)
	}
}

// TestFleetPricesAndBillsErrors: each bad section names the entry and the field.
func TestFleetPricesAndBillsErrors(t *testing.T) {
	const inst = `"instances":[{"id":"1"}]`
	offer := `"zone":"HKG-A","type":"S9I"`
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"mis-cased offer field", `{` + inst + `,"prices":[{"Zone":"HKG-A"}]}`, []string{"prices[0]", `unknown field "Zone"`}},
		{"unknown item field", `{` + inst + `,"prices":[{` + offer + `,"postpaid":{"instance":{"price":1}}}]}`, []string{"prices[0]", `unknown field "price"`}},
		{"missing zone", `{` + inst + `,"prices":[{"type":"S9I","postpaid":{"instance":{"unit_price":1,"charge_unit":"HOUR"}}}]}`, []string{"prices[0]", "missing zone"}},
		{"no charge type", `{` + inst + `,"prices":[{` + offer + `}]}`, []string{"prices[0]", "postpaid, prepaid"}},
		{"duplicate offer", `{` + inst + `,"prices":[{` + offer + `,"prepaid":{"instance":{"original_price":1}}},{` + offer + `,"prepaid":{"instance":{"original_price":1}}}]}`, []string{"prices[1]", "prices[0]"}},
		{"bad charge unit", `{` + inst + `,"prices":[{` + offer + `,"postpaid":{"instance":{"unit_price":1,"charge_unit":"WEEK"}}}]}`, []string{"prices[0]", "postpaid.instance", "charge_unit"}},
		{"postpaid without a price", `{` + inst + `,"prices":[{` + offer + `,"postpaid":{"instance":{"charge_unit":"HOUR"}}}]}`, []string{"prices[0]", "unit_price"}},
		{"prepaid without a price", `{` + inst + `,"prices":[{` + offer + `,"prepaid":{"instance":{"discount":90}}}]}`, []string{"prices[0]", "prepaid.instance", "original_price"}},
		{"negative price", `{` + inst + `,"prices":[{` + offer + `,"prepaid":{"instance":{"original_price":-1}}}]}`, []string{"prices[0]", "original_price", "negative"}},
		{"discount over 100", `{` + inst + `,"prices":[{` + offer + `,"prepaid":{"instance":{"original_price":1,"discount":120}}}]}`, []string{"prices[0]", "discount"}},
		{"bad bandwidth item", `{` + inst + `,"prices":[{` + offer + `,"prepaid":{"instance":{"original_price":1},"bandwidth":[{"discount":5}]}}]}`, []string{"prices[0]", "bandwidth[0]", "original_price"}},
		{"undocumented internet charge type", `{` + inst + `,"prices":[{` + offer + `,"internet_charge_types":["ByMagic"],"prepaid":{"instance":{"original_price":1}}}]}`, []string{"prices[0]", "ByMagic"}},
		{"bill without resource", `{` + inst + `,"bills":[{"cash":1,"deduction_time":"2026-10-01T00:00:00Z"}]}`, []string{"bills[0]", "resource_id"}},
		{"bill without deduction time", `{` + inst + `,"bills":[{"resource_id":"1","cash":1}]}`, []string{"bills[0]", "deduction_time"}},
		{"bill month 13", `{` + inst + `,"bills":[{"resource_id":"1","cash":1,"deduction_time":"2026-10-01T00:00:00Z","bill_monthly":202613}]}`, []string{"bills[0]", "bill_monthly"}},
		{"negative cash", `{` + inst + `,"bills":[{"resource_id":"1","cash":-1,"deduction_time":"2026-10-01T00:00:00Z"}]}`, []string{"bills[0]", "negative"}},
		{"unknown bill field", `{` + inst + `,"bills":[{"resource_id":"1","amount":1,"deduction_time":"2026-10-01T00:00:00Z"}]}`, []string{"bills[0]", `unknown field "amount"`}},
		{"bill time not RFC 3339", `{` + inst + `,"bills":[{"resource_id":"1","deduction_time":"2026-10-01 00:00:00"}]}`, []string{"bills[0]"}},
		{"reversed service period", `{` + inst + `,"bills":[{"resource_id":"1","deduction_time":"2026-10-02T00:00:00Z","start_time":"2026-10-02T00:00:00Z","end_time":"2026-10-01T00:00:00Z"}]}`, []string{"bills[0]", "end_time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.content)
			_, err := LoadFleetFile(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
