package pricing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// bills returns, for each instance that asks for a bill (and has no override), its amount on
// month's bill, or nil when the bill has no line for it or could not be read (out[i] for
// instances[i]; read it with billOf); and at most one warning. When it read the bill, read is
// the fleet it read for, whose entries Costs then writes to the cache (writeBills).
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
func (p *Pricer) bills(ctx context.Context, month int, now time.Time, instances []Instance, over *overrides,
	c *cache) (out []*money.Micros, read *fleet, warning string) {
	if !p.cfg.Bills {
		return nil, nil, ""
	}
	// out[i] is instances[i]'s, allocated at the first figure.
	ask := false
	for i, in := range instances {
		if !in.Bill || over.of(in.Instance) != nil {
			continue
		}
		e, ok := c.get(billKey(month, in.Instance.ID))
		if ok && now.Before(e.Expires) {
			if out == nil {
				out = make([]*money.Micros, len(instances))
			}
			out[i] = e.Monthly
			continue
		}
		ask = true
	}
	if !ask || ctx.Err() != nil {
		return out, nil, ""
	}
	f := newFleet(instances)
	err := p.api.BillMonth(ctx, month, func(lines []zen.BillLine) error {
		for _, l := range lines {
			f.add(l.ResourceID, l.Amount)
		}
		return nil
	})
	switch {
	case zen.IsPermission(err):
		return out, nil, fmt.Sprintf("bills are off for this cycle: the credentials may not read bills (%v); costs come from list prices", err)
	case err != nil:
		return out, nil, fmt.Sprintf("bill of %d not used this cycle: it could not be read completely (%v); "+
			"costs not already cached from an earlier complete read come from list prices", month, err)
	}
	if out == nil {
		out = make([]*money.Micros, len(instances))
	}
	// The figures of a complete read replace those of the cache, for every instance.
	for k, i := range f.byID {
		switch {
		case k > 0 && f.id(k) == f.id(k-1):
			out[i] = out[f.byID[k-1]] // an ID listed twice: one instance of the account
		case f.billed[k]:
			sum := f.sums[k]
			out[i] = &sum
		default:
			out[i] = nil
		}
	}
	f.sums, f.billed = nil, nil
	return out, f, ""
}

// writeBills puts into c the entries of a complete read of month's bill, one for each ID of the
// fleet read: its figure in bills, or none. No line is not a cost of 0, and a sum may not be final
// yet: both are read again after refresh. Costs calls it once the list prices are in c, so that
// the entries to write (one an instance) grow once.
func (p *Pricer) writeBills(c *cache, read *fleet, bills []*money.Micros, month int, now time.Time) {
	ids := 0
	for k := range read.byID {
		if k == 0 || read.id(k) != read.id(k-1) {
			ids++
		}
	}
	c.reserve(ids)
	for k, i := range read.byID {
		if k == 0 || read.id(k) != read.id(k-1) {
			c.write(state.Price{Kind: state.PriceBill, Month: month, Key: read.id(k), Monthly: bills[i],
				FetchedAt: now, Expires: now.Add(p.cfg.Refresh)})
		}
	}
}

// billOf is instance i's figure from the bill: nil unless it asks for its bill and the bill (or
// the cache) has one.
func billOf(bills []*money.Micros, i int, in Instance) *money.Micros {
	if !in.Bill || bills == nil {
		return nil
	}
	return bills[i]
}

// fleet sums a bill's lines by instance, for the instances of the cycle. It finds an instance by
// ID in byID, the indexes of the instances sorted by their IDs (4 bytes an instance: no map of
// IDs, no copy of them); the sum of an ID's lines is kept at the first position of the ID in
// byID.
type fleet struct {
	instances []Instance
	byID      []int32
	sums      []money.Micros
	billed    []bool // billed[k]: sums[k] has at least one line
}

func newFleet(instances []Instance) *fleet {
	f := &fleet{instances: instances, byID: make([]int32, len(instances)),
		sums: make([]money.Micros, len(instances)), billed: make([]bool, len(instances))}
	for i := range f.byID {
		f.byID[i] = int32(i)
	}
	slices.SortFunc(f.byID, func(a, b int32) int {
		return strings.Compare(instances[a].Instance.ID, instances[b].Instance.ID)
	})
	return f
}

// id is the ID of the instance at position k of byID.
func (f *fleet) id(k int) string { return f.instances[f.byID[k]].Instance.ID }

// add counts a line of amount for resource id, if it is an instance of the fleet. resourceId is
// compared as a string, exactly (§12.4); other resources' lines are dropped.
func (f *fleet) add(id string, amount money.Micros) {
	k, ok := slices.BinarySearchFunc(f.byID, id, func(i int32, id string) int {
		return strings.Compare(f.instances[i].Instance.ID, id)
	})
	if ok {
		f.sums[k] += amount
		f.billed[k] = true
	}
}

func billKey(month int, id string) state.PriceKey {
	return state.PriceKey{Kind: state.PriceBill, Month: month, Key: id}
}

// overrides are the configured prices of a cycle, looked up once for each type and zone: the
// instances of a type and zone share one figure (no allocation an instance).
type overrides struct {
	price func(typ, zone string) (float64, bool)
	seen  map[overrideKey]*money.Micros
}

type overrideKey struct{ typ, zone string }

func (p *Pricer) overrides() *overrides {
	return &overrides{price: p.cfg.Override, seen: map[overrideKey]*money.Micros{}}
}

// of returns the configured monthly price of z, or nil when there is none (then its bill is
// needed). The figure is shared: nobody writes through it.
func (o *overrides) of(z *zen.Instance) *money.Micros {
	if o.price == nil {
		return nil
	}
	k := overrideKey{typ: z.Type, zone: z.Zone}
	if m, ok := o.seen[k]; ok {
		return m
	}
	var m *money.Micros
	if f, ok := o.price(z.Type, z.Zone); ok {
		if v, err := money.FromFloat(f); err == nil {
			m = &v
		}
	}
	o.seen[k] = m
	return m
}
