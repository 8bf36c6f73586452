package zensim

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testPrices: HKG-A S9I both charge types (postpaid 20 % off, with bandwidth and IP prices);
// SIN-A S9I prepaid only and ByBandwidth only; FRA-A is known from an instance but sells nothing.
func testPrices() PriceBook {
	return PriceBook{
		{Zone: "HKG-A", Type: "S9I",
			Postpaid: &PriceQuote{
				Instance:  PriceItem{Discount: ptr(80.0), UnitPrice: ptr(1.25), ChargeUnit: "HOUR"},
				Bandwidth: []PriceItem{{UnitPrice: ptr(0.5), ChargeUnit: "MONTH", AmountUnit: "Mbps"}},
				PrimaryIP: &PriceItem{UnitPrice: ptr(0.01), DiscountUnitPrice: ptr(0.008), ChargeUnit: "HOUR", Category: "CUSTOMIZED"},
			},
			Prepaid: &PriceQuote{Instance: PriceItem{Discount: ptr(90.0), OriginalPrice: ptr(600.0)}},
		},
		{Zone: "SIN-A", Type: "S9I", InternetChargeTypes: []string{"ByBandwidth"},
			Prepaid: &PriceQuote{Instance: PriceItem{OriginalPrice: ptr(500.0), DiscountPrice: ptr(450.0)}},
		},
	}
}

func num(s string) json.Number { return json.Number(s) }

