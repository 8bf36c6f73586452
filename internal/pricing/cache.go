package pricing

import (
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
)

// cache is the price cache of one cycle: what the store held at its start, and what the cycle
// fetched, written back in one transaction at its end.
type cache struct {
	store   Store
	have    map[state.PriceKey]state.Price
	pending []state.Price
	fail    *failures
}

// openCache prunes the store's stale prices (bill entries of months before month, entries
// expired at now) and reads the rest. A failure counts in cf: the cycle goes on without a cache.
func (p *Pricer) openCache(now time.Time, month int, cf *failures) *cache {
	c := &cache{store: p.store, have: map[state.PriceKey]state.Price{}, fail: cf}
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
	for _, e := range ps {
		c.have[e.ID()] = e
	}
	return c
}

// get returns the cached entry for k.
func (c *cache) get(k state.PriceKey) (state.Price, bool) {
	e, ok := c.have[k]
	return e, ok
}

// put remembers e, to be written by flush.
func (c *cache) put(e state.Price) {
	c.have[e.ID()] = e
	c.pending = append(c.pending, e)
}

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
