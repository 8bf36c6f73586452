package pricing

import (
	"errors"
	"fmt"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Monthly turns a quote into a monthly figure (zenlayer-bmc-api.md §11.3): the instance price plus
// the primary IP and every bandwidth price. A POSTPAID price per HOUR counts 730 hours, per DAY
// 30.42 days, per MONTH one month; a PREPAID price is for the whole period of months. A price that
// depends on usage (tiers, overage, a MONTH price per unit of usage) makes the figure unknown: an
// error, never a guess.
func Monthly(p zen.Price, period int) (money.Micros, error) {
	items := append([]zen.PriceItem{p.Instance}, p.Bandwidth...)
	if p.PrimaryIP != nil {
		items = append(items, *p.PrimaryIP)
	}
	var sum money.Micros
	for i, it := range items {
		m, err := itemMonthly(it, period)
		if err != nil {
			if i == 0 {
				return 0, fmt.Errorf("instance price: %w", err)
			}
			return 0, fmt.Errorf("price item %d: %w", i, err)
		}
		sum += m
	}
	return sum, nil
}

func itemMonthly(it zen.PriceItem, period int) (money.Micros, error) {
	discount := 100 * money.Unit
	if it.Discount != nil {
		discount = *it.Discount
	}
	discounted := func(list money.Micros) (money.Micros, error) {
		return list.MulDiv(int64(discount), int64(100*money.Unit))
	}
	// PREPAID: the price of the whole period.
	if it.DiscountPrice != nil || it.OriginalPrice != nil {
		total := it.DiscountPrice
		if total == nil {
			d, err := discounted(*it.OriginalPrice)
			if err != nil {
				return 0, err
			}
			total = &d
		}
		return total.MulDiv(1, int64(max(period, 1)))
	}
	if it.Tiered || it.Excess {
		return 0, errors.New("depends on usage (tiered or overage price)")
	}
	var unit money.Micros
	switch {
	case it.DiscountUnitPrice != nil:
		unit = *it.DiscountUnitPrice
	case it.UnitPrice != nil:
		d, err := discounted(*it.UnitPrice)
		if err != nil {
			return 0, err
		}
		unit = d
	default:
		return 0, errors.New("no price in the item")
	}
	switch it.ChargeUnit {
	case "HOUR":
		return unit.MulDiv(HoursPerMonth, 1)
	case "DAY":
		return unit.MulDiv(DaysPerMonthHundth, 100)
	case "MONTH":
		if it.AmountUnit != "" {
			return 0, fmt.Errorf("a monthly price per %s depends on usage", it.AmountUnit)
		}
		return unit, nil
	}
	return 0, fmt.Errorf("unknown charge unit %q", it.ChargeUnit)
}
