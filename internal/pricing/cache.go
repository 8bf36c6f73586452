package pricing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// cache is the price cache of one cycle: what the store held at its start, and what the cycle
// fetched, written back in one transaction at its end.
//
// A fleet with bills has an entry a month for every instance (300,000 at issue 14's size): those
// of the cycle's month are kept in bills, sorted by instance ID and found by binary search, in
// the slice the store returned (no copy, no map of them: see BenchmarkCostsMemory).
// The list prices, a few hundred, are in a map.
type cache struct {
	store   Store
	month   int
	bills   []state.Price // the bill entries of month, sorted by Key, one a Key
	lists   map[state.PriceKey]state.Price
	pending []state.Price
	fail    *failures
}

// openCache prunes the store's stale prices (bill entries of months before month, entries
// expired at now) and reads the rest. A failure counts in cf: the cycle goes on without a cache.
func (p *Pricer) openCache(now time.Time, month int, cf *failures) *cache {
	c := &cache{store: p.store, month: month, lists: map[state.PriceKey]state.Price{}, fail: cf}
	if p.store == nil {
		return c
	}
	if _, err := p.store.PrunePrices(now, month); err != nil {
		cf.add(err)
	}
	ps, err := p.store.Prices()
	if err != nil {
		cf.add(err)
		return c
	}
	// The bill entries of month go to the front of ps, in place; the other months' are never
	// asked for (pruned, unless the prune failed).
	bills := ps[:0]
	for _, e := range ps {
		switch {
		case e.Kind != state.PriceBill:
			c.lists[e.ID()] = e
		case e.Month == month:
			bills = append(bills, e)
		}
	}
	slices.SortStableFunc(bills, func(a, b state.Price) int { return strings.Compare(a.Key, b.Key) })
	// Of entries with the same key (a store holds one), the last read wins, as in a map.
	n := 0
	for i, e := range bills {
		if i+1 < len(bills) && bills[i+1].Key == e.Key {
			continue
		}
		bills[n] = e
		n++
	}
	clear(ps[n:]) // what the rest of ps points at is the map's now, or nobody's
	c.bills = ps[:n:n]
	return c
}

// get returns the cached entry for k.
func (c *cache) get(k state.PriceKey) (state.Price, bool) {
	if k.Kind != state.PriceBill {
		e, ok := c.lists[k]
		return e, ok
	}
	if k.Month != c.month {
		return state.Price{}, false
	}
	i, ok := slices.BinarySearchFunc(c.bills, k.Key, func(e state.Price, id string) int { return strings.Compare(e.Key, id) })
	if !ok {
		return state.Price{}, false
	}
	return c.bills[i], true
}

// put remembers the list price e, to be written by flush and found by get from then on.
func (c *cache) put(e state.Price) {
	c.lists[e.ID()] = e
	c.pending = append(c.pending, e)
}

// write remembers the bill entries es, to be written by flush. get does not find them: the bill
// is read after the cache is (bills), never before, and the entries are one an instance.
func (c *cache) write(es ...state.Price) {
	c.pending = append(c.pending, es...)
}

// reserve makes room for n more entries to write (one growth, not a doubling at a time).
func (c *cache) reserve(n int) { c.pending = slices.Grow(c.pending, n) }

// flush writes what the cycle fetched; a failure counts (the figures are still used this cycle).
func (c *cache) flush() {
	if c.store == nil || len(c.pending) == 0 {
		return
	}
	if err := c.store.PutPrices(c.pending...); err != nil {
		c.fail.add(fmt.Errorf("write %d prices: %w", len(c.pending), err))
	}
	c.pending = nil
}
