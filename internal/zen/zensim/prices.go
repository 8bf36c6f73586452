package zensim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// PriceOffer is one entry of a fleet file's "prices" section: what InquiryPriceCreateInstance
// quotes for a type in a zone (zenlayer-bmc-api.md §11.1). A zone or type that appears in no
// offer and on no instance is unknown (404); a known zone and type without an offer are not sold
// there (400 INVALID_INSTANCE_TYPE_ZONE_NO_SELL).
type PriceOffer struct {
	Zone string `json:"zone"`
	Type string `json:"type"`
	// InternetChargeTypes are the internetChargeType values sold with the offer; a quote for
	// another is 400 INVALID_INSTANCE_BANDWIDTH_ZONE_NO_SELL. Empty: every documented one.
	InternetChargeTypes []string `json:"internet_charge_types,omitempty"`
	// Postpaid and Prepaid are the quotes per charge type; a nil one makes a quote for that
	// charge type 403 INVALID_CHARGE_TYPE_NOT_SUPPORT (the account may not use it).
	Postpaid *PriceQuote `json:"postpaid,omitempty"`
	Prepaid  *PriceQuote `json:"prepaid,omitempty"`
}

// PriceQuote is the answer for one charge type: instancePrice, bandwidthPrice and primaryIpPrice.
type PriceQuote struct {
	Instance  PriceItem   `json:"instance"`
	Bandwidth []PriceItem `json:"bandwidth,omitempty"`
	PrimaryIP *PriceItem  `json:"primary_ip,omitempty"` // nil: served as null
}

// PriceItem is the fleet form of the API's PriceItem. Fields left out are served as null, except
// Discount (default 100), Category (default STANDARD), DiscountUnitPrice (default UnitPrice ×
// Discount / 100) and DiscountPrice (default OriginalPrice × Discount / 100). In a PREPAID quote
// OriginalPrice and DiscountPrice are per month, and the simulator answers them for the whole
// requested period (price × period; the reference's likelier reading, §11.1).
type PriceItem struct {
	Discount                *float64    `json:"discount,omitempty"`
	OriginalPrice           *float64    `json:"original_price,omitempty"`
	DiscountPrice           *float64    `json:"discount_price,omitempty"`
	UnitPrice               *float64    `json:"unit_price,omitempty"`
	DiscountUnitPrice       *float64    `json:"discount_unit_price,omitempty"`
	ChargeUnit              string      `json:"charge_unit,omitempty"` // HOUR, DAY or MONTH
	StepPrices              []StepPrice `json:"step_prices,omitempty"`
	AmountUnit              string      `json:"amount_unit,omitempty"`
	ExcessUnitPrice         *float64    `json:"excess_unit_price,omitempty"`
	ExcessDiscountUnitPrice *float64    `json:"excess_discount_unit_price,omitempty"`
	ExcessAmountUnit        string      `json:"excess_amount_unit,omitempty"`
	Category                string      `json:"category,omitempty"` // STANDARD or CUSTOMIZED
}

// StepPrice is one tier of a POSTPAID tiered price.
type StepPrice struct {
	StepStart         float64  `json:"step_start"`
	StepEnd           *float64 `json:"step_end,omitempty"` // nil: no upper bound (served as null)
	UnitPrice         float64  `json:"unit_price"`
	DiscountUnitPrice *float64 `json:"discount_unit_price,omitempty"` // default UnitPrice × discount / 100
}

// PriceBook is a fleet's price offers.
type PriceBook []PriceOffer

// clone returns a deep copy, so a caller changing its Fleet after Load changes nothing served.
func (b PriceBook) clone() PriceBook {
	if b == nil {
		return nil
	}
	data, err := json.Marshal(b)
	if err != nil {
		panic(fmt.Sprintf("zensim: encode prices: %v", err)) // plain data always encodes
	}
	var out PriceBook
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("zensim: decode prices: %v", err))
	}
	return out
}

// internetChargeTypes are the documented internetChargeType values (§3.1, §11.1).
var internetChargeTypes = []string{"ByBandwidth", "ByTrafficPackage", "ByInstanceBandwidth95", "ByClusterBandwidth95", "ByBandwidthCluster"}

