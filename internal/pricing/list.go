package pricing

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// listWorkers is how many list prices Costs asks at once. A cold cycle asks one per zone, type,
// charge type and internet charge type of the fleet: hundreds for a large one, each a round trip
// (issue 14: about 600 at 50 ms were 30 s one after another). Eight at once divide that wait by
// eight. Every call still goes through the client, whose rate limiter (requests_per_second,
// slowed by throttling) and retries pace them all, so requests_per_second stays the ceiling; more
// workers would only queue on it (at the default 10 a second, one at a time already reaches it).
const listWorkers = 8

// listJob is one list price key the cycle needs, with the first instance that needs it (whose
// zone, type and charge types make the query), and what asking for it gave.
type listJob struct {
	key string
	in  *zen.Instance
	// asked is set when the API was asked (and answered price or err); err is also set, without
	// a call, for a charge type that has no list price.
	asked bool
	price zen.Price
	err   error
}

// lists finds the list price of every key the instances need (those with neither an override
// nor a figure from the bill). It returns, for instance i, keyOf[i]: the index of its key's price
// in prices, or 0 (prices[0] is always nil) when it needs none. A price cached and not expired is
// used as it is; the others are asked of the API, p.workers at once (ask). Failures are counted
// in fail and the answers are cached in the order the instances first need their keys, whatever
// order the answers arrive in, so the figures, the warnings (which failure is named first) and
// the cache are those of asking one key after another.
func (p *Pricer) lists(ctx context.Context, instances []Instance, over *overrides, bills []*money.Micros, now time.Time,
	c *cache, fail *failures) (keyOf []int32, prices []*money.Micros) {
	keyOf = make([]int32, len(instances))
	jobs := []listJob{{}} // index 0: no key
	// The instances' keys are found by their fields (no string built an instance); the key's
	// string is built once, for its job.
	index := map[listFields]int32{}
	for i, in := range instances {
		if over.of(in.Instance) != nil || billOf(bills, i, in) != nil {
			continue
		}
		f := fieldsOf(in.Instance)
		k, seen := index[f]
		if !seen {
			k = int32(len(jobs))
			index[f] = k
			jobs = append(jobs, listJob{key: f.key(), in: in.Instance})
		}
		keyOf[i] = k
	}
	prices = make([]*money.Micros, len(jobs))
	var todo []int
	for k := 1; k < len(jobs); k++ {
		j := &jobs[k]
		if e, ok := c.get(state.PriceKey{Kind: state.PriceList, Key: j.key}); ok && now.Before(e.Expires) {
			prices[k] = e.Monthly
			continue
		}
		if j.in.ChargeType != zen.ChargePostpaid && j.in.ChargeType != zen.ChargePrepaid {
			j.err = fmt.Errorf("charge type %q has no list price", j.in.ChargeType)
			continue
		}
		todo = append(todo, k)
	}
	p.ask(ctx, jobs, todo)
	for k := 1; k < len(jobs); k++ {
		j := &jobs[k]
		if j.asked {
			prices[k], j.err = p.settle(j, now, c)
		}
		if j.err != nil {
			fail.add(fmt.Errorf("%s: %w", j.key, j.err))
		}
	}
	return keyOf, prices
}

// ask asks the API for the list price of each job in todo (indexes into jobs), p.workers at once,
// and records each answer in its job. Once ctx is done no further call starts: the jobs not asked
// stay unasked (their prices unknown, not counted as failures). ask returns when no call of its
// is left running. A panic in a call stops the others and is raised again on the caller's
// goroutine, as a *safego.PanicError naming the key: when prices were asked one after another,
// the panic reached the same caller.
func (p *Pricer) ask(ctx context.Context, jobs []listJob, todo []int) {
	var panicked atomic.Bool
	err := safego.Run(ctx, "pricing: list price worker", len(todo), p.workers, func(ctx context.Context, _, n int) error {
		j := &jobs[todo[n]]
		err := safego.Call("pricing: list price of "+j.key, func() {
			j.price, j.err = p.api.InquiryPriceCreateInstance(ctx, zen.PriceQuery{Zone: j.in.Zone, Type: j.in.Type,
				ChargeType: j.in.ChargeType, InternetChargeType: j.in.InternetChargeType, PrepaidPeriod: 1})
			j.asked = true
		})
		if err != nil {
			panicked.Store(true)
		}
		return err
	})
	// A job's own failure is its answer (j.err): a job fails Run only by panicking, and then Run
	// returns that panic. Otherwise Run's error is ctx's cause, which is no panic of ask's even
	// when it is a *safego.PanicError (another goroutine's, that cancelled the cycle).
	if pe, ok := errors.AsType[*safego.PanicError](err); ok && panicked.Load() {
		panic(pe)
	}
}

// settle turns the answer to job j into its monthly list price, nil when the API has none (unknown
// type, not sold there) or the figure depends on usage, and caches it. A definite answer (a
// figure, not sold, no monthly figure) is cached until refresh; a failed call is not.
func (p *Pricer) settle(j *listJob, now time.Time, c *cache) (*money.Micros, error) {
	e := state.Price{Kind: state.PriceList, Key: j.key, FetchedAt: now, Expires: now.Add(p.cfg.Refresh)}
	switch {
	case notSold(j.err):
		// A definite answer: cache it, so the next cycles do not ask again before refresh.
		c.put(e)
		return nil, j.err
	case j.err != nil:
		return nil, j.err
	}
	m, err := Monthly(j.price, 1)
	if err != nil {
		c.put(e)
		return nil, err
	}
	e.Monthly = &m
	c.put(e)
	return &m, nil
}

// listFields are what a list price depends on: the instances that agree on them share a key.
type listFields struct {
	zone, typ  string
	chargeType zen.ChargeType
	// internetChargeType is never empty: ByBandwidth stands for the API's default.
	internetChargeType string
}

func fieldsOf(z *zen.Instance) listFields {
	ict := z.InternetChargeType
	if ict == "" {
		ict = "ByBandwidth"
	}
	return listFields{zone: z.Zone, typ: z.Type, chargeType: z.ChargeType, internetChargeType: ict}
}

// key is the list price's key in the cache and the warnings.
func (f listFields) key() string {
	return fmt.Sprintf("%s/%s/%s/%s", f.zone, f.typ, f.chargeType, f.internetChargeType)
}

// notSold reports the documented answers that say there is no price to have (§11.1).
func notSold(err error) bool {
	ae, ok := errors.AsType[*zen.APIError](err)
	if !ok {
		return false
	}
	switch ae.Code {
	case "INVALID_ZONE_NOT_FOUND", "INVALID_INSTANCE_TYPE_NOT_FOUND", "INVALID_CHARGE_TYPE_NOT_SUPPORT",
		"INVALID_INSTANCE_BANDWIDTH_ZONE_NO_SELL", "INVALID_INSTANCE_TYPE_ZONE_NO_SELL":
		return true
	}
	return false
}
