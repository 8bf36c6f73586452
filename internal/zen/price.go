package zen

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/reaper-bmc/reaper/internal/money"
)

// PriceQuery asks what a new instance of Type in Zone costs (zenlayer-bmc-api.md §11.1). There is
// no way to price an existing instance; a quote for a new one is the nearest figure.
type PriceQuery struct {
	Zone       string
	Type       string
	ChargeType ChargeType
	// InternetChargeType is required by the docs; empty sends ByBandwidth.
	InternetChargeType string
	// PrepaidPeriod is the subscription length in months for PREPAID; 0 sends 1.
	PrepaidPeriod int
}

// PriceItem is one price of a quote. Amounts are nil when the API sent null (the field does not
// apply to the charge type).
type PriceItem struct {
	Discount          *money.Micros // percent charged: 80 means 20% off
	OriginalPrice     *money.Micros // PREPAID list price
	DiscountPrice     *money.Micros // PREPAID price after discount
	UnitPrice         *money.Micros // POSTPAID list price per ChargeUnit
	DiscountUnitPrice *money.Micros // POSTPAID price after discount per ChargeUnit
	ChargeUnit        string        // HOUR, DAY or MONTH (POSTPAID)
	AmountUnit        string        // a usage unit such as Mbps; "" when none
	Tiered            bool          // stepPrices were sent: the amount depends on usage
	Excess            bool          // an excess (overage) price was sent
	Category          string        // STANDARD or CUSTOMIZED
}

// Price is the answer of InquiryPriceCreateInstance.
type Price struct {
	Instance  PriceItem
	Bandwidth []PriceItem
	PrimaryIP *PriceItem
	RequestID string
}

type wirePriceRequest struct {
	ZoneID                string             `json:"zoneId"`
	InstanceTypeID        string             `json:"instanceTypeId"`
	InstanceChargeType    string             `json:"instanceChargeType"`
	InstanceChargePrepaid *wirePrepaidPeriod `json:"instanceChargePrepaid,omitempty"`
	InternetChargeType    string             `json:"internetChargeType"`
}

type wirePrepaidPeriod struct {
	Period int `json:"period"`
}

type wirePriceItem struct {
	Discount                *money.Micros   `json:"discount"`
	OriginalPrice           *money.Micros   `json:"originalPrice"`
	DiscountPrice           *money.Micros   `json:"discountPrice"`
	UnitPrice               *money.Micros   `json:"unitPrice"`
	DiscountUnitPrice       *money.Micros   `json:"discountUnitPrice"`
	ChargeUnit              flexString      `json:"chargeUnit"`
	StepPrices              json.RawMessage `json:"stepPrices"`
	AmountUnit              flexString      `json:"amountUnit"`
	ExcessUnitPrice         *money.Micros   `json:"excessUnitPrice"`
	ExcessDiscountUnitPrice *money.Micros   `json:"excessDiscountUnitPrice"`
	Category                flexString      `json:"category"`
}

// wirePriceItems is bandwidthPrice: documented as a list, also read when a single object comes
// instead (inferred alternative) or null.
type wirePriceItems []wirePriceItem

func (l *wirePriceItems) UnmarshalJSON(b []byte) error {
	if s := strings.TrimSpace(string(b)); strings.HasPrefix(s, "{") {
		var one wirePriceItem
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = wirePriceItems{one}
		return nil
	}
	return json.Unmarshal(b, (*[]wirePriceItem)(l))
}

type wirePriceResponse struct {
	wireResponse
	InstancePrice  *wirePriceItem `json:"instancePrice"`
	BandwidthPrice wirePriceItems `json:"bandwidthPrice"`
	PrimaryIPPrice *wirePriceItem `json:"primaryIpPrice"`
}

func (w wirePriceItem) item() PriceItem {
	steps := strings.TrimSpace(string(w.StepPrices))
	return PriceItem{
		Discount: w.Discount, OriginalPrice: w.OriginalPrice, DiscountPrice: w.DiscountPrice,
		UnitPrice: w.UnitPrice, DiscountUnitPrice: w.DiscountUnitPrice,
		ChargeUnit: strings.ToUpper(string(w.ChargeUnit)), AmountUnit: string(w.AmountUnit),
		Tiered:   steps != "" && steps != "null" && steps != "[]",
		Excess:   w.ExcessUnitPrice != nil || w.ExcessDiscountUnitPrice != nil,
		Category: string(w.Category),
	}
}

// InquiryPriceCreateInstance quotes a new instance (zenlayer-bmc-api.md §11.1). It is rate
// limited and retried like every other call.
func (c *Client) InquiryPriceCreateInstance(ctx context.Context, q PriceQuery) (Price, error) {
	const action = "InquiryPriceCreateInstance"
	req := wirePriceRequest{ZoneID: q.Zone, InstanceTypeID: q.Type, InstanceChargeType: string(q.ChargeType),
		InternetChargeType: q.InternetChargeType}
	if req.InternetChargeType == "" {
		req.InternetChargeType = "ByBandwidth"
	}
	if q.ChargeType == ChargePrepaid {
		req.InstanceChargePrepaid = &wirePrepaidPeriod{Period: max(q.PrepaidPeriod, 1)}
	}
	out, reqID, err := call[wirePriceResponse](ctx, c, action, req)
	if err != nil {
		return Price{}, err
	}
	if out.InstancePrice == nil {
		return Price{}, &DecodeError{Action: action, Field: "instancePrice", Value: "null",
			Err: fmt.Errorf("missing (request %s)", orNone(reqID))}
	}
	p := Price{Instance: out.InstancePrice.item(), RequestID: reqID}
	for _, b := range out.BandwidthPrice {
		p.Bandwidth = append(p.Bandwidth, b.item())
	}
	if out.PrimaryIPPrice != nil {
		ip := out.PrimaryIPPrice.item()
		p.PrimaryIP = &ip
	}
	return p, nil
}
