package main

import (
	"log/slog"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// A cycle evaluates during the listing only with a client that hands pages over and an enricher
// that tells in advance which instances need traffic (reconcile.list); without either it
// silently lists first, so both are pinned here.
var (
	_ reconcile.PageLister   = (*zen.Client)(nil)
	_ reconcile.TrafficScope = (*enrich.Enricher)(nil)
)

// newEnricher fetches traffic for idle detection, cached in the state store, within the
// config's idle.budget of calls per cycle.
func newEnricher(client *zen.Client, store state.Backend, cfg *config.Config, log *slog.Logger) reconcile.Enricher {
	return enrich.New(enrich.Options{API: client, Cache: store, Logger: log,
		Budget: cfg.Idle.Budget.CallsAt(cfg.Zenlayer.RequestsPerSecond)})
}