func (b PriceBook) validate() error {
	seen := map[[2]string]int{}
	for i, o := range b {
		if err := o.validate(); err != nil {
			return fmt.Errorf("prices[%d]: %w", i, err)
		}
		k := [2]string{o.Zone, o.Type}
		if first, dup := seen[k]; dup {
			return fmt.Errorf("prices[%d]: zone %q and type %q are also prices[%d]", i, o.Zone, o.Type, first)
		}
		seen[k] = i
	}
	return nil
}

func (o PriceOffer) validate() error {
	switch {
	case o.Zone == "":
		return errors.New("missing zone")
	case o.Type == "":
		return errors.New("missing type")
	case o.Postpaid == nil && o.Prepaid == nil:
		return errors.New("set postpaid, prepaid or both")
	}
	for _, t := range o.InternetChargeTypes {
		if !slices.Contains(internetChargeTypes, t) {
			return fmt.Errorf("internet_charge_types: %q is not one of %v", t, internetChargeTypes)
		}
	}
	if o.Postpaid != nil {
		if err := o.Postpaid.validate(false); err != nil {
			return fmt.Errorf("postpaid.%w", err)
		}
	}
	if o.Prepaid != nil {
		if err := o.Prepaid.validate(true); err != nil {
			return fmt.Errorf("prepaid.%w", err)
		}
	}
	return nil
}

func (q PriceQuote) validate(prepaid bool) error {
	if err := q.Instance.validate(prepaid); err != nil {
		return fmt.Errorf("instance: %w", err)
	}
	for i, it := range q.Bandwidth {
		if err := it.validate(prepaid); err != nil {
			return fmt.Errorf("bandwidth[%d]: %w", i, err)
		}
	}
	if q.PrimaryIP != nil {
		if err := q.PrimaryIP.validate(prepaid); err != nil {
			return fmt.Errorf("primary_ip: %w", err)
		}
	}
	return nil
}

func (it PriceItem) validate(prepaid bool) error {
	for name, v := range map[string]*float64{
		"original_price": it.OriginalPrice, "discount_price": it.DiscountPrice, "unit_price": it.UnitPrice,
		"discount_unit_price": it.DiscountUnitPrice, "excess_unit_price": it.ExcessUnitPrice,
		"excess_discount_unit_price": it.ExcessDiscountUnitPrice,
	} {
		if v != nil && *v < 0 {
			return fmt.Errorf("%s must not be negative", name)
		}
	}
	switch {
	case it.Discount != nil && (*it.Discount < 0 || *it.Discount > 100):
		return errors.New("discount must be between 0 and 100 (percent of the list price charged)")
	case it.ChargeUnit != "" && it.ChargeUnit != "HOUR" && it.ChargeUnit != "DAY" && it.ChargeUnit != "MONTH":
		return fmt.Errorf("charge_unit %q is not HOUR, DAY or MONTH", it.ChargeUnit)
	case it.Category != "" && it.Category != "STANDARD" && it.Category != "CUSTOMIZED":
		return fmt.Errorf("category %q is not STANDARD or CUSTOMIZED", it.Category)
	case prepaid && it.OriginalPrice == nil:
		return errors.New("original_price (per month) is required for prepaid")
	case !prepaid && it.UnitPrice == nil && it.StepPrices == nil:
		return errors.New("unit_price or step_prices is required for postpaid")
	case !prepaid && it.UnitPrice != nil && it.ChargeUnit == "":
		return errors.New("charge_unit is required with unit_price")
	}
	for i, sp := range it.StepPrices {
		if sp.StepStart < 0 || sp.UnitPrice < 0 || sp.StepEnd != nil && *sp.StepEnd < sp.StepStart {
			return fmt.Errorf("step_prices[%d]: negative price or step, or step_end before step_start", i)
		}
	}
	return nil
}

type inquiryPriceRequest struct {
	ZoneID                  string         `json:"zoneId"`
	InstanceTypeID          string         `json:"instanceTypeId"`
	InstanceChargeType      string         `json:"instanceChargeType"`
	InstanceChargePrepaid   *chargePrepaid `json:"instanceChargePrepaid"`
	InternetChargeType      string         `json:"internetChargeType"`
	InternetMaxBandwidthOut *int           `json:"internetMaxBandwidthOut"`
	TrafficPackageSize      *float64       `json:"trafficPackageSize"`
}

