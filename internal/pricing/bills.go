package pricing

import (
	"context"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// bills returns, for each instance that asks for a bill (and has no override), its amount on
// month's bill, or nil when the bill has no line for it or could not be read; and at most one
// warning.
//
// The cache holds one entry per instance and month: an amount, or nil for "the bill was read and
// has no line for this instance", each kept for refresh (default a day) and then read again: when
// a month's bill is final is not documented (§12.5), and lines posted after a read would otherwise
// never count (found by review: an early read's partial sum was kept for the whole month). No
// entry means "not read". When every instance that asks has an entry,
// nothing is called. Otherwise the month's bill is read ONCE for the whole account, in pages of
// 5000 (zen.Client.BillMonth), summing the lines of the instances passed in (the cycle's fleet)
// as pages arrive; other resources' lines are dropped, so memory is bounded by the fleet. Entries
// are written for every instance of the fleet, so that an instance that becomes a candidate later
// in the month finds its figure without another read.
//
// A read that fails in any way (a page, a changing totalCount, a short page, a count that does
// not match) yields no figure at all from it: a partial sum would understate a cost. Entries of
// earlier complete reads are still used until they expire.
func (p *Pricer) bills(ctx context.Context, month int, now time.Time, instances []Instance, c *cache) (map[string]*money.Micros, string) {
	if !p.cfg.Bills {
		return nil, ""
	}
	out := map[string]*money.Micros{}
	read := false
	for _, in := range instances {
		if _, over := p.override(in); !in.Bill || over {
			continue
		}
		e, ok := c.get(billKey(month, in.ID))
		if ok && now.Before(e.Expires) {
			out[in.ID] = e.Monthly
			continue
		}
		read = true
	}
	if !read || ctx.Err() != nil {
		return out, ""
	}
	sums := make(map[string]money.Micros, len(instances))
	fleet := make(map[string]struct{}, len(instances))
	for _, in := range instances {
		fleet[in.ID] = struct{}{}
	}
	err := p.api.BillMonth(ctx, month, func(lines []zen.BillLine) error {
		for _, l := range lines {
			// resourceId is compared as a string, exactly (§12.4).
			if _, ok := fleet[l.ResourceID]; ok {
				sums[l.ResourceID] += l.Amount
			}
		}
		return nil
	})
	switch {
	case zen.IsPermission(err):
		return out, fmt.Sprintf("bills are off for this cycle: the credentials may not read bills (%v); costs come from list prices", err)
	case err != nil:
		return out, fmt.Sprintf("bill of %d not used this cycle: it could not be read completely (%v); "+
			"costs not already cached from an earlier complete read come from list prices", month, err)
	}
	for id := range fleet {
		// No line is not a cost of 0, and a sum may not be final yet: both are read again after
		// refresh.
		e := state.Price{Kind: state.PriceBill, Month: month, Key: id, FetchedAt: now, Expires: now.Add(p.cfg.Refresh)}
		if sum, ok := sums[id]; ok {
			e.Monthly = &sum
		}
		c.put(e)
		out[id] = e.Monthly
	}
	return out, ""
}

func billKey(month int, id string) state.PriceKey {
	return state.PriceKey{Kind: state.PriceBill, Month: month, Key: id}
}

// override returns the configured monthly price of in, if any (then its bill is not needed).
func (p *Pricer) override(in Instance) (money.Micros, bool) {
	if p.cfg.Override == nil {
		return 0, false
	}
	f, ok := p.cfg.Override(in.Type, in.Zone)
	if !ok {
		return 0, false
	}
	m, err := money.FromFloat(f)
	return m, err == nil
}
