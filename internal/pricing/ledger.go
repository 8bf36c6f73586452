package pricing

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// Ledger keeps the cumulative realized savings since the state store was created, per policy and
// per UTC month of the termination, in the store's metadata (so both backends keep it, and state
// migrate copies it). Each instance counts once: a bucket remembers the instances it holds, and
// the bucket's total and list are one write.
type Ledger struct {
	store Store
}

// NewLedger returns the ledger kept in store.
func NewLedger(store Store) *Ledger { return &Ledger{store: store} }

// Realized is the saving of one policy in one month.
type Realized struct {
	Policy string       `json:"policy"`
	Month  int          `json:"month"` // yyyyMM, UTC
	Amount money.Micros `json:"amount"`
}

type bucket struct {
	Total     money.Micros `json:"total"`
	Instances []string     `json:"instances"`
}

const ledgerIndex = "savings/index"

func bucketKey(month int, policy string) string { return fmt.Sprintf("savings/%d/%s", month, policy) }

// Add counts a confirmed termination of instance id at t under policy; it returns false when the
// instance was already counted in that bucket. The index is written before the bucket, so a crash
// between the two loses nothing already counted and counts nothing twice.
func (l *Ledger) Add(policy string, t time.Time, id string, amount money.Micros) (bool, error) {
	month := t.UTC().Year()*100 + int(t.UTC().Month())
	idx, err := l.index()
	if err != nil {
		return false, err
	}
	ref := Realized{Policy: policy, Month: month}
	if !slices.Contains(idx, ref) {
		idx = append(idx, ref)
		if err := l.put(ledgerIndex, idx); err != nil {
			return false, err
		}
	}
	key := bucketKey(month, policy)
	var b bucket
	if err := l.get(key, &b); err != nil {
		return false, err
	}
	if slices.Contains(b.Instances, id) {
		return false, nil
	}
	b.Total += amount
	b.Instances = append(b.Instances, id)
	return true, l.put(key, b)
}

// Totals returns every policy's savings per month, oldest month first, then by policy.
func (l *Ledger) Totals() ([]Realized, error) {
	idx, err := l.index()
	if err != nil {
		return nil, err
	}
	out := make([]Realized, 0, len(idx))
	for _, r := range idx {
		var b bucket
		if err := l.get(bucketKey(r.Month, r.Policy), &b); err != nil {
			return nil, err
		}
		r.Amount = b.Total
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Realized) int {
		if a.Month != b.Month {
			return a.Month - b.Month
		}
		return cmpString(a.Policy, b.Policy)
	})
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (l *Ledger) index() ([]Realized, error) {
	var idx []Realized
	if err := l.get(ledgerIndex, &idx); err != nil {
		return nil, err
	}
	for i := range idx {
		idx[i].Amount = 0
	}
	return idx, nil
}

func (l *Ledger) get(key string, v any) error {
	s, ok, err := l.store.Meta(key)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("savings ledger: decode %s: %w", key, err)
	}
	return nil
}

func (l *Ledger) put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("savings ledger: encode %s: %w", key, err)
	}
	if err := l.store.SetMeta(key, string(b)); err != nil {
		return fmt.Errorf("savings ledger: %w", err)
	}
	return nil
}