type chargePrepaid struct {
	Period *int `json:"period"`
}

type inquiryPriceResponse struct {
	RequestID      string          `json:"requestId"`
	InstancePrice  wirePriceItem   `json:"instancePrice"`
	BandwidthPrice []wirePriceItem `json:"bandwidthPrice"`
	PrimaryIPPrice *wirePriceItem  `json:"primaryIpPrice"`
}

// wirePriceItem is PriceItem as the API sends it: every field, null when unused (§11.1).
type wirePriceItem struct {
	Discount                *float64        `json:"discount"`
	OriginalPrice           *float64        `json:"originalPrice"`
	DiscountPrice           *float64        `json:"discountPrice"`
	UnitPrice               *float64        `json:"unitPrice"`
	DiscountUnitPrice       *float64        `json:"discountUnitPrice"`
	ChargeUnit              *string         `json:"chargeUnit"`
	StepPrices              []wireStepPrice `json:"stepPrices"`
	AmountUnit              *string         `json:"amountUnit"`
	ExcessUnitPrice         *float64        `json:"excessUnitPrice"`
	ExcessDiscountUnitPrice *float64        `json:"excessDiscountUnitPrice"`
	ExcessAmountUnit        *string         `json:"excessAmountUnit"`
	Category                *string         `json:"category"`
}

type wireStepPrice struct {
	StepStart         float64  `json:"stepStart"`
	StepEnd           *float64 `json:"stepEnd"`
	UnitPrice         float64  `json:"unitPrice"`
	DiscountUnitPrice float64  `json:"discountUnitPrice"`
}

// inquiryPriceCreateInstance quotes a new instance (§11.1), checking the request first, then the
// zone, the type, the offer, the charge type and the internet charge type.
func (s *Server) inquiryPriceCreateInstance(req *request) (any, *apiError) {
	var in inquiryPriceRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	period, e := in.validate()
	if e != nil {
		return nil, e
	}
	if !s.knownLocked(func(o PriceOffer) bool { return o.Zone == in.ZoneID }, func(i *SimInstance) bool { return i.Zone == in.ZoneID }) {
		return nil, newAPIError(http.StatusNotFound, "INVALID_ZONE_NOT_FOUND", "the specified zoneId `%s` is not found", in.ZoneID)
	}
	if !s.knownLocked(func(o PriceOffer) bool { return o.Type == in.InstanceTypeID }, func(i *SimInstance) bool { return i.Type == in.InstanceTypeID }) {
		return nil, newAPIError(http.StatusNotFound, "INVALID_INSTANCE_TYPE_NOT_FOUND", "the specified instanceTypeId `%s` is not found", in.InstanceTypeID)
	}
	i := slices.IndexFunc(s.prices, func(o PriceOffer) bool { return o.Zone == in.ZoneID && o.Type == in.InstanceTypeID })
	if i < 0 {
		return nil, newAPIError(http.StatusBadRequest, "INVALID_INSTANCE_TYPE_ZONE_NO_SELL", "the instance type `%s` is not sold in zone `%s`", in.InstanceTypeID, in.ZoneID)
	}
	offer := s.prices[i]
	quote := offer.Postpaid
	if in.InstanceChargeType == "PREPAID" {
		quote = offer.Prepaid
	}
	if quote == nil {
		return nil, operationDenied("INVALID_CHARGE_TYPE_NOT_SUPPORT", "the charge type `%s` is not supported", in.InstanceChargeType)
	}
	if len(offer.InternetChargeTypes) > 0 && !slices.Contains(offer.InternetChargeTypes, in.InternetChargeType) {
		return nil, newAPIError(http.StatusBadRequest, "INVALID_INSTANCE_BANDWIDTH_ZONE_NO_SELL", "the internet charge type `%s` is not sold in zone `%s`", in.InternetChargeType, in.ZoneID)
	}
	resp := inquiryPriceResponse{
		RequestID:      req.requestID,
		InstancePrice:  quote.Instance.wire(period),
		BandwidthPrice: []wirePriceItem{},
	}
	for _, it := range quote.Bandwidth {
		resp.BandwidthPrice = append(resp.BandwidthPrice, it.wire(period))
	}
	if quote.PrimaryIP != nil {
		w := quote.PrimaryIP.wire(period)
		resp.PrimaryIPPrice = &w
	}
	return resp, nil
}

