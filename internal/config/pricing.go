package config

import (
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// Pricing defaults (README, Cost and savings).
const (
	DefaultCurrency       = "USD"
	DefaultPricingRefresh = 24 * time.Hour
	// MaxMonthlyPrice bounds an override so that any sum of them stays exact in integer
	// micro-units (see the pricing package).
	MaxMonthlyPrice = 1e9
)

// Pricing says where the monthly cost of an instance comes from (README, Cost and savings).
type Pricing struct {
	// Currency labels every amount; the API does not state one.
	Currency string `yaml:"currency"`
	// Bills reads the last full month's bill per instance (needs billing read access).
	Bills bool `yaml:"bills"`
	// Refresh is how long list prices stay cached.
	Refresh Duration `yaml:"refresh"`
	// Overrides maps an instance type to its monthly price, for every zone or per zone; it wins
	// over bills and list prices.
	Overrides map[string]Override `yaml:"overrides"`
	// Legacy is true when the file used the old form, pricing: {TYPE: price}; its keys are then
	// named pricing.TYPE in errors.
	Legacy bool `yaml:"-"`
}

// Override is the configured monthly price of one instance type: All for every zone, or Zones
// per zone (an instance in a zone not listed has no override).
type Override struct {
	All   *float64
	Zones map[string]float64
}

// Monthly returns the override for an instance of typ in zone, if there is one.
func (p Pricing) Monthly(typ, zone string) (float64, bool) {
	o, ok := p.Overrides[typ]
	if !ok {
		return 0, false
	}
	if o.All != nil {
		return *o.All, true
	}
	v, ok := o.Zones[zone]
	return v, ok
}

// TypePrices returns the overrides that hold for every zone, as type -> monthly price.
func (p Pricing) TypePrices() map[string]float64 {
	out := map[string]float64{}
	for k, o := range p.Overrides {
		if o.All != nil {
			out[k] = *o.All
		}
	}
	return out
}

var (
	pricingType  = reflect.TypeFor[Pricing]()
	pricingKeys  = map[string]int{"currency": 0, "bills": 1, "refresh": 2, "overrides": 3}
	currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)
)

// decodePricing decodes the pricing mapping. A mapping that names none of currency, bills,
// refresh and overrides is the old form, instance type -> monthly price, read as overrides.
func (d *decoder) decodePricing(path string, n *yaml.Node, v reflect.Value) {
	p := v.Addr().Interface().(*Pricing)
	if n.Kind == yaml.MappingNode {
		legacy := true
		for i := 0; i < len(n.Content); i += 2 {
			if _, ok := pricingKeys[resolve(n.Content[i]).Value]; ok {
				legacy = false
			}
		}
		if legacy {
			p.Legacy = true
			d.decodeOverrides(path, n, p)
			return
		}
	}
	fields := structFields(pricingType)
	d.eachPair(path, n, func(kp, name string, k, val *yaml.Node) {
		i, ok := fields[name]
		if !ok {
			d.fail(kp, k, "%s", unknownKey(kp, name, fields))
			return
		}
		if name == "overrides" {
			if val = resolve(val); !isNull(val) {
				d.decodeOverrides(kp, val, p)
			}
			return
		}
		d.decodeValue(kp, val, v.Field(i))
	})
}

// decodeOverrides decodes type -> price or type -> {zone -> price} at path into p.Overrides,
// which it replaces as a whole when there is no error.
func (d *decoder) decodeOverrides(path string, n *yaml.Node, p *Pricing) {
	before := len(d.errs)
	m := map[string]Override{}
	d.eachPair(path, n, func(kp, name string, _, val *yaml.Node) {
		val = resolve(val)
		var o Override
		if val.Kind == yaml.MappingNode {
			zones := reflect.New(reflect.TypeFor[map[string]float64]()).Elem()
			d.decodeMap(kp, val, zones)
			o.Zones, _ = zones.Interface().(map[string]float64)
		} else {
			var f float64
			d.decodeScalar(kp, val, reflect.ValueOf(&f).Elem())
			o.All = &f
		}
		m[name] = o
	})
	if len(d.errs) == before {
		p.Overrides = m
	}
}

func (c *Config) checkPricing(v *checker) {
	p := c.Pricing
	if !currencyCode.MatchString(p.Currency) {
		v.add(keyErr("pricing.currency", "must be three capital letters (an ISO 4217 code such as USD), got %q", p.Currency))
	}
	if p.Refresh <= 0 {
		v.add(keyErr("pricing.refresh", "must be > 0, got %s", p.Refresh))
	}
	base := "pricing.overrides"
	if p.Legacy {
		base = "pricing"
	}
	for _, k := range slices.Sorted(maps.Keys(p.Overrides)) {
		key := child(base, k)
		if k == "" {
			v.add(keyErr(key, "instance type must not be empty"))
		}
		o := p.Overrides[k]
		if o.All != nil {
			checkPrice(v, key, *o.All)
			continue
		}
		if len(o.Zones) == 0 {
			v.add(keyErr(key, "must name at least one zone, or be a price"))
		}
		for _, z := range slices.Sorted(maps.Keys(o.Zones)) {
			zk := child(key, z)
			if z == "" {
				v.add(keyErr(zk, "zone must not be empty"))
			}
			checkPrice(v, zk, o.Zones[z])
		}
	}
}

func checkPrice(v *checker, key string, p float64) {
	switch {
	case !(p >= 0) || math.IsInf(p, 0):
		v.add(keyErr(key, "must be a finite number >= 0, got %v", p))
	case p > MaxMonthlyPrice:
		v.add(keyErr(key, "must be at most %.0f, got %v", MaxMonthlyPrice, p))
	}
}

// MarshalYAML writes an override the way it is read: a price, or a mapping of zone to price.
func (o Override) MarshalYAML() (any, error) {
	if o.All != nil {
		return *o.All, nil
	}
	return o.Zones, nil
}
