package state

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// PriceKind says what a cached price is.
type PriceKind string

// The kinds of cached prices (README, Cost and savings).
const (
	// PriceBill is an instance's amount on one month's bill (Key: the instance ID).
	PriceBill PriceKind = "bill"
	// PriceList is the list price of a new instance (Key: zone/type/charge type/internet charge
	// type); Month is 0.
	PriceList PriceKind = "list"
)

// Price is one cached price: what internal/pricing fetched, so that the next cycles do not ask
// again. A bill entry belongs to its month, the bill's: it is kept while that month is the one
// bills are read for and pruned when it is older (see PrunePrices). Monthly nil is a known absence
// (no bill line yet, no list price), kept until Expires; a zero Expires means the entry does not
// expire by time (a bill line: the month's bill does not change).
type Price struct {
	Kind      PriceKind     `json:"kind"`
	Month     int           `json:"month,omitempty"` // yyyyMM (UTC) of a bill entry, 0 for a list price
	Key       string        `json:"key"`
	Monthly   *money.Micros `json:"monthly"`
	FetchedAt time.Time     `json:"fetched_at"`
	Expires   time.Time     `json:"expires,omitzero"`
}

// PriceKey identifies a cached price: one list price per key, one bill entry per instance and
// month.
type PriceKey struct {
	Kind  PriceKind
	Month int
	Key   string
}

// ID returns p's key.
func (p Price) ID() PriceKey { return PriceKey{Kind: p.Kind, Month: p.Month, Key: p.Key} }

// String writes the key as the bbolt store keys it: "bill/202610/<instance>", "list/000000/<key>".
func (k PriceKey) String() string { return fmt.Sprintf("%s/%06d/%s", k.Kind, k.Month, k.Key) }

// Saving is one confirmed termination counted in the savings ledger: the instance, the policy it
// is credited to, the UTC month of the termination and the monthly cost it stopped. An instance
// counts once, whatever is added later (see AddSaving). Amount is nil only for an instance counted
// by a previous version of reaper, which kept its month's total but not each amount.
type Saving struct {
	InstanceID string        `json:"instance_id"`
	Policy     string        `json:"policy"`
	Month      int           `json:"month"`
	Amount     *money.Micros `json:"amount"`
	CountedAt  time.Time     `json:"counted_at,omitzero"`
}

// SavingsTotal is the realized savings of one policy in one month: the sum of the amounts counted
// (and of what a previous version had counted).
type SavingsTotal struct {
	Month  int          `json:"month"`
	Policy string       `json:"policy"`
	Amount money.Micros `json:"amount"`
}

// Money is the money records of a snapshot: the price cache and the savings ledger.
type Money struct {
	Prices  []Price           // sorted by key
	Savings map[string]Saving // by instance ID
	Totals  []SavingsTotal    // by month, then policy
}

// MonthOf returns t's UTC month as yyyyMM.
func MonthOf(t time.Time) int {
	y, m, _ := t.UTC().Date()
	return y*100 + int(m)
}

// validMonth reports whether m is a yyyyMM month.
func validMonth(m int) bool { return m >= 100001 && m <= 999912 && m%100 >= 1 && m%100 <= 12 }

// PreparePrice checks p before a backend stores it: a known kind, a key, a month for a bill entry
// and none for a list price. A zero FetchedAt becomes now.
func PreparePrice(p Price, now time.Time) (Price, error) {
	switch {
	case p.Kind != PriceBill && p.Kind != PriceList:
		return Price{}, fmt.Errorf("price %q: unknown kind %q", p.Key, p.Kind)
	case p.Key == "":
		return Price{}, fmt.Errorf("%s price with an empty key", p.Kind)
	case p.Kind == PriceBill && !validMonth(p.Month):
		return Price{}, fmt.Errorf("bill price %s: month %d is not yyyyMM", p.Key, p.Month)
	case p.Kind == PriceList && p.Month != 0:
		return Price{}, fmt.Errorf("list price %s: has month %d", p.Key, p.Month)
	}
	if p.FetchedAt.IsZero() {
		p.FetchedAt = now
	}
	return p, nil
}

// StalePrice reports whether PrunePrices(now, month) deletes p: a bill entry of a month before
// month, or an entry whose Expires is not after now. Both backends prune with it.
func StalePrice(p Price, now time.Time, month int) bool {
	if p.Kind == PriceBill && p.Month < month {
		return true
	}
	return !p.Expires.IsZero() && !p.Expires.After(now)
}

// PrepareSaving checks s before AddSaving counts it: an instance, a policy, a yyyyMM month and an
// amount. A zero CountedAt becomes now.
func PrepareSaving(s Saving, now time.Time) (Saving, error) {
	switch {
	case s.InstanceID == "":
		return Saving{}, errors.New("saving with an empty instance id")
	case s.Policy == "":
		return Saving{}, fmt.Errorf("saving of %s: empty policy", s.InstanceID)
	case !validMonth(s.Month):
		return Saving{}, fmt.Errorf("saving of %s: month %d is not yyyyMM", s.InstanceID, s.Month)
	case s.Amount == nil:
		return Saving{}, fmt.Errorf("saving of %s: no amount", s.InstanceID)
	}
	if s.CountedAt.IsZero() {
		s.CountedAt = now
	}
	return s, nil
}

// SortPrices sorts prices by key, the order Prices and Export return them in.
func SortPrices(ps []Price) {
	slices.SortFunc(ps, func(a, b Price) int { return strings.Compare(a.ID().String(), b.ID().String()) })
}

// SortTotals sorts totals by month, then policy, the order SavingsTotals returns them in.
func SortTotals(ts []SavingsTotal) {
	slices.SortFunc(ts, func(a, b SavingsTotal) int {
		if c := cmp.Compare(a.Month, b.Month); c != 0 {
			return c
		}
		return strings.Compare(a.Policy, b.Policy)
	})
}

// checkMoney checks what Import needs of a snapshot's money records.
func checkMoney(m Money) error {
	seen := map[PriceKey]bool{}
	for _, p := range m.Prices {
		if _, err := PreparePrice(p, time.Time{}); err != nil {
			return err
		}
		if seen[p.ID()] {
			return fmt.Errorf("price %s twice", p.ID())
		}
		seen[p.ID()] = true
	}
	for id, s := range m.Savings {
		if s.InstanceID != id {
			return fmt.Errorf("saving keyed %s is for %s", id, s.InstanceID)
		}
		if s.Amount == nil && s.Policy != "" && validMonth(s.Month) {
			continue // counted by a previous version
		}
		if _, err := PrepareSaving(s, time.Time{}); err != nil {
			return err
		}
	}
	tk := map[[2]string]bool{}
	for _, t := range m.Totals {
		k := [2]string{fmt.Sprint(t.Month), t.Policy}
		switch {
		case t.Policy == "" || !validMonth(t.Month):
			return fmt.Errorf("savings total for %q in %d: not a policy and yyyyMM month", t.Policy, t.Month)
		case tk[k]:
			return fmt.Errorf("savings total for %s in %d twice", t.Policy, t.Month)
		}
		tk[k] = true
	}
	return nil
}
