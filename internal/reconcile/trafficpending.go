package reconcile

import "github.com/reaper-bmc/reaper/internal/policy"

// trafficPending reports whether the Enricher left id's traffic pending: present in its map with
// no figures (see Enricher).
func trafficPending(traffic map[string]*policy.Traffic, id string) bool {
	tr, ok := traffic[id]
	return ok && tr == nil
}