// validate checks the request's own fields and returns the PREPAID period (0 for POSTPAID).
func (in *inquiryPriceRequest) validate() (int, *apiError) {
	for _, p := range []struct{ name, v string }{
		{"zoneId", in.ZoneID}, {"instanceTypeId", in.InstanceTypeID},
		{"instanceChargeType", in.InstanceChargeType}, {"internetChargeType", in.InternetChargeType},
	} {
		if p.v == "" {
			return 0, missingParameter(p.name)
		}
	}
	if !slices.Contains(internetChargeTypes, in.InternetChargeType) {
		return 0, invalidParameter("internetChargeType `%s` is not one of %v", in.InternetChargeType, internetChargeTypes)
	}
	if in.InternetMaxBandwidthOut != nil && *in.InternetMaxBandwidthOut < 0 {
		return 0, invalidParameter("internetMaxBandwidthOut must not be negative")
	}
	if in.TrafficPackageSize != nil && *in.TrafficPackageSize < 0 {
		return 0, invalidParameter("trafficPackageSize must not be negative")
	}
	switch in.InstanceChargeType {
	case "POSTPAID":
		return 0, nil
	case "PREPAID":
		if in.InstanceChargePrepaid == nil || in.InstanceChargePrepaid.Period == nil {
			return 0, missingParameter("instanceChargePrepaid.period")
		}
		if p := *in.InstanceChargePrepaid.Period; p < 1 {
			return 0, invalidParameter("instanceChargePrepaid.period must be at least 1 month")
		}
		return *in.InstanceChargePrepaid.Period, nil
	default:
		return 0, invalidParameter("instanceChargeType `%s` is not PREPAID or POSTPAID", in.InstanceChargeType)
	}
}

// knownLocked reports whether any offer or instance satisfies the matching predicate.
func (s *Server) knownLocked(offer func(PriceOffer) bool, inst func(*SimInstance) bool) bool {
	return slices.ContainsFunc(s.prices, offer) || slices.ContainsFunc(s.order, inst)
}

// wire serves the item for a quote; period > 0 is a PREPAID quote for that many months.
func (it PriceItem) wire(period int) wirePriceItem {
	discount := 100.0
	if it.Discount != nil {
		discount = *it.Discount
	}
	category := "STANDARD"
	if it.Category != "" {
		category = it.Category
	}
	discounted := func(list *float64) *float64 { return ptrOf(round6(*list * discount / 100)) }
	w := wirePriceItem{
		Discount:                ptrOf(discount),
		UnitPrice:               it.UnitPrice,
		DiscountUnitPrice:       it.DiscountUnitPrice,
		ChargeUnit:              optString(it.ChargeUnit),
		AmountUnit:              optString(it.AmountUnit),
		ExcessUnitPrice:         it.ExcessUnitPrice,
		ExcessDiscountUnitPrice: it.ExcessDiscountUnitPrice,
		ExcessAmountUnit:        optString(it.ExcessAmountUnit),
		Category:                &category,
	}
	if it.UnitPrice != nil && it.DiscountUnitPrice == nil {
		w.DiscountUnitPrice = discounted(it.UnitPrice)
	}
	if it.OriginalPrice != nil {
		months := float64(max(period, 1))
		w.OriginalPrice = ptrOf(round6(*it.OriginalPrice * months))
		if it.DiscountPrice != nil {
			w.DiscountPrice = ptrOf(round6(*it.DiscountPrice * months))
		} else {
			w.DiscountPrice = discounted(w.OriginalPrice)
		}
	}
	for _, sp := range it.StepPrices {
		d := sp.UnitPrice * discount / 100
		if sp.DiscountUnitPrice != nil {
			d = *sp.DiscountUnitPrice
		}
		w.StepPrices = append(w.StepPrices, wireStepPrice{StepStart: sp.StepStart, StepEnd: sp.StepEnd, UnitPrice: sp.UnitPrice, DiscountUnitPrice: round6(d)})
	}
	return w
}

func ptrOf[T any](v T) *T { return &v }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// round6 rounds to six decimals, the precision the API prints amounts with.
func round6(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
	return r
}