// TestInquiryPriceCreateInstance: quotes in the exact wire shape of §11.1 (every PriceItem field
// present, null when unused), PREPAID prices for the whole period.
func TestInquiryPriceCreateInstance(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.Load(Fleet{Instances: []SimInstance{inst("100", func(s *SimInstance) { s.Zone = "FRA-A"; s.Type = "M6C" })}, Prices: testPrices()}); err != nil {
		t.Fatal(err)
	}
	nullItem := func(m map[string]any) map[string]any {
		out := map[string]any{"discount": nil, "originalPrice": nil, "discountPrice": nil, "unitPrice": nil, "discountUnitPrice": nil,
			"chargeUnit": nil, "stepPrices": nil, "amountUnit": nil, "excessUnitPrice": nil, "excessDiscountUnitPrice": nil,
			"excessAmountUnit": nil, "category": "STANDARD"}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name string
		body map[string]any
		want map[string]any // without requestId
	}{
		{"postpaid hourly", map[string]any{"zoneId": "HKG-A", "instanceTypeId": "S9I", "instanceChargeType": "POSTPAID", "internetChargeType": "ByBandwidth", "internetMaxBandwidthOut": 10},
			map[string]any{
				"instancePrice": nullItem(map[string]any{"discount": num("80"), "unitPrice": num("1.25"), "discountUnitPrice": num("1"), "chargeUnit": "HOUR"}),
				"bandwidthPrice": []any{nullItem(map[string]any{"discount": num("100"), "unitPrice": num("0.5"), "discountUnitPrice": num("0.5"),
					"chargeUnit": "MONTH", "amountUnit": "Mbps"})},
				"primaryIpPrice": nullItem(map[string]any{"discount": num("100"), "unitPrice": num("0.01"), "discountUnitPrice": num("0.008"),
					"chargeUnit": "HOUR", "category": "CUSTOMIZED"}),
			}},
		{"prepaid 12 months", map[string]any{"zoneId": "HKG-A", "instanceTypeId": "S9I", "instanceChargeType": "PREPAID", "instanceChargePrepaid": map[string]any{"period": 12}, "internetChargeType": "ByBandwidth"},
			map[string]any{
				"instancePrice":  nullItem(map[string]any{"discount": num("90"), "originalPrice": num("7200"), "discountPrice": num("6480")}),
				"bandwidthPrice": []any{},
				"primaryIpPrice": nil,
			}},
		{"prepaid with a given discounted price", map[string]any{"zoneId": "SIN-A", "instanceTypeId": "S9I", "instanceChargeType": "PREPAID", "instanceChargePrepaid": map[string]any{"period": 3}, "internetChargeType": "ByBandwidth"},
			map[string]any{
				"instancePrice":  nullItem(map[string]any{"discount": num("100"), "originalPrice": num("1500"), "discountPrice": num("1350")}),
				"bandwidthPrice": []any{},
				"primaryIpPrice": nil,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := generic(t, h.okAt(bmcEndpoint, "InquiryPriceCreateInstance", tt.body)).(map[string]any)
			delete(got, "requestId")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestInquiryPriceCreateInstanceErrors: request checks first, then the documented errors of §11.1.
func TestInquiryPriceCreateInstanceErrors(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.Load(Fleet{Instances: []SimInstance{inst("100", func(s *SimInstance) { s.Zone = "FRA-A"; s.Type = "M6C" })}, Prices: testPrices()}); err != nil {
		t.Fatal(err)
	}
	base := func(mods ...func(map[string]any)) map[string]any {
		b := map[string]any{"zoneId": "HKG-A", "instanceTypeId": "S9I", "instanceChargeType": "POSTPAID", "internetChargeType": "ByBandwidth"}
		for _, m := range mods {
			m(b)
		}
		return b
	}
	set := func(k string, v any) func(map[string]any) { return func(b map[string]any) { b[k] = v } }
	del := func(k string) func(map[string]any) { return func(b map[string]any) { delete(b, k) } }
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantCode   string
	}{
		{"no zoneId", base(del("zoneId")), 400, "MISSING_PARAMETER"},
		{"no instanceTypeId", base(del("instanceTypeId")), 400, "MISSING_PARAMETER"},
		{"no instanceChargeType", base(del("instanceChargeType")), 400, "MISSING_PARAMETER"},
		{"no internetChargeType", base(del("internetChargeType")), 400, "MISSING_PARAMETER"},
		{"charge type not PREPAID or POSTPAID", base(set("instanceChargeType", "postpaid")), 400, "INVALID_PARAMETER"},
		{"undocumented internet charge type", base(set("internetChargeType", "ByMagic")), 400, "INVALID_PARAMETER"},
		{"prepaid without period", base(set("instanceChargeType", "PREPAID")), 400, "MISSING_PARAMETER"},
		{"prepaid period 0", base(set("instanceChargeType", "PREPAID"), set("instanceChargePrepaid", map[string]any{"period": 0})), 400, "INVALID_PARAMETER"},
		{"negative bandwidth", base(set("internetMaxBandwidthOut", -1)), 400, "INVALID_PARAMETER"},
		{"old spelling InstanceChargePrepaid", base(set("InstanceChargePrepaid", map[string]any{"period": 1})), 400, "INVALID_PARAMETER"},
		{"unknown zone", base(set("zoneId", "SEL--A")), 404, "INVALID_ZONE_NOT_FOUND"},
		{"unknown type", base(set("instanceTypeId", "NOPE")), 404, "INVALID_INSTANCE_TYPE_NOT_FOUND"},
		{"type not sold in a known zone", base(set("zoneId", "FRA-A")), 400, "INVALID_INSTANCE_TYPE_ZONE_NO_SELL"},
		{"known type not sold anywhere", base(set("instanceTypeId", "M6C")), 400, "INVALID_INSTANCE_TYPE_ZONE_NO_SELL"},
		{"postpaid not offered", base(set("zoneId", "SIN-A")), 403, "INVALID_CHARGE_TYPE_NOT_SUPPORT"},
		{"internet charge type not sold", base(set("zoneId", "SIN-A"), set("instanceChargeType", "PREPAID"),
			set("instanceChargePrepaid", map[string]any{"period": 1}), set("internetChargeType", "ByTrafficPackage")), 400, "INVALID_INSTANCE_BANDWIDTH_ZONE_NO_SELL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.failAt(bmcEndpoint, "InquiryPriceCreateInstance", tt.body, tt.wantStatus, tt.wantCode)
		})
	}
	// The action is bmc's: refused on the billing path; faults apply to it like to any action.
	h.failAt(zbcEndpoint, "InquiryPriceCreateInstance", base(), 400, "INVALID_ACTION")
	h.sim.SetFault("InquiryPriceCreateInstance", Fault{HTTPStatus: 500, Count: 1})
	h.failAt(bmcEndpoint, "InquiryPriceCreateInstance", base(), 500, "INTERNAL_SERVER_ERROR")
	h.okAt(bmcEndpoint, "InquiryPriceCreateInstance", base())
}

// TestNoPricesSellsNothing: a fleet without a prices section quotes nothing: its zones and types
// are known (from the instances), so the answer is "not sold", never a price of 0.
func TestNoPricesSellsNothing(t *testing.T) {
	h := newHarness(t)
	h.load(inst("100"))
	h.failAt(bmcEndpoint, "InquiryPriceCreateInstance", map[string]any{"zoneId": "HKG-A", "instanceTypeId": "S9I",
		"instanceChargeType": "POSTPAID", "internetChargeType": "ByBandwidth"}, 400, "INVALID_INSTANCE_TYPE_ZONE_NO_SELL")
}
