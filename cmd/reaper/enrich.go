package main

import (
	"log/slog"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/enrich"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// newEnricher fetches traffic for idle detection, cached in the state store, within the
// config's idle.budget of calls per cycle.
func newEnricher(client *zen.Client, store state.Backend, cfg *config.Config, log *slog.Logger) reconcile.Enricher {
	return enrich.New(enrich.Options{API: client, Cache: store, Logger: log,
		Budget: cfg.Idle.Budget.CallsAt(cfg.Zenlayer.RequestsPerSecond)})
}
