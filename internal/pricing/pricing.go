// Package pricing finds what each instance costs a month (README, Cost and savings): a configured override,
// else the instance's lines on the last full UTC month's bill, else the list price of a new
// instance of its zone, type and charge type, else unknown (never 0). The month's bill is read
// once for the whole account (in pages, see bills.go) and list prices once per key, a few keys
// at once (list.go); both are cached in the state store. A failure costs the figure, never the
// cycle: it becomes a warning. Nothing here decides a termination; the figures only describe.
package pricing

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// Source says where a monthly cost came from.
type Source string

// The sources, in the order they are tried.
const (
	SourceOverride Source = "override"
	SourceBill     Source = "bill"
	SourceList     Source = "list"
	SourceUnknown  Source = "unknown"
)

// Hours and days of the average month a POSTPAID price is turned into (8760/12 and 365/12).
const (
	HoursPerMonth      = 730
	DaysPerMonthHundth = 3042 // 30.42 days, in hundredths
)

// Cost is one instance's monthly cost. Monthly is nil exactly when Source is unknown.
type Cost struct {
	Monthly *money.Micros
	Source  Source
}

// Instance is an instance to price: the instance as listed, and whether its bill is wanted.
// Pricing keeps no copy of the instance's fields (16 bytes an instance, issue 14): Instance points
// at the caller's instance, which pricing reads and never writes (the record step passes the
// cycle's entries, which point into the listing).
type Instance struct {
	Instance *zen.Instance
	// Bill asks for the instance's amount on the month's bill (the bill is read once a cycle at
	// most, for the whole account); without it the cost comes from an override or the list price
	// (one call per zone, type and charge type).
	Bill bool
}

// API is the part of the Zenlayer client pricing calls (both read only).
type API interface {
	InquiryPriceCreateInstance(ctx context.Context, q zen.PriceQuery) (zen.Price, error)
	BillMonth(ctx context.Context, month int, each func(lines []zen.BillLine) error) error
}

// Store keeps the price cache (state.Backend: both backends store, export and import it).
type Store interface {
	Prices() ([]state.Price, error)
	PutPrices(ps ...state.Price) error
	PrunePrices(now time.Time, month int) (pruned int, err error)
}

// Config is the pricing section of the config, in the form pricing uses.
type Config struct {
	// Override returns the configured monthly price of an instance of typ in zone.
	Override func(typ, zone string) (float64, bool)
	Bills    bool
	Refresh  time.Duration
}

// Pricer finds costs. It is safe for one cycle at a time.
type Pricer struct {
	cfg   Config
	api   API
	store Store
	now   func() time.Time
	log   *slog.Logger
	// workers is how many list prices are asked at once (listWorkers; tests compare with 1).
	workers int
}

// New returns a Pricer. now is the clock that decides the last full month and cache expiry.
func New(cfg Config, api API, store Store, now func() time.Time, log *slog.Logger) *Pricer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pricer{cfg: cfg, api: api, store: store, now: now, log: log, workers: listWorkers}
}

// LastFullMonth is the calendar month before t's, in UTC, as yyyyMM (on 2026-03-05, 202602).
func LastFullMonth(t time.Time) int {
	y, m, _ := t.UTC().Date()
	m--
	if m == 0 {
		y, m = y-1, 12
	}
	return y*100 + int(m)
}

// failures counts what went wrong for one source in a cycle, with the first error as example.
type failures struct {
	n     int
	first error
}

func (f *failures) add(err error) {
	if f.n == 0 {
		f.first = err
	}
	f.n++
}

// Costs returns the cost of every instance, costs[i] that of instances[i] (an ID listed twice is
// priced at each place, by that place's Bill), and the warnings of the cycle (each failure class
// once, with a count). It never fails: an error costs the figure. Once ctx is done, the instances
// not yet priced are unknown.
func (p *Pricer) Costs(ctx context.Context, instances []Instance) ([]Cost, []string) {
	out := make([]Cost, len(instances))
	var warnings []string
	now := p.now()
	month := LastFullMonth(now)
	var listFail, cacheFail failures
	cache := p.openCache(now, month, &cacheFail)
	over := p.overrides()
	bills, read, billWarn := p.bills(ctx, month, now, instances, over, cache)
	if billWarn != "" {
		warnings = append(warnings, billWarn)
	}
	keyOf, lists := p.lists(ctx, instances, over, bills, now, cache, &listFail)
	if read != nil {
		p.writeBills(cache, read, bills, month, now)
	}
	for i, in := range instances {
		if ctx.Err() != nil {
			out[i] = Cost{Source: SourceUnknown}
			continue
		}
		if m := over.of(in.Instance); m != nil {
			out[i] = Cost{Monthly: m, Source: SourceOverride}
			continue
		}
		if m := billOf(bills, i, in); m != nil {
			out[i] = Cost{Monthly: m, Source: SourceBill}
			continue
		}
		if m := lists[keyOf[i]]; m != nil {
			out[i] = Cost{Monthly: m, Source: SourceList}
			continue
		}
		out[i] = Cost{Source: SourceUnknown}
	}
	cache.flush()
	if listFail.n > 0 {
		warnings = append(warnings, fmt.Sprintf("list price of %d zone/type/charge %s could not be read (first: %v)",
			listFail.n, plural(listFail.n, "combination", "combinations"), listFail.first))
	}
	if cacheFail.n > 0 {
		warnings = append(warnings, fmt.Sprintf("price cache: %d %s failed (first: %v)",
			cacheFail.n, plural(cacheFail.n, "read or write", "reads or writes"), cacheFail.first))
	}
	for _, w := range warnings {
		p.log.Warn("pricing", "warning", w)
	}
	return out, warnings
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
