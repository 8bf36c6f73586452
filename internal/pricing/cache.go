package pricing

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
)

// entry is one cached figure, stored as JSON under a "pricing/" metadata key: a list price per
// zone/type/charge type/internet charge type, or an instance's bill for Month. Monthly nil is a
// known absence (no bill line, no list price), kept until Expires.
type entry struct {
	Month     int           `json:"month,omitempty"`
	Monthly   *money.Micros `json:"monthly"`
	FetchedAt time.Time     `json:"fetched_at"`
	Expires   time.Time     `json:"expires,omitzero"`
}

// cached reads key; a read or decode failure counts in cf and is a miss.
func (p *Pricer) cached(key string, cf *failures) (entry, bool) {
	if p.store == nil {
		return entry{}, false
	}
	v, ok, err := p.store.Meta(key)
	if err != nil {
		cf.add(err)
		return entry{}, false
	}
	if !ok {
		return entry{}, false
	}
	var e entry
	if err := json.Unmarshal([]byte(v), &e); err != nil {
		cf.add(fmt.Errorf("decode %s: %w", key, err))
		return entry{}, false
	}
	return e, true
}

// keep writes key; a failure counts in cf (the figure is still used this cycle).
func (p *Pricer) keep(key string, e entry, cf *failures) {
	if p.store == nil {
		return
	}
	b, err := json.Marshal(e)
	if err == nil {
		err = p.store.SetMeta(key, string(b))
	}
	if err != nil {
		cf.add(fmt.Errorf("write %s: %w", key, err))
	}
}
